"""Return obligations on a clock (DOMAIN §6): opened by a rejection, a later finding or an excess
over a cap; overdue from the day after the deadline; settled by the payment reference. A donation
left undecided past the same deadline is flagged, never silently accepted."""

from __future__ import annotations

from datetime import date

import pytest

from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.donors import PersonDonor
from partia_finance.domain.evidence import DocumentKind, Evidence
from partia_finance.domain.obligations import (
    ObligationCause,
    ObligationStatus,
    ReturnObligation,
    obligation_id,
)
from partia_finance.domain.policies.permissibility import PROHIBITED_SOURCES, RULE_BOOK
from partia_finance.domain.policies.returns import Disposition
from partia_kit.rules import RuleViolation, StateConflict
from tests.finance.domain.support import (
    CREDITED,
    PAYMENT,
    TREASURER,
    anonymous,
    company,
    configuration,
    decide,
    document,
    last_event,
    received,
    status,
)

REJECTED_ON = date(2026, 3, 2)
CAPPED_AT_ONE_MCI = """
[[mci]]
effective_from = 2026-01-01
kzt = 4325

[funds.party_funds]
cap_mci = 1
"""
DEADLINE = date(2026, 4, 1)  # 30 days after 2 March, the packaged default


def rejected_obligation() -> ReturnObligation:
    obligation = decide(received(company(state_body_or_organisation=True)), REJECTED_ON)
    assert obligation is not None
    return obligation


def test_a_rejection_opens_one_obligation_with_a_thirty_day_deadline_by_default() -> None:
    """Constitution Art. 6(4), Law Art. 18(2): the money goes back; the party law is silent on
    when, so the deadline is configuration (30 days, the UK standard)."""
    obligation = rejected_obligation()
    assert obligation.deadline == DEADLINE
    assert obligation.amount.tiyn == 50_000_00
    assert (obligation.rule, obligation.clause) == (
        "state-body-or-organisation",
        PROHIBITED_SOURCES,
    )
    assert obligation.id == obligation_id(obligation.donation_id, ObligationCause.REJECTED)


def test_an_obligation_is_open_on_its_deadline_and_overdue_from_the_day_after() -> None:
    obligation = rejected_obligation()
    assert obligation.status_on(DEADLINE) is ObligationStatus.OPEN
    assert obligation.status_on(date(2026, 4, 2)) is ObligationStatus.OVERDUE

    with pytest.raises(StateConflict) as early:
        obligation.mark_overdue(DEADLINE, "deadline-clock")
    assert early.value.rule == "obligation-not-yet-overdue"
    obligation.mark_overdue(date(2026, 4, 2), "deadline-clock")
    overdue = last_event(obligation)
    assert isinstance(overdue, ReturnObligation.BecameOverdue)
    assert (overdue.overdue_on, overdue.deadline) == (date(2026, 4, 2), DEADLINE)
    with pytest.raises(StateConflict):
        obligation.mark_overdue(date(2026, 4, 3), "deadline-clock")


def test_an_obligation_is_settled_by_the_payment_reference_and_says_whether_it_was_late() -> None:
    on_time = rejected_obligation()
    on_time.settle("PP-RETURN-0091", DEADLINE, TREASURER)
    settled = last_event(on_time)
    assert isinstance(settled, ReturnObligation.Settled)
    assert (settled.payment_reference, settled.late) == ("PP-RETURN-0091", False)
    assert on_time.status_on(date(2026, 5, 1)) is ObligationStatus.SETTLED
    with pytest.raises(StateConflict):
        on_time.settle("PP-RETURN-0092", DEADLINE, TREASURER)
    with pytest.raises(StateConflict):
        on_time.mark_overdue(date(2026, 5, 1), "deadline-clock")

    late = rejected_obligation()
    late.mark_overdue(date(2026, 4, 2), "deadline-clock")
    late.settle("PP-RETURN-0093", date(2026, 4, 10), TREASURER)
    assert isinstance(last_event(late), ReturnObligation.Settled)
    assert late.pending_events[-1].late is True  # type: ignore[attr-defined]


def test_a_settlement_names_its_payment_and_cannot_precede_the_obligation() -> None:
    obligation = rejected_obligation()
    with pytest.raises(RuleViolation) as unnamed:
        obligation.settle(" ", DEADLINE, TREASURER)
    assert unnamed.value.field == "payment_reference"
    with pytest.raises(RuleViolation) as early:
        obligation.settle("PP-1", date(2026, 3, 1), TREASURER)
    assert early.value.field == "settled_on"


