"""The consumer toolkit: each message applied once in effect, none blocking its partition.

A service gives handlers per CloudEvents type (`partia.registry.member.admitted.v1`); each handler
gets an open PostgreSQL transaction and the event, and makes its effect in that transaction. In
the same transaction the toolkit records the event id (a second delivery is skipped) and the
next offset of the partition. Only after that commit is the offset committed to Kafka, which is
for visibility (lag, ops tools): on (re)assignment the consumer seeks to the offsets stored in
PostgreSQL, the truth (the beginning for a partition PostgreSQL does not know). So a crash anywhere applies nothing twice and loses nothing. The messages
of one poll share one transaction (one commit for many; a run that fails is redone one by one).
A service may also give a batch handler that makes a run's effects with a few set-based
statements instead of a statement or more per event (decision 219).

- A message that can never be processed (unreadable, the handler refuses it, an incompatible
  major version) goes to `<topic>.dlq` with the reason in its headers, and the partition moves on.
- `TransientError` and a lost database connection are retried with capped exponential backoff;
  the partition waits (later messages of the same key must not overtake).
- A type nobody handles is skipped and counted (`Consumer.skipped`).
- `Consumer.lag()` gives the lag per assigned partition: end offset minus the next offset to
  apply (not to fetch: a message being retried counts as not applied).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import confluent_kafka
import psycopg
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import TopicPartition
from psycopg.sql import SQL, Identifier

from partia_kit.messages import IncomingEvent, UnreadableMessage, read_message, split_type
from partia_kit.tuning import tune_after_start

log = logging.getLogger(__name__)

Handler = Callable[[psycopg.Connection[Any], IncomingEvent], None]
"""Makes the effect of one event, inside the transaction it is given; raises to refuse it."""

BatchHandler = Callable[[psycopg.Connection[Any], Sequence[IncomingEvent]], None]
"""Makes the effect of several new events at once, in the order given (their order in the
partition), inside the transaction it is given: set-based writes instead of a statement per
event. It must have the effect of the per-type handlers applied one after the other."""


class TransientError(Exception):
    """Try again later (a dependency is down); the message is not at fault."""


class Stopped(Exception):
    """The consumer was asked to stop while waiting to retry."""


# Reasons in the `dlq_reason` header.
UNREADABLE = "unreadable"
INCOMPATIBLE_VERSION = "incompatible-version"
REFUSED = "handler-refused"


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    """The consumer group id, and the prefix of its tables in `schema`."""
    database_url: str
    schema: str
    bootstrap_servers: str
    topics: Sequence[str]
    poll_timeout: float = 0.2
    lag_interval: float = 2.0
    """How often `lag()` is measured (by the consuming thread: Kafka clients are not shared)."""
    max_poll_records: int = 500
    max_partition_fetch_bytes: int = 1 << 20
    """A consumer that works through a backlog in big polls fetches more a round trip
    (finance's member view: decision 219)."""
    fetch_max_wait: float = 0.05
    """How long the broker may hold a fetch that found nothing new. The embedded broker (Tansu)
    held a group member's fetch that long even when messages came in meanwhile: kafka-python's
    0.5 s default added ~130 ms (p50) to every message; 0.05 s costs ~1.5% of a core while idle
    (decision 122)."""
    first_backoff: float = 0.1
    max_backoff: float = 5.0
    session_timeout: float = 10.0
    """How long a silent (killed) member keeps its partitions before the group moves them."""
    heartbeat_interval: float = 3.0


def offsets_table(name: str) -> str:
    return f"{name}_consumer_offsets"


def seen_table(name: str) -> str:
    return f"{name}_consumer_seen"


def create_tables(conn: psycopg.Connection[Any], schema: str, name: str) -> None:
    with conn.transaction():
        # two copies starting at once: CREATE TABLE IF NOT EXISTS is not safe against itself
        # (the loser fails on pg_type's unique index), so the second waits for the first
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{schema}.{name}",))
        conn.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (topic text NOT NULL, partition int NOT NULL,"
                " next_offset bigint NOT NULL, PRIMARY KEY (topic, partition))"
            ).format(Identifier(schema, offsets_table(name)))
        )
        conn.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (event_id text PRIMARY KEY,"
                " seen_at timestamptz NOT NULL DEFAULT now())"
            ).format(Identifier(schema, seen_table(name)))
        )


