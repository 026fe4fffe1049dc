"""The outbox relay: a service's event log, in order, onto Kafka; nothing lost, at most the
unacknowledged tail published twice.

The events table of an `eventsourcing` application is the outbox. The relay reads it in log order
from its stored position, asks the service which integration messages each stored event makes
(zero or more; domain events never leave the service), produces them with acks=all, waits for the
broker's acknowledgement, and only then stores the new position. A crash in between re-publishes
what was not stored; consumers deduplicate on the event id.

Batches overlap (decision 130): while the broker acknowledges batch N, the relay reads, maps and
produces batch N+1. Positions are still stored in log order, each only once its batch and every
batch before it were acknowledged; a failed delivery in N drops N+1 too, and the relay publishes
again from the last stored position.

- One active relay per service: it holds a PostgreSQL advisory lock on its own connection and
  writes its position through that connection, so a relay that lost the lock cannot move it. A
  second copy waits as a standby and takes over when the first one's connection ends.
- The broker coming back empty (a memory broker restarted, a topic deleted) is noticed three ways:
  a topic is missing, a partition's end offset went below the one seen before, or the broker
  acknowledged an offset at or below one it acknowledged before. Then the relay publishes again
  from the start of the log (the event stores are the truth).
- `republish_from(…)` moves the position back for operations; the running relay picks it up.

The command path never waits for any of this: it only writes the events table.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from psycopg.sql import SQL, Identifier

from partia_kit.messages import OutboundMessage

log = logging.getLogger(__name__)


class StoredRecord(NamedTuple):
    """One row of the events table, undecoded: the service decodes it its own way. (A named
    tuple: the relay makes one per row, and a frozen dataclass's `__init__` cost 0.5 µs.)"""

    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


ToMessages = Callable[[StoredRecord], Iterable[OutboundMessage]]
"""The service's mapping from a stored event to the integration messages it publishes."""


@dataclass(frozen=True)
class RelayConfig:
    name: str
    """The relay's name; its position lives in table `<name>_relay_position` of `schema`."""
    database_url: str
    schema: str
    events_table: str
    bootstrap_servers: str
    topics: Mapping[str, int]
    """Every topic the relay publishes to, with its partition count (created when missing)."""
    batch_size: int = 1000
    idle_wait: float = 0.05
    """When caught up, look again this often: 0.2 s added ~100 ms to every event's way to the
    consumers (p50); 0.05 s costs the relay ~0.6% of a core more while idle (decision 122)."""
    broker_check_interval: float = 2.0
    standby_wait: float = 1.0
    max_backoff: float = 5.0
    replication_factor: int = 1
    idempotent_producer: bool = False
    """Apache Kafka supports it; kept off until checked against the embedded broker (Tansu 0.6),
    which answered kafka-python's attempt with UnknownError. Off, one request in flight keeps
    the order; a retried request may leave a duplicate, which consumers drop by event id."""
    delivery_timeout: float = 10.0
    """How long the producer keeps trying one message before the batch counts as failed."""
    in_flight_batches: int = 2
    """Batches produced and not yet acknowledged that the relay allows itself: 2 reads and maps
    the next batch while the broker acknowledges the current one; 1 waits for each batch's
    acknowledgements before reading the next (decision 130)."""


@dataclass
class RelayState:
    position: int
    acknowledged: dict[str, int] = field(default_factory=dict)
    """Per `topic:partition`, the highest offset the broker acknowledged."""
    seen_end: dict[str, int] = field(default_factory=dict)
    """Per `topic:partition`, the end offset the broker reported at the last check."""


class BrokerLostData(RuntimeError):
    """What the relay published is no longer on the broker."""


class NotAcknowledged(RuntimeError):
    """The broker did not acknowledge every message of a batch (the batch is sent again)."""


class Delivery:
    """The acknowledgements of one batch, as the producer reports them (its `on_delivery`)."""

    def __init__(self, messages: int) -> None:
        self.messages = messages
        self.waiting = messages
        self.highest: dict[str, int] = {}
        """Per `topic:partition`, the highest offset acknowledged."""
        self.failures: list[KafkaError] = []

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        self.waiting -= 1
        if error is not None:
            self.failures.append(error)
            return
        key = f"{message.topic()}:{message.partition()}"
        offset = message.offset() or 0
        if offset > self.highest.get(key, -1):
            self.highest[key] = offset

    def wait(self, producer: Producer, timeout: float) -> dict[str, int]:
        """Serve the producer's reports until every message of this batch is acknowledged
        (the highest offset per partition) or one failed (`NotAcknowledged`, at once)."""
        deadline = time.monotonic() + timeout
        while self.waiting > 0 and not self.failures:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            producer.poll(min(left, 0.1))
        if self.failures or self.waiting:
            reason = self.failures[0] if self.failures else f"{self.waiting} still unacknowledged"
            raise NotAcknowledged(
                f"{len(self.failures) or self.waiting} of {self.messages}: {reason}"
            )
        return self.highest


@dataclass(frozen=True)
class _InFlight:
    """A batch produced and not yet stored."""

    position: int
    """The position of its last stored event: where the relay stands once it is acknowledged."""
    records: int
    delivery: Delivery


def position_table(name: str) -> str:
    return f"{name}_relay_position"


def create_position_table(conn: psycopg.Connection[Any], schema: str, name: str) -> None:
    """Create the table and its one row if missing (safe to run from many processes at once)."""
    table = Identifier(schema, position_table(name))
    with conn.transaction():
        # CREATE TABLE IF NOT EXISTS is not safe against a concurrent copy of itself.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(f"{schema}.{name}.create"),))
        conn.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (only_row boolean PRIMARY KEY DEFAULT true"
                " CHECK (only_row), position bigint NOT NULL, broker jsonb NOT NULL,"
                " updated_at timestamptz NOT NULL DEFAULT now())"
            ).format(table)
        )
        conn.execute(
            SQL(
                "INSERT INTO {} (position, broker) VALUES (0, '{{}}') ON CONFLICT DO NOTHING"
            ).format(table)
        )


