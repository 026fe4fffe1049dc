"""The clocks (issue 11 item 4): an obligation goes overdue the day after its deadline, once; a
donation left undecided past the deadline is flagged, never accepted; running the clock again
changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from uuid import UUID, uuid4

from partia_finance.application import commands as c
from partia_finance.application.clock import next_run, run_clock
from partia_finance.composition import Finance
from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.donors import DonorPersonalData
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.obligations import ReturnObligation
from tests.finance.domain.support import CITIZEN_IIN, DECLARATION, PAYMENT, citizen
from tests.finance.support import ALMATY, seed_tree


def receive(finance: Finance, evidence: Evidence, **declared: object) -> dict[str, str]:
    outcome = finance.writer.execute(
        c.ReceiveDonation(
            actor="tolkyn",
            donation_id=uuid4(),
            amount=Amount(10_000_00),
            credited_on=date(2026, 3, 2),
            bank_document="PP-5",
            organisation_id=ALMATY,
            purpose=Purpose.party_funds(),
            donor=citizen(**declared),
            personal=DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим"),
            evidence=evidence,
        )
    )
    assert outcome.receipt is not None, outcome.error
    return outcome.receipt


def clock(finance: Finance, on: date) -> tuple[int, int]:
    done = run_clock(
        on,
        finance.queries.late_obligations(on),
        finance.queries.undecided_donations(),
        finance.writer.execute,
    )
    return done.overdue, done.flagged


def test_an_obligation_goes_overdue_the_day_after_its_deadline_once(finance: Finance) -> None:
    seed_tree(finance)
    refused = receive(finance, Evidence((DECLARATION, PAYMENT)), citizenship="CN")
    obligation: ReturnObligation = finance.events.repository.get(UUID(refused["obligation_id"]))
    assert obligation.deadline == date(2026, 4, 1)
    assert clock(finance, date(2026, 4, 1)) == (0, 0)  # the deadline day itself is in time
    assert clock(finance, date(2026, 4, 2)) == (1, 0)
    assert clock(finance, date(2026, 4, 3)) == (0, 0)  # once
    marked: ReturnObligation = finance.events.repository.get(obligation.id)
    assert marked.overdue_on == date(2026, 4, 2)
    assert finance.queries.late_obligations(date(2026, 5, 1)) == []


def test_a_donation_left_undecided_past_its_deadline_is_flagged_and_never_accepted(
    finance: Finance,
) -> None:
    seed_tree(finance)
    held = receive(finance, Evidence((PAYMENT,)))  # no declaration: held
    assert held["status"] == "held"
    assert clock(finance, date(2026, 4, 1)) == (0, 0)
    assert clock(finance, date(2026, 4, 2)) == (0, 1)
    assert clock(finance, date(2026, 4, 3)) == (0, 0)
    donation: Donation = finance.events.repository.get(UUID(held["donation_id"]))
    assert donation.status is DonationStatus.HELD
    assert donation.flagged_undecided_on == date(2026, 4, 2)


def test_the_daily_clock_waits_for_the_next_occurrence_of_its_hour_in_utc() -> None:
    """01:00 UTC is 06:00 in Almaty (UTC+5 all year): the hour the Kubernetes CronJob uses."""
    at = time(1, 0)
    assert next_run(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), at) == datetime(
        2026, 3, 2, 1, 0, tzinfo=UTC
    )
    assert next_run(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), at) == datetime(
        2026, 3, 3, 1, 0, tzinfo=UTC
    )
    almaty = timezone(timedelta(hours=5))
    assert next_run(datetime(2026, 12, 31, 7, 0, tzinfo=almaty), at) == datetime(
        2027, 1, 1, 1, 0, tzinfo=UTC
    )
