"""The write path under failures: a failed commit must not spoil the connection or the batch."""

from __future__ import annotations

from datetime import date

from partia_registry.application import commands as c
from partia_registry.application.ports import IdempotencyKey
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.organisations import OrganisationKind
from tests.registry.builders import ASTANA_ID, decided, names, ok


def new_branch(key: IdempotencyKey | None = None) -> c.CreateOrganisation:
    return c.CreateOrganisation(
        actor="registrar",
        idempotency=key,
        kind=OrganisationKind.TERRITORIAL_BRANCH,
        parent_id=ASTANA_ID,
        names=names("Yesil district branch"),
        decision=decided(BodyKind.BRANCH_BUREAU, ASTANA_ID, date(2024, 1, 15)),
    )


def test_writes_keep_working_after_many_retries_of_an_already_decided_request(
    registry: Registry,
) -> None:
    """A retry whose idempotency row collides fails its transaction inside psycopg's pipeline.
    That used to leave a pooled connection believing in a prepared statement the server never
    made, and every later write on it failed with "prepared statement _pg3_N does not exist"."""
    key = IdempotencyKey("registrar", "same-key", "same-body")
    first = ok(registry.writer.execute(new_branch(key)))

    for _ in range(40):
        retry = registry.writer.execute(new_branch(key))
        assert retry.replayed
        assert retry.receipt == first
        ok(registry.writer.execute(new_branch()))
