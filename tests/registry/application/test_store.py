"""The event store under a unit of work far larger than the writer's batches."""

from __future__ import annotations

import threading

import pytest
from psycopg.sql import SQL

from bench import party
from partia_kit.postgres.statements import table
from partia_registry.application.ports import ConcurrentChange
from partia_registry.composition import Registry


def _events(registry: Registry) -> int:
    log = table(registry.store.schema, registry.store.events_table)
    return int(registry.store.query(SQL("SELECT count(*) AS n FROM {}").format(log))[0]["n"])


def test_a_unit_of_work_of_a_megabyte_of_events_commits_instead_of_hanging(
    registry: Registry,
) -> None:
    """1,200 new organisations (~1 MB of events) used to leave the server waiting for the rest
    of the statement and the client for its result, forever (psycopg's pipeline flushes once)."""
    tree = party.build_tree(1000, seed=1)
    uow = registry.store.unit_of_work()
    for organisation in tree.organisations:
        uow.add(organisation)
    positions: list[int] = []
    committing = threading.Thread(target=lambda: positions.extend(uow.commit()), daemon=True)

    committing.start()
    committing.join(timeout=60)

    assert not committing.is_alive(), "the commit did not return"
    assert len(positions) == len(tree.organisations) == 1200
    assert registry.queries.organisation(tree.ppos[-1])["kind"] == "primary_organisation"


def test_a_commit_that_collides_stores_nothing_and_the_next_commits_succeed(
    registry: Registry,
) -> None:
    """The commit is one round trip (BEGIN to COMMIT in one pipeline): a unique violation must
    still come back as a conflict, leave nothing of that commit behind, and leave no connection
    stuck in the failed transaction."""
    first, again = party.build_tree(1, seed=2), party.build_tree(1, seed=2)
    uow = registry.store.unit_of_work()
    uow.add(first.organisations[0])
    stored = len(uow.commit())
    events_before = _events(registry)

    colliding = registry.store.unit_of_work()
    for organisation in again.organisations:  # the first one was stored already
        colliding.add(organisation)
    with pytest.raises(ConcurrentChange):
        colliding.commit()

    assert _events(registry) == events_before
    for seed in range(3, 13):  # more commits than the pool has connections
        later = registry.store.unit_of_work()
        for organisation in party.build_tree(1, seed=seed).organisations:
            later.add(organisation)
        assert later.commit()
    assert stored == 1
