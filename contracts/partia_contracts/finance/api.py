"""The finance service's HTTP API: request and response bodies, shared with every client
(issue 11). Amounts are whole tiyn in KZT; dates are business dates (the bank credit's, the
decision's); recorded times are UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from partia_contracts.text import StorableText

_PAYMENT_SHA = "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea"
_DECLARATION_SHA = "9b74c9897bac770ffc029102a200c5de7d6a7e4e2b1fbd0e6d6c58d6a0e0b6f1"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentRef(_Body):
    """A document the party keeps, by reference and the SHA-256 of its bytes."""

    kind: Literal["declaration", "payment"]
    reference: StorableText = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="64 lowercase hex digits")


class PersonDonorIn(_Body):
    kind: Literal["person"]
    iin: str = Field(pattern=r"^[0-9]{12}$", description="12 digits; checked, refused if invalid")
    surname: StorableText = Field(min_length=1, max_length=100)
    given_name: StorableText = Field(min_length=1, max_length=100)
    patronymic: StorableText | None = Field(default=None, max_length=100)
    citizenship: str | None = Field(
        default=None,
        description='declared: ISO 3166-1 alpha-2 ("KZ") or "stateless"; null = not declared',
    )
    receives_foreign_grants: bool | None = None


class OrganisationDonorIn(_Body):
    kind: Literal["organisation"]
    bin: str = Field(pattern=r"^[0-9]{12}$", description="12 digits; digit 5 = 5: non-resident")
    name: StorableText = Field(min_length=1, max_length=300)
    foreign_participation: bool | None = None
    state_body_or_organisation: bool | None = None
    religious_association: bool | None = None
    charitable_organisation: bool | None = None
    receives_foreign_grants: bool | None = None


class ForeignEntityDonorIn(_Body):
    kind: Literal["foreign_entity"]
    name: StorableText = Field(min_length=1, max_length=300)
    entity: Literal["foreign_state", "foreign_legal_entity", "international_organisation"]
    country: str | None = None


class AnonymousDonorIn(_Body):
    kind: Literal["anonymous"]


DonorIn = Annotated[
    PersonDonorIn | OrganisationDonorIn | ForeignEntityDonorIn | AnonymousDonorIn,
    Field(discriminator="kind"),
]


class PurposeIn(_Body):
    kind: Literal["party_funds", "election_fund"] = "party_funds"
    election: StorableText | None = Field(default=None, max_length=100)


class ReceiveDonationRequest(_Body):
    """A credit from the bank statement; it is checked by the rules in force on `decided_on` (the
    credit's date if not given) as it is recorded."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount_tiyn": 5_000_000,
                    "currency": "KZT",
                    "credited_on": "2026-03-02",
                    "bank_document": "PP-4471",
                    "organisation_id": "4b1f7d1e-2d2a-5a7c-9a55-0c1d3c2b1a00",
                    "purpose": {"kind": "party_funds"},
                    "donor": {
                        "kind": "person",
                        "iin": "850412400121",
                        "surname": "Абенова",
                        "given_name": "Айгерим",
                        "citizenship": "KZ",
                        "receives_foreign_grants": False,
                    },
                    "evidence": [
                        {"kind": "payment", "reference": "PP-4471.pdf", "sha256": _PAYMENT_SHA},
                        {
                            "kind": "declaration",
                            "reference": "declaration-031.pdf",
                            "sha256": _DECLARATION_SHA,
                        },
                    ],
                }
            ]
        },
    )

    amount_tiyn: int = Field(gt=0, description="whole tiyn (1 KZT = 100 tiyn)")
    currency: Literal["KZT"] = "KZT"
    credited_on: date = Field(description="the business date the bank credited the money")
    bank_document: StorableText = Field(min_length=1, max_length=100)
    organisation_id: UUID = Field(description="the receiving organisation (the party or a branch)")
    purpose: PurposeIn = PurposeIn()
    channel: Literal["bank_transfer", "cash"] = Field(
        default="bank_transfer", description="cash is refused (Ch. 12.6)"
    )
    donor: DonorIn
    evidence: list[DocumentRef] = Field(default_factory=list, max_length=20)
    decided_on: date | None = Field(default=None, description="business date of the decision")


