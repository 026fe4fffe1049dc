"""What every service's tests share: `from partia_kit.testing import kafka_broker, database_url`.

The broker and the database are real (Tansu and an embedded PostgreSQL, started by the test run)
and never skipped: no server, no pass. `kafka_broker` is one per test session (use your own topic
names); `own_kafka_broker` is one per test, for tests that stop and restart it. `database_url` is
one PostgreSQL server per test session (give each test its own schema: `new_schema()`).
`service_process` and `served` run a service's `python -m <module>` as its users do.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from partia_kit.broker import Broker, start_broker
from partia_kit.children import free_port as free_port  # the tests' name for it
from partia_kit.children import stop
from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.settings import ServiceSettings


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


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server started for this test run (never skipped: no server, no pass)."""
    server, url = start_embedded_postgres(tmp_path_factory.mktemp("pg") / "data", throwaway=True)
    try:
        yield url
    finally:
        server.cleanup()


def new_schema() -> str:
    """A schema name no other test uses."""
    return f"test_{uuid.uuid4().hex[:12]}"


def new_master_key() -> str:
    """A random master key, as PARTIA_MASTER_KEY takes it."""
    return base64.b64encode(os.urandom(32)).decode()


# --- service processes ----------------------------------------------------------------------------


def environment(settings: ServiceSettings, tokens: str, **extra: str) -> dict[str, str]:
    """The settings of a test as the environment of a process (`tokens`: `user=token,...`)."""
    assert settings.master_key is not None
    return {
        **os.environ,
        "PARTIA_DATABASE_URL": str(settings.database_url),
        "PARTIA_DATABASE_SCHEMA": settings.database_schema,
        "PARTIA_MASTER_KEY": settings.master_key.get_secret_value(),
        "PARTIA_API_TOKENS": tokens,
        **extra,
    }


@contextmanager
def service_process(
    module: str,
    settings: ServiceSettings,
    *args: str,
    tokens: str,
    log: Path | None = None,
    **env: str,
) -> Iterator[subprocess.Popen[str]]:
    """`python -m <module> <args>` until the block ends (then SIGTERM, and SIGKILL after 30 s).
    Its output goes to a file, `child.stdout`: `log` if given, else a temporary one (a pipe could
    be held open by its own children, or fill up unread and stall it)."""
    output = log.open("w+") if log else tempfile.TemporaryFile("w+")  # noqa: SIM115
    child = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        env=environment(settings, tokens, **env),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    child.stdout = output
    try:
        yield child
    finally:
        stop(child)
        output.close()


def output_of(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    child.stdout.flush()
    child.stdout.seek(0)
    return child.stdout.read()


@contextmanager
def served(
    module: str,
    settings: ServiceSettings,
    *args: str,
    tokens: str,
    log: Path | None = None,
    **env: str,
) -> Iterator[str]:
    """`python -m <module> serve` on a free port; yields its base URL once `/health` answers."""
    port = free_port()
    with service_process(
        module, settings, "serve", "--port", str(port), *args, tokens=tokens, log=log, **env
    ) as child:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(child, base, module)
        yield base


def wait_until_healthy(
    child: subprocess.Popen[str], base: str, what: str, timeout: float = 60
) -> None:
    """Return once `base`/health answers; fail with the process's output if it exits first or
    takes longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not healthy(base):
        if child.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start:\n{output_of(child)}")
        time.sleep(0.1)


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health").status_code == 200
    except httpx.TransportError:
        return False
