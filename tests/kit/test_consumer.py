"""The consumer toolkit against a real broker and a real PostgreSQL: each message applied once in
effect whatever crashes, and no message blocking its partition for good."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import NewTopic

from partia_kit.broker import Broker
from partia_kit.consumer import (
    INCOMPATIBLE_VERSION,
    REFUSED,
    UNREADABLE,
    Consumer,
    TransientError,
    run_together,
)
from partia_kit.messages import IncomingEvent, OutboundMessage
from partia_kit.testing import read_topic, wait_for
from tests.kit.support import (
    ADMITTED,
    config,
    consumer_thread,
    effects,
    message,
    new_effects_schema,
    new_topic,
    produce,
    record_effect,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def schema(database_url: str) -> str:
    return new_effects_schema(database_url, "kit")


def _consumer_process(
    database_url: str, schema: str, broker: Broker, topic: str, kill_after: int, log: Path
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                str(REPO / "tests/kit/consumer_process.py"),
                database_url,
                schema,
                broker.bootstrap,
                topic,
                str(kill_after),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_consumer_killed_between_its_effect_and_its_commit_applies_nothing_twice(
    database_url: str, schema: str, kafka_broker: Broker, tmp_path: Path
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [message(topic, n) for n in range(1, 41)])
    for kill_after in (7, 11):  # each run dies after its 7th/11th effect, before Kafka's commit
        crashing = _consumer_process(
            database_url, schema, kafka_broker, topic, kill_after, tmp_path / "c.log"
        )
        assert crashing.wait(60) == -9, "the consumer killed itself mid-stream"
    assert 0 < len(effects(database_url, schema)) < 40
    finishing = _consumer_process(database_url, schema, kafka_broker, topic, 0, tmp_path / "c.log")
    try:
        wait_for(lambda: len(effects(database_url, schema)) >= 40, what="all 40 effects")
    finally:
        finishing.terminate()
        finishing.wait(15)
    applied = effects(database_url, schema)
    assert [n for _, n in applied] == list(range(1, 41)), "each once, in order"


def test_a_poison_message_goes_to_the_dead_letter_topic_with_its_reason_and_the_partition_moves_on(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    good = record_effect(schema)

    def refuse_13(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        if event.data["n"] == 13:
            raise ValueError("n must not be 13")
        good(conn, event)

    not_a_cloudevent = OutboundMessage(topic, b"member-1", [], b"{}")
    produce(
        kafka_broker.bootstrap,
        [
            message(topic, 1),
            message(topic, 13),
            not_a_cloudevent,
            message(topic, 2, event_type="partia.registry.member.admitted.v2"),
            message(topic, 3, event_type="partia.registry.member.renamed.v1"),
            message(topic, 4),
        ],
    )
    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic), {ADMITTED: refuse_13}
    )
    with consumer_thread(consumer):
        wait_for(
            lambda: len(effects(database_url, schema)) >= 2, what="the messages after the poison"
        )
    assert [n for _, n in effects(database_url, schema)] == [1, 4]
    dead = read_topic(kafka_broker.bootstrap, f"{topic}.dlq", until=lambda rs: len(rs) >= 3)
    reasons = {r.headers["dlq_reason"].decode(): r for r in dead}
    assert set(reasons) == {REFUSED, UNREADABLE, INCOMPATIBLE_VERSION}
    assert b"n must not be 13" in reasons[REFUSED].headers["dlq_error"]
    assert reasons[REFUSED].headers["ce_id"] == b"event-13", "the message is kept as it was"
    assert reasons[REFUSED].headers["dlq_topic"] == topic.encode()
    assert consumer.skipped == Counter({"partia.registry.member.renamed.v1": 1}), (
        "unknown types are counted"
    )
    assert consumer.dead_lettered == Counter({REFUSED: 1, UNREADABLE: 1, INCOMPATIBLE_VERSION: 1})


def test_a_transient_error_is_retried_until_it_passes_and_later_messages_wait_for_it(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    good = record_effect(schema)
    failures = Counter[int]()

    def flaky(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        if event.data["n"] == 2 and failures[2] < 3:
            failures[2] += 1
            raise TransientError("the registry is restarting")
        good(conn, event)

    produce(kafka_broker.bootstrap, [message(topic, n) for n in (1, 2, 3)])
    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic), {ADMITTED: flaky}
    )
    with consumer_thread(consumer):
        wait_for(lambda: len(effects(database_url, schema)) >= 3, what="all three effects")
        wait_for(lambda: sum(consumer.lag().values()) == 0, what="no lag")
    assert [n for _, n in effects(database_url, schema)] == [1, 2, 3]
    assert failures[2] == 3
    assert not consumer.dead_lettered


def test_a_redelivered_event_is_applied_once(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    """The relay may publish its unacknowledged tail twice: the event id decides."""
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [message(topic, 1), message(topic, 2), message(topic, 1)])
    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic),
        {ADMITTED: record_effect(schema)},
    )
    with consumer_thread(consumer):
        wait_for(lambda: consumer.duplicates == 1, what="the duplicate")
    assert [n for _, n in effects(database_url, schema)] == [1, 2]


def test_the_lag_counts_what_is_not_applied_yet_per_partition_including_a_message_being_retried(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    good = record_effect(schema)
    blocked = threading.Event()
    blocked.set()

    def stuck_on_3(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        if event.data["n"] == 3 and blocked.is_set():
            raise TransientError("the registry is down")
        good(conn, event)

    produce(kafka_broker.bootstrap, [message(topic, n) for n in range(1, 6)])
    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic), {ADMITTED: stuck_on_3}
    )
    partition = TopicPartition(topic, 0)
    with consumer_thread(consumer):
        wait_for(lambda: consumer.lag() == {partition: 3}, what="a lag of 3 (messages 3, 4, 5)")
        assert [n for _, n in effects(database_url, schema)] == [1, 2]
        blocked.clear()
        wait_for(lambda: consumer.lag() == {partition: 0}, what="no lag")
    assert [n for _, n in effects(database_url, schema)] == [1, 2, 3, 4, 5]


def test_the_messages_of_one_poll_are_applied_in_one_transaction_not_one_each(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    """One commit per message capped a consumer at a few hundred messages/s (decision 121)."""
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [message(topic, n) for n in range(1, 101)])
    transactions: set[int] = set()

    def effect(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        row = conn.execute("SELECT txid_current()").fetchone()
        assert row is not None
        transactions.add(int(row[0]))
        record_effect(schema)(conn, event)

    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic), {ADMITTED: effect}
    )
    with consumer_thread(consumer):
        wait_for(lambda: consumer.applied == 100, what="every message")
    assert [n for _, n in effects(database_url, schema)] == list(range(1, 101))
    assert len(transactions) <= 10, f"{len(transactions)} transactions for 100 messages"


def test_a_refused_message_amid_a_poll_is_dead_lettered_and_the_others_are_applied_once(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [message(topic, n) for n in range(1, 21)])

    def effect(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        if event.data["n"] == 7:
            raise ValueError("n = 7 is refused")
        record_effect(schema)(conn, event)

    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic), {ADMITTED: effect}
    )
    with consumer_thread(consumer):
        wait_for(lambda: consumer.applied == 19, what="the other nineteen")
    assert [n for _, n in effects(database_url, schema)] == [n for n in range(1, 21) if n != 7]
    assert consumer.dead_lettered == Counter({REFUSED: 1})


def test_a_batch_handler_gets_the_new_events_of_a_poll_in_one_call_in_their_order(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    """A statement per event caps a consumer far below its topic's rate (decision 219); the batch
    handler writes a poll's effects at once, each event once (a duplicate is not passed on)."""
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [*(message(topic, n) for n in range(1, 61)), message(topic, 5)])
    calls: list[list[int]] = []
    one = record_effect(schema)

    def batch(conn: psycopg.Connection[Any], events: Sequence[IncomingEvent]) -> None:
        calls.append([event.data["n"] for event in events])
        for event in events:
            one(conn, event)

    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic),
        {ADMITTED: one},
        batch=batch,
    )
    with consumer_thread(consumer):
        wait_for(lambda: consumer.applied + consumer.duplicates == 61, what="every message")
    assert [n for _, n in effects(database_url, schema)] == list(range(1, 61))
    assert [n for call in calls for n in call] == list(range(1, 61)), "in order, each once"
    assert len(calls) <= 6, f"{len(calls)} calls for 60 events"


