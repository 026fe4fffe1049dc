"""`partia-ops` against a real broker (Tansu) and a real PostgreSQL: what operations staff see
with `tail`, `topics`, `dlq list` and `dlq replay`, and what `republish` makes a relay do.

Tests that run the registry's relay use a broker of their own: the registry's topic names are
fixed, and other tests count what the session broker's registry topics hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from kafka import KafkaConsumer, TopicPartition
from typer.testing import CliRunner

from partia_kit.broker import Broker, free_port, start_broker
from partia_kit.consumer import REFUSED, Consumer
from partia_kit.messages import IncomingEvent
from partia_kit.ops.cli import app
from partia_kit.testing import read_topic, wait_for
from partia_registry.composition import Registry
from partia_registry.relay import MEMBERS_TOPIC
from partia_registry.settings import RegistrySettings
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
from tests.registry.builders import admit, apply, build_tree
from tests.registry.relay.support import admissions, caught_up, logged, relay_thread

PARTIA_OPS = Path(sys.executable).parent / "partia-ops"
WIDE = {"COLUMNS": "250"}  # Rich tables on one line per row


def ops(*args: str) -> Any:
    """Run `partia-ops ARGS` in this process; the result has `exit_code`, `stdout`, `stderr`."""
    return CliRunner().invoke(app, list(args), env=WIDE)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every row of the Rich tables in `text`."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in text.splitlines()
        if line.strip().startswith("│")
    ]


@pytest.fixture
def schema(database_url: str) -> str:
    return new_effects_schema(database_url, "ops")


# --- tail ----------------------------------------------------------------------------------


def test_tail_shows_an_admission_made_in_the_registry_as_one_readable_line(
    registry: Registry, settings: RegistrySettings, own_kafka_broker: Broker
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    admit(registry, member, tree.ppo)
    with relay_thread(settings, registry, own_kafka_broker.bootstrap):
        wait_for(lambda: caught_up(settings, registry), what="the relay to catch up")
    admitted = next(e for e in logged(registry) if e.event_type == "registry.member.admitted")

    result = subprocess.run(
        [
            str(PARTIA_OPS),
            "tail",
            MEMBERS_TOPIC,
            "--from-beginning",
            "--no-follow",
            "--member",
            str(member),
        ],
        env={**os.environ, "PARTIA_KAFKA_BOOTSTRAP": own_kafka_broker.bootstrap},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, "the application and the admission of this member only"
    assert "partia.registry.member.application_submitted.v1" in lines[0]
    line = lines[1]
    assert line.startswith(admitted.recorded_at.isoformat().replace("+00:00", "Z")[:19])
    assert "  partia.registry.member.admitted.v1  " in line
    assert f"subject={member}" in line
    assert f"date={admitted.effective_on.isoformat()}" in line
    assert f"pos={admitted.position}" in line
    assert f"organisation_id={tree.ppo}" in line
    assert "card_number=" in line
    assert "event_id=" not in line, "the envelope is in the line's own columns"


def test_tail_following_a_topic_shows_an_admission_made_after_it_started(
    registry: Registry, settings: RegistrySettings, own_kafka_broker: Broker
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    with relay_thread(settings, registry, own_kafka_broker.bootstrap):
        wait_for(lambda: caught_up(settings, registry), what="the relay to catch up")
        tail = subprocess.Popen(
            [str(PARTIA_OPS), "tail", MEMBERS_TOPIC, "--member", str(member)],
            env={**os.environ, "PARTIA_KAFKA_BOOTSTRAP": own_kafka_broker.bootstrap},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert tail.stderr is not None
            assert tail.stdout is not None
            assert "Following partia.registry.members.v1 from now" in tail.stderr.readline()
            lines: list[str] = []
            reader = threading.Thread(target=lambda: lines.extend(tail.stdout or []), daemon=True)
            reader.start()
            admit(registry, member, tree.ppo)
            wait_for(lambda: len(lines) > 0, what="the admission's line")
        finally:
            tail.send_signal(signal.SIGINT)
            tail.wait(15)
    [line] = lines
    assert "partia.registry.member.admitted.v1" in line, "only what happened after it started"
    assert f"subject={member}" in line
    assert tail.returncode == 0, "Ctrl-C stops it cleanly"


def test_tail_of_a_topic_that_does_not_exist_says_so_without_a_traceback(
    kafka_broker: Broker,
) -> None:
    result = ops("tail", "partia.nothing.v1", "--no-follow", "--bootstrap", kafka_broker.bootstrap)

    assert result.exit_code == 1
    assert "no topic 'partia.nothing.v1'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_commands_against_a_broker_that_is_not_there_fail_with_a_clear_message() -> None:
    result = ops("topics", "--bootstrap", f"127.0.0.1:{free_port()}")

    assert result.exit_code == 1
    assert "cannot reach the broker" in result.stderr


# --- topics --------------------------------------------------------------------------------


def test_topics_shows_end_offsets_and_a_consumer_groups_lag_after_it_read_some(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    produce(kafka_broker.bootstrap, [message(topic, n) for n in (1, 2, 3)])
    group = f"ops-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(
        config(database_url, schema, kafka_broker.bootstrap, topic, name=group),
        {ADMITTED: record_effect(schema)},
    )
    with consumer_thread(consumer):
        wait_for(lambda: len(effects(database_url, schema)) == 3, what="three applied")
    produce(kafka_broker.bootstrap, [message(topic, n) for n in (4, 5)])  # not read by anyone
    records = read_topic(kafka_broker.bootstrap, topic, until=lambda rs: len(rs) == 5)
    end = _end_offset(kafka_broker.bootstrap, topic)

    result = ops("topics", "--bootstrap", kafka_broker.bootstrap)

    assert result.exit_code == 0, result.stderr
    rows = table_rows(result.stdout)
    assert [topic, "0", "0", str(end)] in rows
    committed = records[2].offset + 1  # the toolkit commits after the third one's effect
    assert [group, topic, "0", str(committed), str(end), str(end - committed)] in rows
    assert end - committed > 0, "two messages are waiting"


def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tp = TopicPartition(topic, 0)
        return int(consumer.end_offsets([tp])[tp])
    finally:
        consumer.close()


# --- dead letters --------------------------------------------------------------------------


def test_a_dead_letter_is_listed_with_its_reason_and_replayed_to_the_consumer_that_gave_up(
    database_url: str, schema: str, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    good = record_effect(schema)
    fixed = False

    def refuse_13_until_fixed(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        if event.data["n"] == 13 and not fixed:
            raise ValueError("n must not be 13")
        good(conn, event)

    produce(kafka_broker.bootstrap, [message(topic, n) for n in (1, 13, 2)])
    follower = config(database_url, schema, kafka_broker.bootstrap, topic)
    with consumer_thread(Consumer(follower, {ADMITTED: refuse_13_until_fixed})):
        wait_for(lambda: len(effects(database_url, schema)) == 2, what="the other two applied")

    listed = ops("dlq", "list", topic, "--bootstrap", kafka_broker.bootstrap)

    assert listed.exit_code == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    assert f"{topic}.dlq/p0@" in line
    assert f"from={topic}/p0@" in line
    assert f"reason={REFUSED}" in line
    assert "id=event-13" in line
    assert "consumer=follower" in line
    assert "error=ValueError: n must not be 13" in line

    fixed = True  # the handler was corrected; the dead letter goes back
    replayed = ops("dlq", "replay", f"{topic}.dlq", "--bootstrap", kafka_broker.bootstrap)

    assert replayed.exit_code == 0, replayed.stderr
    assert "1 dead letters replayed" in replayed.stdout
    on_topic = read_topic(kafka_broker.bootstrap, topic, until=lambda rs: len(rs) == 4)
    again = on_topic[-1]
    assert again.headers["ce_id"] == b"event-13", "put back unchanged"
    assert not any(name.startswith("dlq_") for name in again.headers)
    with consumer_thread(Consumer(follower, {ADMITTED: refuse_13_until_fixed})):
        wait_for(lambda: len(effects(database_url, schema)) == 3, what="the replayed one")
    assert Counter(n for _, n in effects(database_url, schema)) == Counter({1: 1, 2: 1, 13: 1})

    second = ops("dlq", "replay", f"{topic}.dlq", "--bootstrap", kafka_broker.bootstrap)

    assert "0 dead letters replayed" in second.stdout, "a second run replays nothing twice"


def test_dlq_list_of_a_topic_with_no_dead_letters_says_so(kafka_broker: Broker) -> None:
    topic = new_topic(kafka_broker.bootstrap)

    result = ops("dlq", "list", topic, "--bootstrap", kafka_broker.bootstrap)

    assert result.exit_code == 1
    assert f"no dead-letter topic '{topic}.dlq'" in result.stderr


# --- republish -----------------------------------------------------------------------------


def test_republish_makes_the_running_relay_publish_every_event_again(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    assert settings.database_url is not None
    own = start_broker(log=tmp_path / "broker.log")  # its topics hold this test's events only
    try:
        tree = build_tree(registry)
        admissions(registry, tree.ppo, 5)
        expected = {str(e.event_id) for e in logged(registry)}
        with relay_thread(settings, registry, own.bootstrap):
            wait_for(lambda: caught_up(settings, registry), what="the relay to catch up")

            result = ops(
                "republish",
                "--service",
                "registry",
                "--from",
                "0",
                "--database-url",
                settings.database_url,
                "--schema",
                settings.database_schema,
            )

            assert result.exit_code == 0, result.stderr
            assert "publishes again every event after position 0" in result.stdout
            wait_for(lambda: _each_twice(own.bootstrap, expected), what="every event twice")
    finally:
        own.stop()


def _each_twice(bootstrap: str, expected: set[str]) -> bool:
    ids = Counter(
        r.headers["ce_id"].decode()
        for topic in ("partia.registry.members.v1", "partia.registry.organisations.v1")
        for r in read_topic(bootstrap, topic, quiet=0.3)
    )
    return set(ids) == expected and all(n == 2 for n in ids.values())


def test_republish_refuses_to_move_a_relay_forward_or_to_guess_a_service(
    registry: Registry, settings: RegistrySettings, own_kafka_broker: Broker
) -> None:
    assert settings.database_url is not None
    build_tree(registry)
    with relay_thread(settings, registry, own_kafka_broker.bootstrap):
        wait_for(lambda: caught_up(settings, registry), what="the relay to catch up")
    where = ["--database-url", settings.database_url, "--schema", settings.database_schema]

    ahead = ops("republish", "--service", "registry", "--from", "999999", *where)
    unknown = ops("republish", "--service", "regsitry", "--from", "0", *where)

    assert ahead.exit_code == 1
    assert "would skip events" in ahead.stderr
    assert unknown.exit_code == 1
    assert "has the 'regsitry' relay ever run" in unknown.stderr
