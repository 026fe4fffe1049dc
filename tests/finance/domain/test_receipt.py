"""What a credit must be before it is recorded as a donation (Ch. 12.1, 12.6)."""

from __future__ import annotations

import pytest

from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.donors import AnonymousDonor
from partia_finance.domain.evidence import Document, DocumentKind, Evidence
from partia_finance.domain.funds import FundKind, Purpose
from partia_finance.domain.money import Amount, PaymentChannel
from partia_kit.rules import RuleViolation
from tests.finance.domain.support import (
    ALMATY_BRANCH,
    CREDITED,
    TREASURER,
    citizen,
    personal,
    received,
    status,
)


def test_cash_is_refused_before_anything_is_recorded() -> None:
    """Ch. 12.6: donations are credited to the party's bank account."""
    with pytest.raises(RuleViolation) as refused:
        received(citizen(), channel=PaymentChannel.CASH)
    assert (refused.value.rule, refused.value.clause, refused.value.field) == (
        "cash-refused",
        "Ch. 12.6",
        "channel",
    )


def test_a_bank_transfer_is_recorded_as_received_and_undecided() -> None:
    donation = received(citizen())
    assert status(donation) is DonationStatus.RECEIVED
    assert donation.personal == personal()
    assert donation.identification_number == personal().iin  # its digest keys per-donor totals
    assert not donation.is_decided


@pytest.mark.parametrize("tiyn", [0, -100, True])
def test_an_amount_is_a_positive_whole_number_of_tiyn(tiyn: int) -> None:
    with pytest.raises(RuleViolation) as refused:
        Amount(tiyn)
    assert refused.value.field == "amount.tiyn"


def test_an_amount_is_in_tenge_only() -> None:
    """Ch. 12.6: the party's bank account, in KZT."""
    with pytest.raises(RuleViolation) as refused:
        Amount(100, "USD")
    assert refused.value.rule == "currency-kzt"
    assert str(Amount(1_234_567_89)) == "1 234 567.89 KZT"


def test_an_election_fund_is_named_and_party_funds_are_kept_apart_from_it() -> None:
    with pytest.raises(RuleViolation):
        Purpose(FundKind.ELECTION_FUND)
    with pytest.raises(RuleViolation):
        Purpose(FundKind.PARTY_FUNDS, "mazhilis-2026")
    assert Purpose.election_fund("mazhilis-2026").key == "election_fund:mazhilis-2026"
    assert Purpose.party_funds().key == "party_funds"


def test_a_document_is_kept_by_its_sha256_digest() -> None:
    with pytest.raises(RuleViolation) as refused:
        Document(DocumentKind.DECLARATION, "declaration.pdf", "ABC")
    assert refused.value.field == "evidence.sha256"


def test_a_person_donor_comes_with_names_and_iin_and_nobody_else_with_personal_data() -> None:
    """Personal data only where there is a person (Constitution Art. 21)."""
    with pytest.raises(RuleViolation) as unnamed:
        Donation.receive(
            amount=Amount(100),
            credited_on=CREDITED,
            bank_document="PP-1",
            organisation_id=ALMATY_BRANCH,
            purpose=Purpose.party_funds(),
            donor=citizen(),
            personal=None,
            evidence=Evidence(),
            recorded_by=TREASURER,
        )
    assert unnamed.value.rule == "person-identified"
    with pytest.raises(RuleViolation) as stray:
        received(AnonymousDonor(), personal_data=personal())
    assert stray.value.rule == "personal-data-person-only"
