"""Finance knows who was a member of which PPO when from the registry's member events on a real
broker, applied into a real PostgreSQL (issue 12, item 1; decisions 216, 217)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_contracts.registry.v1 import MembershipEndReason
from partia_finance.adapters.memberships import MembershipView, Stint, consumer
from partia_finance.composition import Finance
from partia_kit.broker import Broker
from partia_kit.testing import running, wait_for
from partia_registry.composition import Registry
from partia_registry.settings import RegistrySettings
from tests.finance.memberships_support import (
    PPO_A,
    PPO_B,
    History,
    applied_offsets,
    create_topic,
    publish,
    spells,
)
from tests.registry.builders import admit, apply, build_tree
from tests.registry.relay.support import relay_thread

REPO = Path(__file__).resolve().parents[3]
MEMBER = UUID("9d8c7b6a-5f4e-4d3c-ab2a-1f0e9d8c7b6a")


def _url(finance: Finance) -> str:
    assert finance.settings.database_url is not None
    return finance.settings.database_url


@contextmanager
def following(finance: Finance, broker: Broker) -> Iterator[MembershipView]:
    schema = finance.settings.database_schema
    follower = consumer(_url(finance), schema, broker.bootstrap)
    with running(follower.run, "finance members"):
        yield MembershipView(finance.pool.connection, schema)


def _applied(finance: Finance, history: History) -> None:
    url, schema = _url(finance), finance.settings.database_schema
    wait_for(
        lambda: applied_offsets(url, schema) == len(history.messages), what="every member event"
    )


def _stint(
    organisation: UUID, from_on: date, until_on: date | None, opened: str, closed: str | None
) -> Stint:
    return Stint(MEMBER, organisation, from_on, until_on, opened, closed, "0012345")


def test_an_admission_over_the_registry_opens_a_stint_from_the_admission_decisions_date(
    settings: RegistrySettings, registry: Registry, finance: Finance, own_kafka_broker: Broker
) -> None:
    """The registry puts the admission decision's date in member.admitted's effective_on."""
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, on=date(2026, 3, 1))
    admitted = admit(registry, member, tree.ppo, on=date(2026, 3, 10))
    with (
        relay_thread(settings, registry, own_kafka_broker.bootstrap),
        following(finance, own_kafka_broker) as view,
    ):
        wait_for(lambda: view.stints(member) != [], what="the member in finance")
    [stint] = view.stints(member)
    assert (stint.organisation_id, stint.from_on, stint.until_on) == (
        tree.ppo,
        date(2026, 3, 10),
        None,
    )
    assert (stint.opened_by, stint.closed_by) == ("admission", None)
    assert stint.card_number == admitted["card_number"]
    assert view.member_by_card(str(admitted["card_number"])) == member
    assert view.members_of(tree.ppo, date(2026, 3, 10)) == [member]
    assert view.members_of(tree.ppo, date(2026, 3, 9)) == []


def test_a_transfer_closes_the_stint_on_its_effective_date_and_opens_one_in_the_new_ppo(
    finance: Finance, own_kafka_broker: Broker
) -> None:
    history = History()
    history.admitted(MEMBER, date(2025, 1, 15))
    history.transferred(MEMBER, date(2025, 4, 20), PPO_A, PPO_B)  # same poll as the admission
    publish(own_kafka_broker.bootstrap, history.messages)
    with following(finance, own_kafka_broker) as view:
        _applied(finance, history)
    assert view.stints(MEMBER) == [
        _stint(PPO_A, date(2025, 1, 15), date(2025, 4, 20), "admission", "transfer"),
        _stint(PPO_B, date(2025, 4, 20), None, "transfer", None),
    ]
    assert view.members_of(PPO_A, date(2025, 4, 19)) == [MEMBER]
    assert view.members_of(PPO_A, date(2025, 4, 20)) == []
    assert view.members_of(PPO_B, date(2025, 4, 20)) == [MEMBER]


def test_a_withdrawal_and_an_expulsion_close_the_open_stint_with_their_reason(
    finance: Finance, own_kafka_broker: Broker
) -> None:
    """An expulsion is published as sanction_imposed alone (no membership_ended follows); a
    reprimand ends nothing."""
    expelled = uuid.uuid4()
    history = History()
    history.admitted(MEMBER, date(2025, 1, 15))
    history.withdrew(MEMBER, date(2025, 6, 3))
    history.admitted(expelled, date(2025, 2, 1), card="0099")
    history.reprimanded(expelled, date(2025, 3, 1))
    history.expelled(expelled, date(2025, 5, 12), uuid.uuid4())
    publish(own_kafka_broker.bootstrap, history.messages)
    with following(finance, own_kafka_broker) as view:
        _applied(finance, history)
    assert view.stints(MEMBER) == [
        _stint(PPO_A, date(2025, 1, 15), date(2025, 6, 3), "admission", "withdrawal")
    ]
    [stint] = view.stints(expelled)
    assert (stint.from_on, stint.until_on, stint.closed_by) == (
        date(2025, 2, 1),
        date(2025, 5, 12),
        "exclusion",
    )


def test_a_restoration_after_an_annulled_expulsion_reopens_the_stint_it_closed(
    finance: Finance, own_kafka_broker: Broker
) -> None:
    """Ch. 5.1: an expulsion annulled on appeal; the membership continues as if it had not ended
    (decision 216: one stint, the gap owed, no new entrance fee)."""
    sanction = uuid.uuid4()
    history = History()
    history.admitted(MEMBER, date(2025, 1, 15))
    history.expelled(MEMBER, date(2025, 3, 12), sanction)
    publish(own_kafka_broker.bootstrap, history.messages)
    with following(finance, own_kafka_broker) as view:
        _applied(finance, history)
        assert view.stints(MEMBER)[0].until_on == date(2025, 3, 12)
        history.messages.clear()
        history.restored(MEMBER, date(2025, 5, 20), sanction)
        publish(own_kafka_broker.bootstrap, history.messages)
        wait_for(lambda: view.stints(MEMBER)[0].until_on is None, what="the restoration")
    assert view.stints(MEMBER) == [_stint(PPO_A, date(2025, 1, 15), None, "admission", None)]
    assert view.members_of(PPO_A, date(2025, 4, 1)) == [MEMBER]


def test_a_readmission_after_leaving_opens_a_new_stint_opened_by_admission(
    finance: Finance, own_kafka_broker: Broker
) -> None:
    history = History()
    history.admitted(MEMBER, date(2024, 2, 1))
    history.ended(MEMBER, date(2024, 9, 1), MembershipEndReason.PERMANENT_RESIDENCE_ABROAD)
    history.admitted(MEMBER, date(2025, 10, 7), ppo=PPO_B, card="0077777")
    publish(own_kafka_broker.bootstrap, history.messages)
    with following(finance, own_kafka_broker) as view:
        _applied(finance, history)
    assert view.stints(MEMBER) == [
        _stint(PPO_A, date(2024, 2, 1), date(2024, 9, 1), "admission",
               "permanent_residence_abroad"),
        Stint(MEMBER, PPO_B, date(2025, 10, 7), None, "admission", None, "0077777"),
    ]  # fmt: skip
    assert view.member_by_card("0077777") == MEMBER
    assert view.member_by_card("0012345") == MEMBER
    assert view.member_by_card("no such card") is None


def _many(members: int) -> tuple[History, list[UUID]]:
    """A history where most members are transferred, and some leave, are expelled and restored,
    or come back: every kind of event, interleaved across members."""
    ids = [uuid.UUID(int=i + 1) for i in range(members)]
    history = History()
    for i, m in enumerate(ids):
        history.admitted(m, date(2024, 1 + i % 12, 1 + i % 28), card=f"C{i:06d}")
    for i, m in enumerate(ids):
        if i % 3 == 0:
            history.transferred(m, date(2025, 1 + i % 12, 1), PPO_A, PPO_B)
        if i % 5 == 0:
            history.withdrew(m, date(2025, 12, 1), ppo=PPO_B if i % 3 == 0 else PPO_A)
        elif i % 7 == 0:
            sanction = uuid.uuid4()
            history.expelled(m, date(2025, 12, 5), sanction)
            history.restored(m, date(2026, 2, 5), sanction)
    for i, m in enumerate(ids):
        if i % 5 == 0 and i % 2 == 0:
            history.admitted(m, date(2026, 6, 1), card=f"D{i:06d}")
    return history, ids


def _reference(history: History, finance: Finance, broker: Broker) -> list[tuple[object, ...]]:
    """What one consumer that never crashed makes of the history, in a schema of its own."""
    from partia_finance.composition import open_finance
    from partia_kit.testing import new_schema

    other = finance.settings.model_copy(update={"database_schema": new_schema()})
    clean = open_finance(other)
    try:
        follower = consumer(_url(finance), other.database_schema, broker.bootstrap)
        follower.config = replace(follower.config, name="finance_members_reference")
        with running(follower.run, "the reference consumer"):
            wait_for(lambda: follower.applied >= len(history.messages), what="the reference")
        return list(spells(_url(finance), other.database_schema))
    finally:
        clean.close()


def _members_process(
    finance: Finance, broker: Broker, kill: str, after: int, log: Path
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, str(REPO / "tests/finance/adapters/members_process.py"),
             _url(finance), finance.settings.database_schema, broker.bootstrap, kill, str(after)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_a_consumer_killed_mid_batch_and_replaying_changes_nothing(
    finance: Finance, own_kafka_broker: Broker, tmp_path: Path
) -> None:
    """Exactly once in effect: killed inside a batch's transaction, killed between the database's
    commit and Kafka's, and then made to replay the whole topic from offset 0 with its record of
    applied event ids lost too: the spells are those of a consumer that never crashed."""
    history, _ = _many(300)
    publish(own_kafka_broker.bootstrap, history.messages)
    url, schema = _url(finance), finance.settings.database_schema
    for kill, after in (("mid-batch", 2), ("after-commit", 2), ("mid-batch", 3)):
        crashing = _members_process(finance, own_kafka_broker, kill, after, tmp_path / "m.log")
        try:
            assert crashing.wait(60) == -9, f"the consumer killed itself ({kill})"
        finally:
            crashing.kill()
    assert 0 < applied_offsets(url, schema) < len(history.messages)
    finishing = _members_process(finance, own_kafka_broker, "never", 0, tmp_path / "m.log")
    try:
        wait_for(lambda: applied_offsets(url, schema) == len(history.messages), what="the rest")
    finally:
        finishing.terminate()
        finishing.wait(15)
    reference = _reference(history, finance, own_kafka_broker)
    assert spells(url, schema) == reference
    with psycopg.connect(url, autocommit=True) as conn:  # rewound, and no event ids to dedup
        conn.execute(
            SQL("UPDATE {} SET next_offset = 0").format(
                Identifier(schema, "finance_members_consumer_offsets")
            )
        )
        conn.execute(
            SQL("DELETE FROM {}").format(Identifier(schema, "finance_members_consumer_seen"))
        )
    replaying = consumer(url, schema, own_kafka_broker.bootstrap)
    with running(replaying.run, "the replaying consumer"):
        wait_for(lambda: replaying.applied == len(history.messages), what="a replay")
    assert spells(url, schema) == reference


def test_two_consumers_at_once_apply_each_event_once(
    finance: Finance, own_kafka_broker: Broker
) -> None:
    """Two `project` processes (or threads) share the topic's partitions in one group; what they
    make together is what one makes alone."""
    history, ids = _many(400)
    create_topic(own_kafka_broker.bootstrap)
    url, schema = _url(finance), finance.settings.database_schema
    one = consumer(url, schema, own_kafka_broker.bootstrap, max_poll_records=50)
    two = consumer(url, schema, own_kafka_broker.bootstrap, max_poll_records=50)
    with running(one.run, "one"), running(two.run, "two"):  # started at once
        wait_for(
            lambda: len(one.lag()) + len(two.lag()) == 6 and bool(one.lag()) and bool(two.lag()),
            what="the six partitions shared by both",
        )
        publish(own_kafka_broker.bootstrap, history.messages)
        wait_for(lambda: applied_offsets(url, schema) == len(history.messages), what="all")
    assert one.applied > 0
    assert two.applied > 0
    assert one.applied + two.applied == len(history.messages)
    reference = _reference(history, finance, own_kafka_broker)
    assert spells(url, schema) == reference
    view = MembershipView(finance.pool.connection, schema)
    assert [s.opened_by for s in view.stints(ids[30])] == ["admission", "transfer", "admission"]
    assert [s.closed_by for s in view.stints(ids[7])] == [None]  # expelled, then restored
