"""The registry's outbox relay against a real broker: what arrives, in which order, with which
headers, and what survives a killed relay, a second relay and a broker that forgot everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections import Counter, defaultdict
from pathlib import Path

import jsonschema_rs

from partia_contracts.schemas import SCHEMA_ROOT
from partia_kit.broker import Broker, start_broker
from partia_kit.relay import republish_from
from partia_kit.testing import Record, wait_for
from partia_registry.composition import Registry
from partia_registry.relay import MEMBERS_TOPIC, ORGANISATIONS_TOPIC
from partia_registry.settings import RegistrySettings
from tests.registry.builders import build_tree
from tests.registry.relay.support import (
    admissions,
    caught_up,
    follow,
    logged,
    position,
    published,
    relay_process,
    relay_thread,
    stop_all,
    varied_history,
)

CE_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject")


def _ids(records: list[Record]) -> Counter[str]:
    return Counter(r.headers["ce_id"].decode() for r in records)


def test_every_integration_event_arrives_on_its_topic_in_order_per_key_as_a_valid_cloudevent(
    registry: Registry, settings: RegistrySettings, kafka_broker: Broker
) -> None:
    varied_history(registry, members=12)
    with relay_thread(settings, registry, kafka_broker.bootstrap):
        wait_for(lambda: caught_up(settings, registry), what="the relay to catch up")
    topics = published(kafka_broker.bootstrap, registry)
    expected = {str(e.event_id): e for e in logged(registry)}
    arrived = [r for records in topics.values() for r in records]
    assert _ids(arrived) == Counter(expected.keys()), "each event once, none missing"
    by_key: dict[bytes | None, list[int]] = defaultdict(list)
    for topic, records in topics.items():
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            event = expected[record.headers["ce_id"].decode()]
            member_event = event.event_type.startswith("registry.member.")
            assert topic == (MEMBERS_TOPIC if member_event else ORGANISATIONS_TOPIC)
            assert record.key == str(event.aggregate_id).encode()
            assert all(name in record.headers for name in CE_HEADERS), record.headers
            assert record.headers["ce_specversion"] == b"1.0"
            assert record.headers["ce_source"] == b"/partia/registry"
            assert record.headers["ce_type"] == f"partia.{event.event_type}.v1".encode()
            assert record.headers["ce_subject"] == record.key
            assert int(record.headers["ce_logposition"]) == event.position
            assert record.headers["ce_businessdate"] == event.effective_on.isoformat().encode()
            body = json.loads(record.value)
            schema = SCHEMA_ROOT / "registry" / f"{event.event_type}.v1.json"
            jsonschema_rs.validate(json.loads(schema.read_text()), body)
            by_key[record.key].append(int(record.headers["ce_logposition"]))
    assert all(positions == sorted(positions) for positions in by_key.values()), "order per key"
    assert len({e.event_type for e in expected.values()}) >= 5


def test_a_relay_killed_mid_stream_and_restarted_leaves_nothing_missing_and_a_consumer_applies_each_once(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    """Only the unstored tail (at most the two batches of 50 in flight, decision 130) may arrive
    twice; a consumer built on the toolkit applies every event once all the same."""
    own = start_broker(log=tmp_path / "broker.log")  # its topics hold this test's events only
    try:
        tree = build_tree(registry)
        first = relay_process(settings, own.bootstrap, tmp_path / "relay.log")
        writing = threading.Thread(target=admissions, args=(registry, tree.ppo, 150))
        writing.start()  # the log grows while the relay publishes: the kill lands mid-stream
        wait_for(lambda: position(settings) > 0, what="the relay to publish a first batch")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_at = position(settings)
        writing.join()
        # whether or not the relay had caught up when it was killed, these are left for its
        # successor alone (relying on the writer thread to outlast the relay's start was racy)
        admissions(registry, tree.ppo, 10)
        second = relay_process(settings, own.bootstrap, tmp_path / "relay.log")
        try:
            assert killed_at < len(logged(registry)), "the kill landed before the end of the log"
            wait_for(lambda: caught_up(settings, registry), what="the restarted relay")
            arrived = [r for rs in published(own.bootstrap, registry).values() for r in rs]
        finally:
            second.terminate()
            second.wait(10)
        applied = follow(settings, own.bootstrap, expected=len(logged(registry)))
    finally:
        own.stop()
    counts = _ids(arrived)
    assert set(counts) == {str(e.event_id) for e in logged(registry)}
    assert sum(n - 1 for n in counts.values()) <= 2 * 50
    assert sorted(applied) == sorted(set(applied)), "no event applied twice"
    assert set(applied) == set(counts)


def test_two_relays_against_one_database_publish_each_event_once(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    own = start_broker(log=tmp_path / "broker.log")
    relays = []
    try:
        tree = build_tree(registry)
        logs = [tmp_path / f"relay{i}.log" for i in (1, 2)]
        relays = [relay_process(settings, own.bootstrap, log) for log in logs]
        wait_for(lambda: all("registry relay" in log.read_text() for log in logs), what="both")
        admissions(registry, tree.ppo, 100)  # both copies are up while the log grows
        wait_for(lambda: caught_up(settings, registry), what="the relays to catch up")
        arrived = [r for rs in published(own.bootstrap, registry).values() for r in rs]
    finally:
        stop_all(relays)
        own.stop()
    counts = _ids(arrived)
    assert set(counts) == {str(e.event_id) for e in logged(registry)}
    assert max(counts.values()) == 1
    assert all(p.returncode == 0 for p in relays), "both stopped cleanly on SIGTERM"


def test_when_the_active_relay_dies_the_standby_takes_over(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    own = start_broker(log=tmp_path / "broker.log")
    relays: list[subprocess.Popen[bytes]] = []
    try:
        tree = build_tree(registry)
        logs = [tmp_path / f"relay{i}.log" for i in (1, 2)]
        relays = [relay_process(settings, own.bootstrap, log) for log in logs]
        wait_for(lambda: any("standing by" in log.read_text() for log in logs), what="a standby")
        active = next(i for i, log in enumerate(logs) if "standing by" not in log.read_text())
        admissions(registry, tree.ppo, 20)
        wait_for(lambda: caught_up(settings, registry), what="the active relay")
        os.kill(relays[active].pid, signal.SIGKILL)
        relays[active].wait(10)
        admissions(registry, tree.ppo, 20)  # only the standby can publish these
        wait_for(lambda: caught_up(settings, registry), what="the standby to take over")
        arrived = [r for rs in published(own.bootstrap, registry).values() for r in rs]
        assert "relay registry active" in logs[1 - active].read_text(), "the standby took over"
    finally:
        stop_all(relays)
        own.stop()
    counts = _ids(arrived)
    assert set(counts) == {str(e.event_id) for e in logged(registry)}
    assert max(counts.values()) == 1


def test_a_broker_restarted_empty_gets_everything_again_and_commands_never_waited_for_it(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    broker = start_broker(log=tmp_path / "broker.log")
    port = broker.port
    try:
        tree = build_tree(registry)
        with relay_thread(settings, registry, broker.bootstrap) as relay:
            admissions(registry, tree.ppo, 10)
            wait_for(lambda: caught_up(settings, registry), what="the first publication")
            broker.stop()
            admissions(registry, tree.ppo, 10)  # commands succeed with no broker at all
            broker = start_broker(port, log=tmp_path / "broker.log")  # memory storage: empty
            wait_for(lambda: caught_up(settings, registry), what="the relay after the restart")
            arrived = [r for rs in published(broker.bootstrap, registry).values() for r in rs]
            assert relay.active.is_set()
    finally:
        broker.stop()
    expected = {str(e.event_id) for e in logged(registry)}
    assert set(_ids(arrived)) == expected, "the restarted broker holds the whole history again"


def test_republish_from_a_position_publishes_again_everything_after_it(
    registry: Registry, settings: RegistrySettings, tmp_path: Path
) -> None:
    own = start_broker(log=tmp_path / "broker.log")
    try:
        tree = build_tree(registry)
        admissions(registry, tree.ppo, 5)
        events = logged(registry)
        middle = events[len(events) // 2].position
        assert middle is not None
        with relay_thread(settings, registry, own.bootstrap):
            wait_for(lambda: caught_up(settings, registry), what="the first publication")
            assert settings.database_url is not None
            republish_from(settings.database_url, settings.database_schema, "registry", middle)
            expected_total = len(events) + sum(1 for e in events if e.position > middle)

            def all_again() -> bool:
                topics = published(own.bootstrap, registry)
                return sum(len(rs) for rs in topics.values()) >= expected_total

            wait_for(all_again, what="the events after the position, again")
        counts = _ids([r for rs in published(own.bootstrap, registry).values() for r in rs])
    finally:
        own.stop()
    assert {e: n for e, n in counts.items() if n == 2} == {
        str(e.event_id): 2 for e in events if e.position is not None and e.position > middle
    }