def test_a_type_nobody_handles_is_skipped_without_reading_its_body(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    """Most of a member topic is of types a consumer ignores: their bodies are not its business
    (decision 220), so not even a broken one stops or dead-letters anything."""
    topic = new_topic(kafka_broker.bootstrap)
    other = message(topic, 2, event_type="partia.registry.member.renamed.v1")
    produce(
        kafka_broker.bootstrap,
        [message(topic, 1), other._replace(value=b"{not json"), message(topic, 3)],
    )
    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic),
        {ADMITTED: record_effect(schema)},
    )
    with consumer_thread(consumer):
        wait_for(lambda: consumer.applied == 2, what="both admissions")
    assert [n for _, n in effects(database_url, schema)] == [1, 3]
    assert consumer.skipped == Counter({"partia.registry.member.renamed.v1": 1})
    assert not consumer.dead_lettered


def test_a_consumer_whose_database_knows_nothing_applies_the_topic_from_the_beginning(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    """PostgreSQL is the truth about what was applied, not the group's offsets in Kafka: a new
    schema (or a database restored from before) under the same group gets the whole history."""
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [message(topic, n) for n in (1, 2, 3)])
    first = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic),
        {ADMITTED: record_effect(schema)},
    )
    with consumer_thread(first):
        wait_for(lambda: first.applied == 3, what="the three effects")
        wait_for(lambda: sum(first.lag().values()) == 0, what="Kafka's commit")
    empty = new_effects_schema(database_url, "kit")
    again = Consumer(
        config(database_url, empty, kafka_broker.bootstrap, topic),
        {ADMITTED: record_effect(empty)},
    )
    with consumer_thread(again):
        wait_for(lambda: again.applied == 3, what="the history applied to the new schema")
    assert [n for _, n in effects(database_url, empty)] == [1, 2, 3]


