"""Pure test data for the finance domain tests: no database, no application layer.

IINs and BINs come from the independent check-digit oracle in `tests/kit/iin_oracle.py`.
"""

from __future__ import annotations

import hashlib
from datetime import date
from importlib import resources
from uuid import UUID, uuid4

from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.donors import (
    AnonymousDonor,
    Donor,
    DonorPersonalData,
    OrganisationDeclarations,
    OrganisationDonor,
    PersonDeclarations,
    PersonDonor,
)
from partia_finance.domain.evidence import Document, DocumentKind, Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount, PaymentChannel
from partia_finance.domain.obligations import ReturnObligation
from partia_finance.domain.policies.permissibility import RULE_BOOK, RuleBook
from tests.kit.iin_oracle import make_bin, make_iin

TREASURER = "treasurer-almaty"
CENTRAL_OFFICE = uuid4()
ALMATY_BRANCH = uuid4()
ASTANA_BRANCH = uuid4()
CREDITED = date(2026, 3, 2)

CITIZEN_IIN = make_iin(date(1985, 4, 12))
RESIDENT_BIN = make_bin("0904", "4", "0")  # digit 5 = 4: resident legal entity
NON_RESIDENT_BIN = make_bin("1102", "5", "0")  # digit 5 = 5: non-resident, a foreign legal entity


def document(kind: DocumentKind, reference: str) -> Document:
    return Document(kind, reference, hashlib.sha256(reference.encode()).hexdigest())


DECLARATION = document(DocumentKind.DECLARATION, "declaration-2026-031.pdf")
PAYMENT = document(DocumentKind.PAYMENT, "bank-credit-PP-4471.pdf")


def personal(iin: str = CITIZEN_IIN) -> DonorPersonalData:
    return DonorPersonalData(iin=iin, surname="Абенова", given_name="Айгерим", patronymic=None)


def citizen(**declared: object) -> PersonDonor:
    """A person declaring Kazakh citizenship and no foreign grants, unless told otherwise."""
    values: dict[str, object] = {"citizenship": "KZ", "receives_foreign_grants": False}
    values.update(declared)
    return PersonDonor(PersonDeclarations(**values))  # type: ignore[arg-type]


def company(bin_: str = RESIDENT_BIN, /, **declared: bool | None) -> OrganisationDonor:
    """An organisation declaring none of the prohibited categories, unless told otherwise."""
    values: dict[str, bool | None] = {
        "foreign_participation": False,
        "state_body_or_organisation": False,
        "religious_association": False,
        "charitable_organisation": False,
        "receives_foreign_grants": False,
    }
    values.update(declared)
    return OrganisationDonor(bin_, "ТОО «Жасыл Дала»", OrganisationDeclarations(**values))


def configuration(text: str | None = None) -> FinanceConfiguration:
    """The packaged configuration of the reference party, or the TOML given."""
    if text is None:
        text = resources.files("partia_finance").joinpath("parties/baytaq.toml").read_text("utf-8")
    return FinanceConfiguration.from_toml(text)


def received(
    donor: Donor | None = None,
    *,
    tiyn: int = 50_000_00,
    credited_on: date = CREDITED,
    organisation_id: UUID = ALMATY_BRANCH,
    purpose: Purpose | None = None,
    evidence: Evidence | None = None,
    personal_data: DonorPersonalData | None = None,
    channel: PaymentChannel = PaymentChannel.BANK_TRANSFER,
) -> Donation:
    """A credit from the bank statement; a person donor gets the default names and IIN."""
    donor = citizen() if donor is None else donor
    if personal_data is None and isinstance(donor, PersonDonor):
        personal_data = personal()
    return Donation.receive(
        amount=Amount(tiyn),
        credited_on=credited_on,
        bank_document="PP-4471",
        organisation_id=organisation_id,
        purpose=purpose or Purpose.party_funds(),
        donor=donor,
        personal=personal_data,
        evidence=Evidence((DECLARATION, PAYMENT)) if evidence is None else evidence,
        recorded_by=TREASURER,
        channel=channel,
    )


def anonymous(**kwargs: object) -> Donation:
    return received(AnonymousDonor(), evidence=Evidence((PAYMENT,)), **kwargs)  # type: ignore[arg-type]


def decide(
    donation: Donation,
    on: date = CREDITED,
    *,
    rules: RuleBook = RULE_BOOK,
    config: FinanceConfiguration | None = None,
    prior_total_tiyn: int = 0,
) -> ReturnObligation | None:
    return donation.decide(
        on=on,
        rules=rules,
        configuration=configuration() if config is None else config,
        prior_total_tiyn=prior_total_tiyn,
        recorded_by=TREASURER,
    )


def last_event(donation: Donation | ReturnObligation) -> object:
    return donation.pending_events[-1]


def status(donation: Donation) -> DonationStatus:
    """The status now (a function, so that a type checker does not carry an earlier check)."""
    return donation.status
