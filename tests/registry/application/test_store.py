"""The event store under a unit of work far larger than the writer's batches."""

from __future__ import annotations

import threading

from bench import party
from partia_registry.composition import Registry


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