def test_a_consumer_started_before_its_topic_exists_follows_it_once_it_is_created(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    """A fresh `make run`: the consumers start before the relays have created their topics; the
    first event must still arrive within seconds, not after the Kafka client's five minutes
    between looks at the broker's topics and a rejoin of the group."""
    topic = f"test.{uuid.uuid4().hex[:10]}.v1"
    later = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic),
        {ADMITTED: record_effect(schema)},
    )
    with consumer_thread(later):
        wait_for(lambda: later.missing_topics == [topic], what="the consumer waiting for it")
        admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
        try:
            admin.create_topics([NewTopic(topic, 1, 1)])
        finally:
            admin.close()
        produce(kafka_broker.bootstrap, [message(topic, 1)])
        wait_for(lambda: later.applied == 1, what="the first event on the new topic", limit=15)
    assert [n for _, n in effects(database_url, schema)] == [1]


class _Runs:
    """A stand-in for one consumer's loop: runs until `stop`, or fails at once."""

    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.stopped = False

    def run(self, stop: threading.Event) -> None:
        if self.fails:
            raise RuntimeError("the database went away")
        stop.wait()
        self.stopped = True


def test_consumers_run_together_all_stop_when_one_fails_and_it_is_named() -> None:
    """A `project` process never runs on with one of its consumers dead."""
    steady, failing = _Runs(), _Runs(fails=True)

    failed = run_together({"members": steady, "dues": failing}, threading.Event())

    assert failed == ["dues"]
    assert steady.stopped


def test_consumers_run_together_until_stopped_report_no_failure() -> None:
    stop = threading.Event()
    first, second = _Runs(), _Runs()
    threading.Timer(0.2, stop.set).start()

    assert run_together({"a": first, "b": second}, stop) == []
    assert first.stopped
    assert second.stopped