def stored_offsets(
    conn: psycopg.Connection[Any], schema: str, name: str
) -> dict[TopicPartition, int]:
    """The next offset to read per partition, as applied (the truth, not Kafka's commits)."""
    rows = conn.execute(
        SQL("SELECT topic, partition, next_offset FROM {}").format(
            Identifier(schema, offsets_table(name))
        )
    ).fetchall()
    return {TopicPartition(topic, partition): offset for topic, partition, offset in rows}


def consumer_for(
    name: str,
    topics: Sequence[str],
    handlers: Mapping[str, Handler],
    *,
    database_url: str,
    schema: str,
    bootstrap_servers: str,
    batch: BatchHandler | None = None,
    **settings: Any,
) -> Consumer:
    """The consumer group `name` over `topics`, applying `handlers` in `schema`; `settings`
    change `ConsumerConfig`'s defaults (poll size, fetch bytes, ...)."""
    config = ConsumerConfig(
        name=name,
        database_url=database_url,
        schema=schema,
        bootstrap_servers=bootstrap_servers,
        topics=list(topics),
        **settings,
    )
    return Consumer(config, handlers, batch=batch)


class Runs(Protocol):
    def run(self, stop: threading.Event) -> None: ...


def run_together(consumers: Mapping[str, Runs], stop: threading.Event) -> list[str]:
    """Run a service's consumers side by side, one thread each (a `project` command), until
    `stop` is set; if one fails, all stop, so that a process never runs on with part of its
    consumers dead. The names of those that failed. The process is a consumer process from here
    on: its collector and switch interval are tuned for it (`tune_after_start`)."""
    failed: list[str] = []
    tune_after_start()

    def run(name: str, consumer: Runs) -> None:
        try:
            consumer.run(stop)
        except Exception:
            log.exception("the %s consumer failed", name)
            failed.append(name)
        finally:
            stop.set()

    threads = [
        threading.Thread(target=run, args=(name, consumer), name=name, daemon=True)
        for name, consumer in consumers.items()
    ]
    for thread in threads:
        thread.start()
    while not stop.wait(1.0):
        pass
    for thread in threads:
        thread.join(30)
    return failed


