"""The write path under failures: a failed commit must not spoil the connection or the batch."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest

from partia_kit.idempotency import IdempotencyKey
from partia_registry.adapters.clock import SystemClock
from partia_registry.application import commands as c
from partia_registry.application.batches import BatchRunner
from partia_registry.application.handlers import handlers
from partia_registry.application.ports import ConcurrentChange
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.rules import RuleViolation
from tests.registry.builders import (
    ASTANA_ID,
    build_tree,
    citizen,
    decided,
    names,
    ok,
    person,
    signed,
)


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
    first = registry.writer.execute(new_branch(key))
    assert first.positions

    for _ in range(40):
        retry = registry.writer.execute(new_branch(key))
        assert retry.replayed
        assert (retry.receipt, retry.positions) == (first.receipt, first.positions)
        ok(registry.writer.execute(new_branch()))


def application_by(surname: str, ppo: UUID) -> c.SubmitApplication:
    return c.SubmitApplication(
        actor="registrar",
        organisation_id=ppo,
        person=person(surname=surname),
        declarations=citizen(),
        application_document=signed(),
    )


def branch_named(name: str) -> c.CreateOrganisation:
    command = new_branch()
    return replace(command, names=replace(command.names, en=name))


@pytest.mark.parametrize(
    ("culprit", "field"),
    [
        (lambda ppo: branch_named("Yesil\x00"), "names.en"),
        (lambda ppo: branch_named("Yesil \ud800"), "names.en"),
    ],
    # (a surname is sealed before it is stored, so a NUL there no longer reaches PostgreSQL)
    ids=["nul-in-an-organisation-name", "lone-surrogate-in-a-name"],
)
def test_a_command_the_database_cannot_store_fails_alone_and_the_rest_of_its_batch_is_recorded(
    registry: Registry, culprit: Callable[[UUID], c.Command], field: str
) -> None:
    """The API refuses such text, so this goes around it, as a future field or another client
    could: 40 applications and one bad command in one group commit."""
    ppo = build_tree(registry).ppo
    runner = BatchRunner(registry.store, handlers(card_prefix="BQ", clock=SystemClock()))
    valid = [application_by(f"Ахметова-{n}", ppo) for n in range(40)]

    outcomes = runner.run([*valid[:20], culprit(ppo), *valid[20:]])

    refused = outcomes.pop(20)
    assert isinstance(refused.error, RuleViolation)
    assert (refused.error.rule, refused.error.field) == ("text-not-storable", field)
    members = [UUID(str(ok(outcome)["member_id"])) for outcome in outcomes]
    assert len(set(members)) == 40
    uow = registry.store.unit_of_work()
    assert all(uow.member(member).organisation_id == ppo for member in members)


def test_each_command_of_a_group_commit_is_answered_and_replayed_with_its_own_positions(
    registry: Registry,
) -> None:
    """A client is told where its own events landed, not its batch-mates' (an idempotency row
    holds only those too, so a batch's rows do not grow with the square of its size)."""
    ppo = build_tree(registry).ppo
    runner = BatchRunner(registry.store, handlers(card_prefix="BQ", clock=SystemClock()))
    keyed = [
        replace(application_by(f"Ахметова-{n}", ppo), idempotency=IdempotencyKey("r", f"k{n}", "b"))
        for n in range(5)
    ]

    first = runner.run(keyed)
    replays = runner.run(keyed)

    own = [outcome.positions for outcome in first]
    assert all(own)
    assert len({p for positions in own if positions for p in positions}) == sum(
        len(positions or ()) for positions in own
    )
    assert all(replay.replayed for replay in replays)
    assert [replay.positions for replay in replays] == own


def test_a_command_past_a_database_limit_fails_alone_and_the_rest_of_its_batch_is_recorded(
    registry: Registry,
) -> None:
    """An index row too large (SQLSTATE 54000) is an OperationalError in psycopg, but one command
    caused it: it must not fail its batch-mates as a database failure would."""
    ppo = build_tree(registry).ppo
    runner = BatchRunner(registry.store, handlers(card_prefix="BQ", clock=SystemClock()))
    valid = [application_by(f"Ахметова-{n}", ppo) for n in range(10)]
    huge_key = IdempotencyKey("registrar", secrets.token_hex(10_000), "body")  # > a btree row
    culprit = replace(application_by("Сейітқали", ppo), idempotency=huge_key)

    outcomes = runner.run([*valid[:5], culprit, *valid[5:]])

    refused = outcomes.pop(5)
    assert refused.error is not None
    assert not isinstance(refused.error, ConcurrentChange)
    assert len({ok(outcome)["member_id"] for outcome in outcomes}) == 10


def test_a_command_that_breaks_a_table_rule_fails_alone_and_is_not_called_a_concurrent_change(
    registry: Registry,
) -> None:
    """A NOT NULL violation (SQLSTATE 23502) is an IntegrityError like a lost race on a record's
    version, but retrying it cannot help: it is isolated and answered as the error it is, not as
    409 after three retries."""
    ppo = build_tree(registry).ppo
    runner = BatchRunner(registry.store, handlers(card_prefix="BQ", clock=SystemClock()))
    valid = [application_by(f"Ахметова-{n}", ppo) for n in range(10)]
    no_fingerprint = IdempotencyKey("registrar", "k", None)  # type: ignore[arg-type]
    culprit = replace(application_by("Сейітқали", ppo), idempotency=no_fingerprint)

    outcomes = runner.run([*valid[:5], culprit, *valid[5:]])

    refused = outcomes.pop(5)
    assert refused.error is not None
    assert not isinstance(refused.error, ConcurrentChange)
    assert len({ok(outcome)["member_id"] for outcome in outcomes}) == 10
