"""Decision 309: a statement on the membership spells or the dues categories touching more members
than one transaction refreshes (a consumer catching up on the registry's history, a bulk load)
only queues them; the dues refresher, run beside the consumers, refreshes them. What the reports
then say is what the oracle says, and a live change is still refreshed in its own transaction."""

from __future__ import annotations

import random
import threading
import time
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from partia_finance.adapters.postgres.dues_refresher import DuesRefresher, queued
from partia_finance.composition import Finance
from partia_finance.domain.policies.dues import DuesCategory, rate_class
from partia_finance.migrations.versions.f0005_dues_refresher import IN_TRANSACTION
from tests.finance.adapters.test_dues_reports import (
    DATES,
    MCI,
    WHOLE,
    Party,
    buckets_kept_and_built,
    new_party,
    random_history,
)
from tests.finance.dues_oracle import History, arrears


@pytest.fixture
def party(finance: Finance) -> Party:
    return new_party(finance)


def copy_in(party: Party, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """One statement for all the rows, as a bulk load or a consumer's poll writes them (within
    20 s: a load kept waiting for a lock fails rather than hangs)."""
    with psycopg.connect(party.url, autocommit=True, options="-c statement_timeout=20s") as conn:
        statement = SQL("COPY {} ({}) FROM STDIN").format(
            Identifier(party.schema, name), SQL(", ").join(map(Identifier, columns))
        )
        with conn.cursor().copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def load_in_bulk(party: Party, members: dict[UUID, History]) -> None:
    spells = [
        (m, s.organisation_id, s.from_on, s.until_on, s.opened_by, "0012345", i)
        for m, h in members.items()
        for i, s in enumerate(h.stints)
    ]
    copy_in(party, "finance_membership_spells", ("member_id", "organisation_id", "from_on",
            "until_on", "opened_by", "card_number", "registry_position"), spells)  # fmt: skip
    categories = [
        (m, d.effective_from, rate_class(DuesCategory(d.category)).value, d.monthly_tiyn,
         d.effective_from)
        for m, h in members.items()
        for d in h.declarations
    ]  # fmt: skip
    copy_in(party, "finance_dues_categories", ("member_id", "effective_from", "category",
            "monthly_tiyn", "declared_on"), categories)  # fmt: skip
    payments = [
        (uuid4(), m, h.stints[0].organisation_id, p.paid_on, p.amount_tiyn, "cash", "receipt",
         p.reversed_on)
        for m, h in members.items()
        for p in h.payments
    ]  # fmt: skip
    copy_in(party, "finance_dues_payments", ("payment_id", "member_id", "organisation_id",
            "paid_on", "amount_tiyn", "channel", "reference", "reversed_on"), payments)  # fmt: skip


def party_arrears(party: Party, day: date) -> tuple[int, int]:
    rows = party.reports.arrears_by_organisation(WHOLE, day, "party")
    return (rows[0]["months_owed"], rows[0]["arrears_tiyn"]) if rows else (0, 0)


def oracle_arrears(members: dict[UUID, History], day: date) -> tuple[int, int]:
    owed = [arrears(h, MCI, day) for h in members.values()]
    return sum(a.months for a in owed), sum(a.tiyn for a in owed)


def run_until_empty(party: Party, refreshers: list[DuesRefresher]) -> None:
    stop = threading.Event()
    threads = [threading.Thread(target=r.run, args=(stop,), daemon=True) for r in refreshers]
    for thread in threads:
        thread.start()
    try:
        with psycopg.connect(party.url, autocommit=True) as conn:
            deadline = time.monotonic() + 120
            while queued(conn, party.schema) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not any(thread.is_alive() for thread in threads)


def test_a_bulk_load_is_queued_and_two_refreshers_leave_what_the_oracle_owes(
    party: Party,
) -> None:
    """Ch. 12.2: more members than one transaction refreshes, loaded by one statement each for
    stints and declarations: their dues wait in the queue (the party's arrears are short: only
    the few members with declarations, fewer than the limit, were refreshed at once); two
    refreshers side by side (a second copy is harmless) empty it, and then the party's arrears
    on every date are the oracle's and the per-PPO buckets equal those built afresh."""
    rng = random.Random(309)
    members = {uuid4(): random_history(rng, list(party.ppos)) for _ in range(IN_TRANSACTION + 50)}
    load_in_bulk(party, members)
    with psycopg.connect(party.url, autocommit=True) as conn:
        assert queued(conn, party.schema) >= len(members)
    assert party_arrears(party, date(2026, 12, 1)) < oracle_arrears(members, date(2026, 12, 1))

    refreshers = [DuesRefresher(party.url, party.schema, batch=40) for _ in range(2)]
    run_until_empty(party, refreshers)

    assert sum(r.refreshed for r in refreshers) >= len(members)
    for day in DATES:
        assert party_arrears(party, day) == oracle_arrears(members, day), day
    kept, built = buckets_kept_and_built(party)
    assert built
    assert kept == built


def test_a_live_change_is_refreshed_in_its_own_transaction_and_queues_nothing(
    party: Party,
) -> None:
    """A member admitted (one stint, one statement) owes from the month of admission at once,
    with no refresher running (Ch. 12.2: the entrance fee and the months since)."""
    rng = random.Random(9)
    members = {uuid4(): random_history(rng, list(party.ppos))}
    load_in_bulk(party, members)
    with psycopg.connect(party.url, autocommit=True) as conn:
        assert queued(conn, party.schema) == 0
    for day in DATES:
        assert party_arrears(party, day) == oracle_arrears(members, day), day


def test_a_live_change_while_the_refresher_is_at_work_is_queued_not_kept_waiting(
    party: Party,
) -> None:
    """A consumer's poll of a few members does not wait for a refresher's batch (which holds the
    schema's lock): it queues them, and the next refresh leaves what the oracle owes."""
    rng = random.Random(11)
    members = {uuid4(): random_history(rng, list(party.ppos))}
    lock = f"{party.schema}.finance_dues_refresh"
    with psycopg.connect(party.url) as refresher:  # a refresher's transaction, mid-batch
        refresher.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock,))
        load_in_bulk(party, members)
        with psycopg.connect(party.url, autocommit=True) as conn:
            assert queued(conn, party.schema) >= 1
        refresher.rollback()
    run_until_empty(party, [DuesRefresher(party.url, party.schema)])
    for day in DATES:
        assert party_arrears(party, day) == oracle_arrears(members, day), day