class Consumer:
    def __init__(
        self,
        config: ConsumerConfig,
        handlers: Mapping[str, Handler],
        *,
        after_effect: Callable[[IncomingEvent], None] | None = None,
        batch: BatchHandler | None = None,
    ) -> None:
        """`handlers` by versioned type; `after_effect` runs after the database commit and before
        the Kafka commit (metrics, and tests that crash there). `batch`, if given, makes the
        effect of a run's new events of the handled types in one call in place of their handlers
        (which still decide what is handled, and apply a message that comes or is retried
        alone; decision 219)."""
        self.config = config
        self._handlers = dict(handlers)
        self._batch = batch
        self._handled_names = {split_type(t)[0]: t for t in handlers}
        self._after_effect = after_effect
        self._conn: psycopg.Connection[Any] | None = None
        self._kafka: confluent_kafka.Consumer | None = None
        self._producer: KafkaProducer | None = None
        self._dlq_topics: set[str] = set()
        self._stop = threading.Event()
        self.applied = 0
        self.missing_topics: list[str] = []
        """The topics it waits for before subscribing (`_await_topics`)."""
        self.duplicates = 0
        self.skipped: Counter[str] = Counter()
        self.dead_lettered: Counter[str] = Counter()
        self._applied_next: dict[TopicPartition, int] = {}
        self._lag: dict[TopicPartition, int] = {}
        self._lag_measured = 0.0

    # --- running ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        self._connect_database()
        # librdkafka (decision 295): it fetches and decodes in its own threads, not in Python
        self._kafka = confluent_kafka.Consumer(
            {
                "bootstrap.servers": self.config.bootstrap_servers,
                "group.id": self.config.name,
                "client.id": self.config.name,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                "max.partition.fetch.bytes": self.config.max_partition_fetch_bytes,
                "fetch.wait.max.ms": int(self.config.fetch_max_wait * 1000),
                "session.timeout.ms": int(self.config.session_timeout * 1000),
                "heartbeat.interval.ms": int(self.config.heartbeat_interval * 1000),
                "logger": log,
            }
        )
        try:
            self._await_topics(stop)
            self._kafka.subscribe(list(self.config.topics), on_assign=self._on_assign)
            while not stop.is_set():
                self.poll_once()
        except Stopped:
            pass
        finally:
            self.close()

    def _await_topics(self, stop: threading.Event) -> None:
        """Subscribe only to topics that exist: a fresh system starts its consumers before its
        relays have created the topics, and librdkafka, subscribed to a missing topic, looks
        again only after `topic.metadata.refresh.interval.ms` (five minutes) and then rejoins
        its group: the first events would wait minutes. The relay creates each topic with its
        contract's partitions; a consumer never creates one."""
        assert self._kafka is not None
        said = False
        while True:
            present = self._kafka.list_topics(timeout=5.0).topics
            self.missing_topics = [t for t in self.config.topics if t not in present]
            if not self.missing_topics:
                return
            if not said:  # once, not every half second
                log.info("%s waits for %s (its relay creates it)", self.config.name,
                         ", ".join(self.missing_topics))  # fmt: skip
                said = True
            if stop.wait(0.5):
                raise Stopped

    def poll_once(self) -> int:
        """Process what one poll brings; the number of messages."""
        assert self._kafka is not None
        self._measure_lag()
        batches = _by_partition(
            self._kafka.consume(self.config.max_poll_records, self.config.poll_timeout)
        )
        done = 0
        applied: list[confluent_kafka.TopicPartition] = []
        for (topic, partition), records in batches.items():
            self._process_batch(records)
            done += len(records)
            applied.append(confluent_kafka.TopicPartition(topic, partition, records[-1].offset + 1))
        if applied:  # one request for the poll, not one per partition
            self._kafka.commit(offsets=applied, asynchronous=False)
        return done

    def close(self) -> None:
        for client in (self._kafka, self._producer):
            if client is not None:
                try:
                    client.close()
                except Exception:  # a dead broker; nothing left to release
                    log.debug("closing a Kafka client failed", exc_info=True)
        self._kafka = self._producer = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def lag(self) -> dict[TopicPartition, int]:
        """Messages not yet applied, per assigned partition, as last measured (every
        `lag_interval` seconds, also while a message is being retried). Safe from any thread."""
        return dict(self._lag)

    def _measure_lag(self, force: bool = False) -> None:
        if self._kafka is None:
            return
        if not force and time.monotonic() - self._lag_measured < self.config.lag_interval:
            return
        lag = {}
        for assigned in self._kafka.assignment():
            tp = TopicPartition(assigned.topic, assigned.partition)
            start, end = self._kafka.get_watermark_offsets(assigned, timeout=10)
            lag[tp] = max(0, end - self._applied_next.get(tp, start))
        if lag:
            self._lag = lag
        self._lag_measured = time.monotonic()

    # --- a poll's messages, together ---------------------------------------------------------

    def _process_batch(self, records: list[Any]) -> None:
        """One partition's messages from one poll. Runs of readable messages of a handled (or an
        unknown) type are applied in one transaction each: one commit, not one per message, is
        what lets a consumer keep up (decision 121). A message for the dead-letter topic, and
        every message of a run that fails (a refusal, a transient error), take the
        one-at-a-time path below, exactly as if they had come alone."""
        run: list[tuple[Any, IncomingEvent, Handler | None]] = []
        for record in records:
            item = self._runnable(record)
            if item is None:
                self._apply_run(run)
                run = []
                self._process(record)
            else:
                run.append(item)
        self._apply_run(run)

    def _runnable(self, record: Any) -> tuple[Any, IncomingEvent, Handler | None] | None:
        """The message with its handler (None: a type nobody handles), or None when it must go
        to the dead-letter topic. A type nobody handles, named in a CloudEvents message's
        `ce_type`, is not read further: its body is none of this consumer's business (a
        million members' applications would cost a JSON parse each; decision 220)."""
        unhandled = self._unhandled_type(record)
        if unhandled is not None:
            return record, unhandled, None
        try:
            event = _read(record)
        except UnreadableMessage:
            return None
        handler = self._handlers.get(event.type)
        if handler is None and event.type_name in self._handled_names:
            return None
        return record, event, handler

    def _unhandled_type(self, record: Any) -> IncomingEvent | None:
        headers = dict(record.headers)
        raw = headers.get("ce_type")
        if raw is None or headers.get("ce_specversion") != b"1.0" or "ce_id" not in headers:
            return None
        try:
            event_type = raw.decode()
        except UnicodeDecodeError:
            return None
        if event_type in self._handlers or split_type(event_type)[0] in self._handled_names:
            return None
        return IncomingEvent(
            topic=record.topic, partition=record.partition, offset=record.offset,
            key=record.key, id=headers["ce_id"].decode(errors="replace"), type=event_type,
            source="", subject=None, attributes={}, data=None,
        )  # fmt: skip

    def _apply_run(self, run: list[tuple[Any, IncomingEvent, Handler | None]]) -> None:
        if len(run) <= 1:
            for record, _, _ in run:
                self._process(record)
            return
        try:
            handled = self._apply_together(run)
        except Exception as error:  # rolled back: nothing of the run was applied
            log.info(
                "%s: a run of %d failed (%r); one at a time", self.config.name, len(run), error
            )
            if self._conn is not None and self._conn.broken:
                self._conn = None
            for record, _, _ in run:
                self._process(record)
            return
        if self._after_effect is not None:
            for event in handled:
                self._after_effect(event)

    def _apply_together(
        self, run: list[tuple[Any, IncomingEvent, Handler | None]]
    ) -> list[IncomingEvent]:
        """Every effect, every event id and the last next offset, in one transaction; the events
        that had a handler (applied now or before)."""
        conn = self._database()
        schema, name = self.config.schema, self.config.name
        handled: list[IncomingEvent] = []
        applied = duplicates = 0
        skipped: Counter[str] = Counter()
        with conn.transaction():
            # every event id at once; those that come back are new (a second copy within the
            # run is not: the first one's row is there)
            new = {
                row[0]
                for row in conn.execute(
                    SQL(
                        "INSERT INTO {} (event_id) SELECT * FROM unnest(%s::text[])"
                        " ON CONFLICT DO NOTHING RETURNING event_id"
                    ).format(Identifier(schema, seen_table(name))),
                    ([event.id for _, event, handler in run if handler is not None],),
                ).fetchall()
            }
            fresh: list[IncomingEvent] = []
            for _, event, handler in run:
                if handler is None:
                    skipped[event.type] += 1
                    continue
                if event.id in new:
                    new.discard(event.id)
                    if self._batch is None:
                        handler(conn, event)
                    else:
                        fresh.append(event)
                    applied += 1
                else:
                    duplicates += 1
                handled.append(event)
            if self._batch is not None and fresh:
                self._batch(conn, fresh)
            last = run[-1][0]
            self._store_offset(conn, last)
        self.applied += applied
        self.duplicates += duplicates
        self.skipped.update(skipped)
        self._applied_next[TopicPartition(last.topic, last.partition)] = last.offset + 1
        return handled

    # --- one message -----------------------------------------------------------------------

    def _process(self, record: Any) -> None:
        try:
            event = _read(record)
        except UnreadableMessage as error:
            self._dead_letter(record, UNREADABLE, str(error))
            return
        handler = self._handlers.get(event.type)
        if handler is None:
            if event.type_name in self._handled_names:
                self._dead_letter(
                    record,
                    INCOMPATIBLE_VERSION,
                    f"{event.type} is not {self._handled_names[event.type_name]}",
                )
            else:
                self.skipped[event.type] += 1
                self._apply(record, None, None)
            return
        try:
            self._with_retries(lambda: self._apply(record, event, handler))
        except Stopped:
            raise
        except Exception as error:  # the handler refused this message: it will never pass
            log.warning("%s: dead-lettering %s: %r", self.config.name, event.id, error)
            self._dead_letter(record, REFUSED, f"{type(error).__name__}: {error}")
            return
        if self._after_effect is not None:
            self._after_effect(event)

    def _apply(self, record: Any, event: IncomingEvent | None, handler: Handler | None) -> None:
        """The effect (if any), the event id and the next offset, in one transaction."""
        conn = self._database()
        schema, name = self.config.schema, self.config.name
        with conn.transaction():
            if event is not None and handler is not None:
                first_time = conn.execute(
                    SQL("INSERT INTO {} (event_id) VALUES (%s) ON CONFLICT DO NOTHING").format(
                        Identifier(schema, seen_table(name))
                    ),
                    (event.id,),
                ).rowcount
                if first_time:
                    handler(conn, event)
                    self.applied += 1
                else:
                    self.duplicates += 1
            self._store_offset(conn, record)
        self._applied_next[TopicPartition(record.topic, record.partition)] = record.offset + 1

    def _store_offset(self, conn: psycopg.Connection[Any], record: Any) -> None:
        conn.execute(
            SQL(
                "INSERT INTO {} (topic, partition, next_offset) VALUES (%s, %s, %s)"
                " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset"
            ).format(Identifier(self.config.schema, offsets_table(self.config.name))),
            (record.topic, record.partition, record.offset + 1),
        )

    def _with_retries(self, attempt: Callable[[], None]) -> None:
        backoff = self.config.first_backoff
        while True:
            try:
                attempt()
                return
            except (TransientError, psycopg.OperationalError) as error:
                log.warning("%s: %r; retrying in %.2f s", self.config.name, error, backoff)
                if self._conn is not None and self._conn.broken:
                    self._conn = None
            self._measure_lag()
            if self._stop.wait(backoff):
                raise Stopped
            backoff = min(backoff * 2, self.config.max_backoff)

    def _dead_letter(self, record: Any, reason: str, detail: str) -> None:
        """Publish the message unchanged to `<topic>.dlq` with why, then move past it."""
        dlq = f"{record.topic}.dlq"
        self._ensure_topic(dlq)
        headers = [
            *record.headers,
            ("dlq_reason", reason.encode()),
            ("dlq_error", detail[:1000].encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_consumer", self.config.name.encode()),
        ]
        producer = self._producer_client()
        producer.send(dlq, key=record.key, value=record.value, headers=headers).get(timeout=30)
        self.dead_lettered[reason] += 1
        self._with_retries(lambda: self._apply(record, None, None))

    # --- clients ---------------------------------------------------------------------------

    def _connect_database(self) -> psycopg.Connection[Any]:
        self._conn = psycopg.connect(self.config.database_url, autocommit=True)
        create_tables(self._conn, self.config.schema, self.config.name)
        return self._conn

    def _database(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            return self._connect_database()
        return self._conn

    def _producer_client(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.config.bootstrap_servers,
                client_id=f"{self.config.name}-dlq",
                acks="all",
                max_in_flight_requests_per_connection=1,
            )
        return self._producer

    def _ensure_topic(self, topic: str) -> None:
        if topic in self._dlq_topics:
            return
        admin = KafkaAdminClient(bootstrap_servers=self.config.bootstrap_servers)
        try:
            admin.create_topics([NewTopic(topic, 1, 1)])
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()
        self._dlq_topics.add(topic)

    def _on_assign(
        self, kafka: confluent_kafka.Consumer, assigned: list[confluent_kafka.TopicPartition]
    ) -> None:
        """On assignment, continue from what PostgreSQL says was applied. A partition it knows
        nothing of starts at the beginning, not at Kafka's committed offset: nothing of it was
        applied here (a database restored from before the consumer started, or a new schema
        under the same group, would otherwise skip the topic's history)."""
        stored = stored_offsets(self._database(), self.config.schema, self.config.name)
        for assigned_partition in assigned:
            tp = TopicPartition(assigned_partition.topic, assigned_partition.partition)
            assigned_partition.offset = stored.get(tp, confluent_kafka.OFFSET_BEGINNING)
            if tp in stored:
                self._applied_next[tp] = stored[tp]
        kafka.assign(assigned)


class Record(NamedTuple):
    """A consumed Kafka message, read once out of the client's object (whose fields are
    method calls) into what the toolkit uses."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes | None


def _by_partition(messages: list[confluent_kafka.Message]) -> dict[tuple[str, int], list[Record]]:
    """A poll's messages per partition, in their order; a client error is logged (librdkafka
    retries what can be retried itself)."""
    found: dict[tuple[str, int], list[Record]] = {}
    for message in messages:
        if message.error() is not None:
            log.warning("Kafka: %s", message.error())
            continue
        # a consumed message has its topic, partition, offset and list of headers (the stubs
        # allow None and a dict for the messages a producer builds)
        m: Any = message
        topic, partition = m.topic(), m.partition()
        record = Record(topic, partition, m.offset(), m.key(), m.headers() or [], m.value())
        found.setdefault((topic, partition), []).append(record)
    return found


def _read(record: Any) -> IncomingEvent:
    """A Kafka record as an integration event (UnreadableMessage when it is not one)."""
    return read_message(
        record.topic, record.partition, record.offset, record.key, record.headers, record.value
    )