class PersonDeclarationsIn(_Body):
    kind: Literal["person"]
    citizenship: str | None = None
    receives_foreign_grants: bool | None = None


class OrganisationDeclarationsIn(_Body):
    kind: Literal["organisation"]
    foreign_participation: bool | None = None
    state_body_or_organisation: bool | None = None
    religious_association: bool | None = None
    charitable_organisation: bool | None = None
    receives_foreign_grants: bool | None = None


class AddEvidenceRequest(_Body):
    """The missing declaration (or another document) for an undecided donation; a held one is
    decided again, on `added_on`, by the rules in force then."""

    documents: list[DocumentRef] = Field(min_length=1, max_length=20)
    declarations: (
        Annotated[PersonDeclarationsIn | OrganisationDeclarationsIn, Field(discriminator="kind")]
        | None
    ) = None
    added_on: date


class ErasureRequest(_Body):
    erased_on: date = Field(description="the business date of the erasure")


class SettlementRequest(_Body):
    payment_reference: StorableText = Field(min_length=1, max_length=100)
    settled_on: date


class DonationReceipt(BaseModel):
    donation_id: UUID
    status: Literal["received", "held", "accepted", "rejected", "found_impermissible"]
    obligation_id: UUID | None = None
    rule: str | None = Field(default=None, description="the rule that refused it, if refused")
    clause: str | None = None
    positions: list[int] = Field(default_factory=list)


class RuleCheckOut(BaseModel):
    rule: str
    clause: str
    outcome: str
    reason: str


class DecisionOut(BaseModel):
    kind: Literal["held", "accepted", "rejected", "found_impermissible", "evidence_added"]
    on: date
    rule_set: str | None = None
    rule: str | None = None
    clause: str | None = None
    checks: list[RuleCheckOut] = Field(default_factory=list)
    accepted_tiyn: int | None = None
    excess_tiyn: int | None = None
    obligation_id: UUID | None = None
    recorded_by: str
    recorded_at: datetime = Field(
        description="when it was recorded (UTC); `on` is the business date"
    )


class DonationView(BaseModel):
    donation_id: UUID
    status: str
    amount_tiyn: int
    currency: str
    credited_on: date
    bank_document: str
    organisation_id: UUID
    purpose: dict[str, Any]
    donor: dict[str, Any]
    evidence: list[DocumentRef]
    history: list[DecisionOut]
    recorded_by: str
    recorded_at: datetime = Field(description="when the credit was recorded (UTC)")


class DonationRow(BaseModel):
    donation_id: UUID
    organisation_id: UUID
    fund: str
    donor_kind: str
    amount_tiyn: int
    accepted_tiyn: int
    status: str
    credited_on: date
    decided_on: date | None
    rule: str | None


class DonationList(BaseModel):
    items: list[DonationRow]


class ObligationRow(BaseModel):
    obligation_id: UUID
    donation_id: UUID
    organisation_id: UUID
    fund: str
    amount_tiyn: int
    cause: str
    rule: str
    clause: str
    disposition: str
    opened_on: date
    deadline: date
    status: Literal["open", "overdue", "settled"]
    settled_on: date | None
    payment_reference: str | None


class ObligationList(BaseModel):
    as_of: date
    items: list[ObligationRow]


class StatementRequest(_Body):
    """A bank statement in the documented CSV layout (`partia_finance.application.statements`:
    credited_on, amount, currency, document, payer_kind, payer_id, payer_name, purpose), for the
    account of one receiving organisation."""

    organisation_id: UUID
    csv: str = Field(min_length=1, max_length=1_000_000)


class StatementLineOut(BaseModel):
    line: int
    outcome: Literal[
        "received",
        "held",
        "accepted",
        "rejected",
        "already_imported",
        "unmatched",
        "dues_recorded",  # a dues payment of the member whose party card the purpose names
    ]
    donation_id: UUID | None = None
    member_id: UUID | None = None
    payment_id: UUID | None = Field(default=None, description="the dues payment, if dues")
    obligation_id: UUID | None = None
    rule: str | None = Field(default=None, description="the rule that refused it, if refused")
    clause: str | None = None
    reason: str | None = None


class StatementImport(BaseModel):
    recorded: int
    already_imported: int
    unmatched: int
    lines: list[StatementLineOut]