def test_an_accepted_donation_found_impermissible_gets_its_own_event_and_a_return() -> None:
    """Constitution Art. 6(4), Law Art. 18(2): a declaration turned out false; the acceptance
    stays in the history, never edited."""
    donation = received(company())
    decide(donation)
    registry_extract = document(DocumentKind.DECLARATION, "state-register-extract.pdf")
    obligation = donation.find_impermissible(
        rule="foreign-participation",
        clause=PROHIBITED_SOURCES,
        reason="the state register lists a foreign founder with 40 %",
        evidence=Evidence((registry_extract,)),
        found_on=date(2026, 6, 1),
        configuration=configuration(),
        recorded_by=TREASURER,
    )
    assert status(donation) is DonationStatus.FOUND_IMPERMISSIBLE
    assert obligation is not None
    names = [type(e).__name__ for e in donation.pending_events]
    assert names == ["Received", "Accepted", "FoundImpermissible"]
    assert obligation.cause is ObligationCause.FOUND_IMPERMISSIBLE
    assert obligation.amount == donation.amount
    assert obligation.deadline == date(2026, 7, 1)
    assert registry_extract in donation.evidence.documents


def test_only_an_accepted_donation_can_be_found_impermissible() -> None:
    donation = received(PersonDonor(), evidence=Evidence((PAYMENT,)))
    with pytest.raises(StateConflict) as refused:
        donation.find_impermissible(
            rule="foreign-grants",
            clause=PROHIBITED_SOURCES,
            reason="-",
            evidence=Evidence(),
            found_on=CREDITED,
            configuration=configuration(),
            recorded_by=TREASURER,
        )
    assert refused.value.rule == "not-accepted"


def test_a_donation_still_undecided_after_the_deadline_is_flagged_from_the_day_after() -> None:
    """DOMAIN §6: never silently accepted; the held donation is flagged on the same clock."""
    donation = received(PersonDonor(), evidence=Evidence((PAYMENT,)))
    decide(donation)
    assert status(donation) is DonationStatus.HELD
    config = configuration()
    assert donation.decision_deadline(config) == DEADLINE
    with pytest.raises(StateConflict) as early:
        donation.flag_undecided(DEADLINE, config, "deadline-clock")
    assert early.value.rule == "decision-not-yet-late"
    donation.flag_undecided(date(2026, 4, 2), config, "deadline-clock")
    flagged = last_event(donation)
    assert isinstance(flagged, Donation.LeftUndecided)
    assert (flagged.deadline, flagged.flagged_on) == (DEADLINE, date(2026, 4, 2))
    assert status(donation) is DonationStatus.HELD
    with pytest.raises(StateConflict):
        donation.flag_undecided(date(2026, 4, 3), config, "deadline-clock")


def test_a_decided_donation_is_never_flagged_as_undecided() -> None:
    donation = received(company())
    decide(donation)
    with pytest.raises(StateConflict):
        donation.flag_undecided(date(2026, 5, 1), configuration(), "deadline-clock")


def test_a_finding_on_a_donation_the_cap_left_wholly_unaccepted_opens_no_second_return() -> None:
    """The excess already has its obligation; nothing accepted means nothing more to return."""
    config = configuration(CAPPED_AT_ONE_MCI)
    donation = received(company(), tiyn=10_000_00)
    over_cap = decide(donation, config=config, prior_total_tiyn=4325_00)
    assert over_cap is not None
    assert over_cap.amount == donation.amount
    found = donation.find_impermissible(
        rule="foreign-participation",
        clause=PROHIBITED_SOURCES,
        reason="a foreign founder",
        evidence=Evidence(),
        found_on=date(2026, 6, 1),
        configuration=config,
        recorded_by=TREASURER,
    )
    assert found is None
    assert status(donation) is DonationStatus.FOUND_IMPERMISSIBLE


def test_a_finding_cannot_be_dated_before_the_acceptance() -> None:
    donation = received(company())
    decide(donation, date(2026, 3, 10))
    with pytest.raises(RuleViolation) as early:
        donation.find_impermissible(
            rule="foreign-participation",
            clause=PROHIBITED_SOURCES,
            reason="-",
            evidence=Evidence(),
            found_on=date(2026, 3, 9),
            configuration=configuration(),
            recorded_by=TREASURER,
        )
    assert early.value.rule == "found-before-accepted"


def test_where_an_anonymous_donors_money_goes_is_configuration() -> None:
    """DOMAIN §6: the party law is silent; counsel decides, the configuration says it."""
    config = configuration('anonymous_disposition = "return_to_donor"\n' + CAPPED_AT_ONE_MCI)
    obligation = anonymous().decide(
        on=CREDITED,
        rules=RULE_BOOK,
        configuration=config,
        prior_total_tiyn=0,
        recorded_by=TREASURER,
    )
    assert obligation is not None
    assert obligation.disposition is Disposition.RETURN_TO_DONOR