def read_state(conn: psycopg.Connection[Any], schema: str, name: str) -> RelayState:
    row = conn.execute(
        SQL("SELECT position, broker FROM {}").format(Identifier(schema, position_table(name)))
    ).fetchone()
    assert row is not None
    broker = row[1]
    return RelayState(row[0], broker.get("acknowledged", {}), broker.get("seen_end", {}))


def republish_from(database_url: str, schema: str, name: str, position: int) -> None:
    """Publish again everything after `position` (0 = the whole log). For operations."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        create_position_table(conn, schema, name)
        conn.execute(
            SQL("UPDATE {} SET position = %s, updated_at = now()").format(
                Identifier(schema, position_table(name))
            ),
            (position,),
        )


def relay_lag(database_url: str, schema: str, name: str, events_table: str) -> tuple[int, int]:
    """(the relay's position, the log's head): how far behind the relay is."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        create_position_table(conn, schema, name)
        position = read_state(conn, schema, name).position
        row = conn.execute(
            SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(
                Identifier(schema, events_table)
            )
        ).fetchone()
        return position, int(row[0]) if row else 0


class Relay:
    def __init__(self, config: RelayConfig, to_messages: ToMessages) -> None:
        self.config = config
        self._to_messages = to_messages
        self._producer: Producer | None = None
        self._inspector: Consumer | None = None
        self._last_check = 0.0
        self.active = threading.Event()
        """Set while this copy holds the lock and publishes."""
        self.published = 0
        self._state: RelayState | None = None
        """The stored state as this copy last read or wrote it; read again whenever nothing is
        in flight (`republish_from` may have moved it)."""
        self._in_flight: deque[_InFlight] = deque()

    # --- running ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Wait for the lock (standby), then publish until `stop` is set. A lost database
        connection ends the run with its error: a supervisor restarts the process."""
        cfg = self.config
        with psycopg.connect(cfg.database_url, autocommit=True) as conn:
            create_position_table(conn, cfg.schema, cfg.name)
            if not self._wait_for_lock(conn, stop):
                return
            self.active.set()
            log.info("relay %s active", cfg.name)
            try:
                self._publish_until(conn, stop)
            finally:
                self.active.clear()
                self._close_clients()

    def _wait_for_lock(self, conn: psycopg.Connection[Any], stop: threading.Event) -> bool:
        key = _lock_key(f"{self.config.schema}.{self.config.name}.relay")
        announced = False
        while not stop.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if row and row[0]:
                return True
            if not announced:
                log.info("relay %s: another copy is active; standing by", self.config.name)
                announced = True
            stop.wait(self.config.standby_wait)
        return False

    def _publish_until(self, conn: psycopg.Connection[Any], stop: threading.Event) -> None:
        self._publish_loop(conn, stop)
        self.drain(conn)

    def drain(self, conn: psycopg.Connection[Any]) -> None:
        """Complete every batch in flight. On stopping: what the broker acknowledges is
        stored, so a successor does not publish it again; whatever fails is left for it."""
        try:
            while self._in_flight:
                self._complete(conn, self._in_flight.popleft())
        except (KafkaException, NotAcknowledged, BrokerLostData, psycopg.Error) as error:
            log.warning("relay %s: stopping with a batch unstored: %r", self.config.name, error)
            self._in_flight.clear()

    def _publish_loop(self, conn: psycopg.Connection[Any], stop: threading.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            try:
                if self.step(conn) == 0:
                    stop.wait(self.config.idle_wait)
                backoff = 0.1
            except BrokerLostData as lost:
                log.warning("relay %s: %s; publishing again from the start", self.config.name, lost)
                self._reset(conn)
            except (KafkaException, NotAcknowledged) as error:
                log.warning(
                    "relay %s: broker error %r; retrying in %.1f s",
                    self.config.name,
                    error,
                    backoff,
                )
                self._close_clients()
                stop.wait(backoff)
                backoff = min(backoff * 2, self.config.max_backoff)

    def step(self, conn: psycopg.Connection[Any]) -> int:
        """Produce the next batch, then complete (wait for the acknowledgements of, store the
        position of) the oldest ones until fewer than `in_flight_batches` are left in flight, or
        all of them when there was nothing new. The number of stored events read or completed:
        0 when caught up with nothing in flight."""
        cfg = self.config
        if not self._in_flight or self._state is None:
            self._state = read_state(conn, cfg.schema, cfg.name)
        if time.monotonic() - self._last_check >= cfg.broker_check_interval:
            self._check_broker(conn, self._state)
        after = self._in_flight[-1].position if self._in_flight else self._state.position
        records = self._read_batch(conn, after)
        if records:
            messages = [m for record in records for m in self._to_messages(record)]
            delivery = self._produce(messages)
            self._in_flight.append(_InFlight(records[-1].position, len(records), delivery))
        completed = 0
        while self._in_flight and (not records or len(self._in_flight) >= cfg.in_flight_batches):
            completed += self._complete(conn, self._in_flight.popleft())
        return len(records) + completed

    def _complete(self, conn: psycopg.Connection[Any], batch: _InFlight) -> int:
        """Wait for `batch`'s acknowledgements (every batch before it is stored already), then
        store its position; the number of stored events it covered."""
        state = self._state
        assert state is not None
        acknowledged = batch.delivery.wait(self._producer_client(), self._ack_timeout())
        for key, offset in acknowledged.items():
            if key in state.acknowledged and offset <= state.acknowledged[key]:
                raise BrokerLostData(f"{key} acknowledged offset {offset} again")
        state.acknowledged.update(acknowledged)
        if not self._store(conn, state, batch.position):
            # moved meanwhile (`republish_from`): the batches in flight are extra copies; start
            # again from the position stored now
            log.info("relay %s: the position was moved; following it", self.config.name)
            self._in_flight.clear()
            self._state = None
            return 0
        state.position = batch.position
        self.published += batch.delivery.messages
        return batch.records

    # --- the log ---------------------------------------------------------------------------

    def _read_batch(self, conn: psycopg.Connection[Any], after: int) -> list[StoredRecord]:
        cfg = self.config
        with conn.cursor(binary=True) as cur:
            cur.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(Identifier(cfg.schema, cfg.events_table)),
                (after, cfg.batch_size),
            )
            return [
                StoredRecord(row[0], row[1], row[2], row[3], bytes(row[4]))
                for row in cur.fetchall()
            ]

    def _store(self, conn: psycopg.Connection[Any], state: RelayState, position: int) -> bool:
        """Move the position only if nobody moved it meanwhile (`republish_from`); whether it
        moved."""
        broker = {"acknowledged": state.acknowledged, "seen_end": state.seen_end}
        cursor = conn.execute(
            SQL(
                "UPDATE {} SET position = %s, broker = %s, updated_at = now() WHERE position = %s"
            ).format(Identifier(self.config.schema, position_table(self.config.name))),
            (position, json.dumps(broker), state.position),
        )
        return cursor.rowcount == 1

    def _reset(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(
            SQL("UPDATE {} SET position = 0, broker = '{{}}', updated_at = now()").format(
                Identifier(self.config.schema, position_table(self.config.name))
            )
        )
        self._close_clients()

    # --- the broker ------------------------------------------------------------------------

    def _produce(self, messages: list[OutboundMessage]) -> Delivery:
        """Hand `messages` to the producer; their acknowledgements come to the `Delivery`."""
        return produce(self._producer_client(), messages)

    def _ack_timeout(self) -> float:
        # the producer gives up on a message after delivery_timeout; a margin for its report
        return self.config.delivery_timeout + 5.0

    def _check_broker(self, conn: psycopg.Connection[Any], state: RelayState) -> None:
        """Raise `BrokerLostData` if what was published is gone; remember the end offsets."""
        inspector = self._inspector_client()
        present = inspector.list_topics(timeout=5.0).topics
        missing = [t for t in self.config.topics if t not in present]
        for key in state.acknowledged:
            topic, _, partition = key.rpartition(":")
            if topic not in present or int(partition) not in present[topic].partitions:
                raise BrokerLostData(f"{key} is missing")
        if missing:
            self._ensure_topics()
        for key in state.acknowledged:
            topic, _, partition = key.rpartition(":")
            _, end = inspector.get_watermark_offsets(
                TopicPartition(topic, int(partition)), timeout=5.0
            )
            if end < state.seen_end.get(key, 0):
                raise BrokerLostData(f"{key} end offset went back to {end}")
            state.seen_end[key] = end
        self._last_check = time.monotonic()

    def _ensure_topics(self) -> None:
        cfg = self.config
        admin = AdminClient({"bootstrap.servers": cfg.bootstrap_servers})
        wanted = [NewTopic(t, n, cfg.replication_factor) for t, n in cfg.topics.items()]
        for future in admin.create_topics(wanted, operation_timeout=10).values():
            try:
                future.result(timeout=15)
            except KafkaException as error:
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise

    def _producer_client(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(producer_settings(self.config))
        return self._producer

    def _inspector_client(self) -> Consumer:
        if self._inspector is None:
            self._inspector = Consumer(
                {
                    "bootstrap.servers": self.config.bootstrap_servers,
                    "group.id": f"{self.config.name}-relay-check",  # required; never joined
                    "enable.auto.commit": False,
                    "allow.auto.create.topics": False,
                }
            )
        return self._inspector

    def _close_clients(self) -> None:
        if self._producer is not None:
            self._producer.purge()  # what was not acknowledged is sent again from the log
            self._producer.flush(0)
        if self._inspector is not None:
            self._inspector.close()
        self._producer = self._inspector = None
        self._last_check = 0.0
        self._in_flight.clear()  # purged: published again from the stored position
        self._state = None


def produce(producer: Producer, messages: list[OutboundMessage]) -> Delivery:
    """Hand `messages` to the producer, in order; their acknowledgements come to the result."""
    delivery = Delivery(len(messages))
    for m in messages:
        headers: list[tuple[str, str | bytes | None]] = [*m.headers]
        while True:
            try:
                producer.produce(
                    m.topic, key=m.key, value=m.value, headers=headers, on_delivery=delivery
                )
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.05)
    return delivery


def produce_and_wait(
    producer: Producer, messages: list[OutboundMessage], timeout: float
) -> dict[str, int]:
    """Send `messages` and wait for every acknowledgement (`NotAcknowledged` otherwise); the
    highest acknowledged offset per `topic:partition`."""
    return produce(producer, messages).wait(producer, timeout)


def producer_settings(config: RelayConfig) -> dict[str, Any]:
    """librdkafka settings: acks=all, and one request in flight so a retried request cannot
    overtake the next one (per-key order); idempotence where the broker supports it."""
    return {
        "bootstrap.servers": config.bootstrap_servers,
        "client.id": f"{config.name}-relay",
        "acks": "all",
        "enable.idempotence": config.idempotent_producer,
        "max.in.flight.requests.per.connection": 5 if config.idempotent_producer else 1,
        "linger.ms": 5,
        "message.timeout.ms": int(config.delivery_timeout * 1000),
        "queue.buffering.max.messages": 1_000_000,
        # A topic made by a metadata request would get the broker's default partition count.
        "allow.auto.create.topics": False,
    }


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