class ReceiptsBySource(BaseModel):
    fund: str
    donor_kind: str
    accepted: int
    accepted_tiyn: int
    rejected: int
    rejected_tiyn: int


class AnnualStatement(BaseModel):
    """Receipts of a year by fund and source, for publication (Ch. 12.10): no donor is named."""

    year: int
    as_of: date
    items: list[ReceiptsBySource]


class FindingRequest(_Body):
    """An accepted donation found to be from a prohibited source (a declaration was false): the
    rule it breaks, why, the documents that show it, and the business date of the finding."""

    rule: Literal[
        "foreign-state-or-legal-entity",
        "foreigner-or-stateless-person",
        "foreign-participation",
        "state-body-or-organisation",
        "religious-or-charitable-organisation",
        "foreign-grants",
    ]
    reason: StorableText = Field(min_length=1, max_length=2000)
    documents: list[DocumentRef] = Field(min_length=1, max_length=20)
    found_on: date


class MonthlyReceipts(BaseModel):
    regional_branch_id: UUID | None = Field(
        description="the regional branch (a local branch counts for its region); null: the"
        " central office"
    )
    month: date = Field(description="the month's first day")
    fund: str
    accepted: int
    accepted_tiyn: int


class MonthlyReceiptsReport(BaseModel):
    """Accepted receipts per regional branch, month and fund (Ch. 12.4), as decided by `as_of`."""

    first: date
    last: date
    as_of: date
    items: list[MonthlyReceipts]


class DonorTotal(BaseModel):
    donor_digest: str = Field(
        description="a keyed digest of the donor's IIN or BIN (hex): the same donor across"
        " branches, never the number"
    )
    donor_kind: str
    donor_name: str | None = Field(
        default=None,
        description="the donor's name from their newest donation in the reader's scope, for"
        " readers allowed personal data (each read of a person's name is on the finance access"
        " log); null with `names=false`, after erasure, or for a reader without that permission",
    )
    fund: str
    period: str = Field(description='the year, or "whole_fund" when the cap counts a fund\'s life')
    donations: int = Field(description="credited in the year")
    received_tiyn: int
    accepted_tiyn: int = Field(description="accepted in the period, as of `as_of`")
    returned_excess_tiyn: int = Field(description="over the cap, owed back (in the year)")
    cap_mci: str | None
    mci_kzt: int | None
    cap_tiyn: int | None = Field(description="null: the fund has no cap")
    left_tiyn: int | None
    exceeded_tiyn: int | None


class DonorRegister(BaseModel):
    """Per donor and fund against the caps (DOMAIN §6), as of a date; never the IIN or BIN, the
    name only for readers allowed personal data."""

    year: int
    as_of: date
    items: list[DonorTotal]


class RefusedDonation(BaseModel):
    donation_id: UUID
    organisation_id: UUID
    fund: str
    donor_kind: str
    amount_tiyn: int
    credited_on: date
    decision: Literal["rejected", "found_impermissible"]
    decided_on: date
    returned_tiyn: int
    rule: str | None
    clause: str | None


class RefusedDonationList(BaseModel):
    """Donations rejected, or accepted and found impermissible, by a date, with the rule and
    clause (Constitution Art. 6(4), Law Art. 18(2))."""

    first: date
    last: date
    as_of: date
    items: list[RefusedDonation]


class FinanceAccessRecord(BaseModel):
    """One answered read that returned a donor's personal data (a person's name)."""

    id: int = Field(description="increasing with each record stored")
    read_at: datetime = Field(description="when the data was read")
    user: str = Field(description="who read it (the token's user)")
    roles: list[str] = Field(description="the user's roles then")
    operation: str = Field(description="the operation, e.g. `donor_register`")
    route: str = Field(description="method and route template, e.g. `GET /reports/donors`")
    donation_ids: list[UUID] = Field(
        description="the donations whose sealed personal data was opened (a donor's data is"
        " sealed per donation)"
    )
    fields: list[str] = Field(description="which personal data it returned, e.g. `full_name`")


class FinanceAccessLogPage(BaseModel):
    items: list[FinanceAccessRecord] = Field(description="newest first")
    total: int
    limit: int
    offset: int
