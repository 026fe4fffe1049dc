"""What every service's tests share about Kafka: `from partia_kit.testing import kafka_broker`.

The broker is real (Tansu, started by the test run) and never skipped: no broker, no pass.
`kafka_broker` is one per test session (use your own topic names); `own_kafka_broker` is one per
test, for tests that stop and restart it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from partia_kit.broker import Broker, start_broker


@contextmanager
def running(run: Callable[[threading.Event], None], what: str) -> Iterator[None]:
    """`run(stop)` (a relay's or a consumer's loop) in a thread of this process until the block
    ends; then it is told to stop and must have stopped within 15 s."""
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(15)
        assert not thread.is_alive(), f"the {what} did not stop"


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One embedded Kafka-protocol broker for the test session (memory storage)."""
    broker = start_broker(log=tmp_path_factory.mktemp("kafka") / "broker.log")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def own_kafka_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker for this test alone (it may stop and restart it on the same port)."""
    broker = start_broker(log=tmp_path / "broker.log")
    try:
        yield broker
    finally:
        broker.stop()


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: dict[str, bytes]
    value: bytes


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[Record]], bool] = lambda records: False,
    quiet: float = 1.0,
    limit: float = 30.0,
) -> list[Record]:
    """Every record of `topic` from the beginning, by explicit assignment (no consumer group):
    read until `until(records)` holds, or nothing new came for `quiet` seconds, or `limit`."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        records: list[Record] = []
        started = last_new = time.monotonic()
        while time.monotonic() - started < limit and not until(records):
            batch = consumer.poll(timeout_ms=200)
            for messages in batch.values():
                records.extend(
                    Record(m.topic, m.partition, m.offset, m.key, dict(m.headers), m.value)
                    for m in messages
                )
                last_new = time.monotonic()
            if not batch and time.monotonic() - last_new > quiet:
                break
        return records
    finally:
        consumer.close()


def wait_for(condition: Callable[[], bool], *, limit: float = 30.0, what: str = "it") -> None:
    """Poll `condition` until it holds; fail the test after `limit` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {limit:.0f} s for {what}")
        time.sleep(0.05)
