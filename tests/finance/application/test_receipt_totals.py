"""The annual statement (Ch. 12.10) and the monthly receipts (Ch. 12.4) read from the receipts
pre-summed with the events (decision 245) equal the same reports summed from every donation, on
every date of a history with holds, refusals, a cap split and findings after acceptance, for the
whole party and for one branch's treasurer."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_finance.application import commands as c
from partia_finance.composition import Finance
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_kit.auth import Scope
from partia_kit.batches import BatchRunner
from tests.finance.application.test_registers import MEDEU, WHOLE, find, give, run, runner
from tests.finance.domain.support import (
    DECLARATION,
    NON_RESIDENT_BIN,
    PAYMENT,
    company,
)
from tests.finance.domain.test_caps import ELECTION
from tests.finance.support import ALMATY, ASTANA, PARTY

__all__ = ["runner"]  # the fixture, shared with the registers' tests


def a_history(runner: BatchRunner) -> list[date]:
    """Donations over 2025 and 2026 decided and found on different days; the days that matter."""
    fund = Purpose.election_fund(ELECTION)
    give(runner, 100_000, date(2026, 1, 15), organisation_id=MEDEU)
    give(runner, 50_000, date(2025, 12, 31))
    give(runner, 70_000, date(2026, 2, 3), organisation_id=ASTANA)
    give(runner, 10_000, date(2026, 2, 4), organisation_id=PARTY)
    give(runner, 20_000, date(2026, 2, 5), donor=company(NON_RESIDENT_BIN), personal=None)
    give(runner, 300_000, date(2026, 3, 2), purpose=fund)  # over the cap: split
    held = give(runner, 40_000, date(2026, 1, 10), evidence=Evidence((PAYMENT,)))
    run(
        runner,
        c.AddEvidence(
            actor="tolkyn",
            donation_id=UUID(held["donation_id"]),
            documents=(DECLARATION,),
            declarations=None,
            added_on=date(2026, 3, 1),
        ),
    )
    give(runner, 5_000, date(2026, 4, 20), evidence=Evidence((PAYMENT,)))  # still held
    found = give(runner, 60_000, date(2026, 1, 12), organisation_id=MEDEU)
    find(runner, found["donation_id"], date(2026, 4, 1))
    found_later = give(runner, 25_000, date(2025, 11, 3))
    find(runner, found_later["donation_id"], date(2026, 1, 20))
    days = [date(2025, 11, 2), date(2026, 4, 1), date(2026, 3, 1), date(2026, 1, 20)]
    return [*sorted({d + timedelta(days=shift) for d in days for shift in (-1, 0, 1)}), date.max]


def test_the_annual_statement_from_the_totals_equals_the_sum_of_every_donation_on_every_date(
    runner: BatchRunner, finance: Finance
) -> None:
    days = a_history(runner)
    astana, almaty = Scope(frozenset({ASTANA})), Scope(frozenset({ALMATY}))
    for scope in (WHOLE, astana, almaty):
        for year in (2025, 2026):
            for day in days:
                summed = finance.queries.annual_statement(scope, year, day)
                assert summed == finance.queries.annual_statement_scanned(scope, year, day), (
                    scope,
                    year,
                    day,
                )
    whole = finance.queries.annual_statement(WHOLE, 2026, date.max)
    assert {(r["fund"], r["donor_kind"]) for r in whole} == {
        ("party_funds", "person"),
        ("party_funds", "organisation"),
        (f"election_fund:{ELECTION}", "person"),
    }


def test_monthly_receipts_of_whole_months_from_the_totals_equal_the_sum_of_every_donation(
    runner: BatchRunner, finance: Finance
) -> None:
    """Ch. 12.4, as of each day that changed something."""
    days = a_history(runner)
    periods = [(date(2025, 1, 1), date(2026, 12, 31)), (date(2026, 1, 1), date(2026, 2, 28))]
    for scope in (WHOLE, Scope(frozenset({ALMATY}))):
        for first, last in periods:
            for day in days:
                summed = finance.queries.monthly_receipts(scope, first, last, day)
                scanned = finance.queries.monthly_receipts_scanned(scope, first, last, day)
                assert summed == scanned, (first, last, day)


def test_the_totals_follow_a_change_of_the_donation_index_however_it_is_written(
    runner: BatchRunner, finance: Finance
) -> None:
    """The triggers keep the totals whoever writes the index: an update that moves a donation
    to another organisation, and a deletion, each leave them equal to a fresh sum."""
    a_history(runner)
    assert finance.settings.database_url is not None
    index = Identifier(finance.settings.database_schema, "finance_donation_index")
    with psycopg.connect(finance.settings.database_url, autocommit=True) as conn:
        conn.execute(
            SQL("UPDATE {} SET organisation_id = %s WHERE organisation_id = %s").format(index),
            (ASTANA, MEDEU),
        )
        conn.execute(SQL("DELETE FROM {} WHERE credited_on < '2026-01-01'").format(index))
    for scope in (WHOLE, Scope(frozenset({ASTANA}))):
        for year in (2025, 2026):
            summed = finance.queries.annual_statement(scope, year, date.max)
            assert summed == finance.queries.annual_statement_scanned(scope, year, date.max)
