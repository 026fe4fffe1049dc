"""What `partia-ops` asks the broker: topics, end offsets, consumer groups and their lag, the
events of a topic, dead letters and their replay.

kafka-python's admin client, as the consumer toolkit uses it. The embedded broker (Tansu 0.6)
does not answer every admin request: `OffsetFetch` for "all partitions of a group" comes back
undecodable, so offsets are asked for the partitions by name; `DescribeGroups` is not answered.
Whatever the broker refuses is reported in `Overview.problems`, never raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from partia_kit.messages import IncomingEvent, UnreadableMessage, read_message

DLQ_SUFFIX = ".dlq"
DLQ_HEADERS = (
    "dlq_reason",
    "dlq_error",
    "dlq_topic",
    "dlq_partition",
    "dlq_offset",
    "dlq_consumer",
)
"""What the consumer toolkit adds to a dead letter (`partia_kit.consumer._dead_letter`)."""
DEFAULT_REPLAY_GROUP = "partia-ops-dlq-replay"


class OpsError(Exception):
    """Something the operator must fix (a wrong name, an unreachable broker): said plainly."""


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    start: int
    end: int


@dataclass(frozen=True)
class GroupLag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


@dataclass
class Overview:
    partitions: list[PartitionOffsets] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    lags: list[GroupLag] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What the broker would not tell (an admin API it lacks), in words for the operator."""


@contextmanager
def _admin(bootstrap: str) -> Iterator[KafkaAdminClient]:
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="partia-ops")
    except KafkaError as error:
        raise OpsError(f"cannot reach the broker at {bootstrap}: {error!r}") from error
    try:
        yield admin
    finally:
        admin.close()


@contextmanager
def _reader(bootstrap: str, group: str | None = None) -> Iterator[KafkaConsumer]:
    """A consumer that joins no group (explicit assignment); `group` only for offset commits."""
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id="partia-ops",
            enable_auto_commit=False,
        )
    except KafkaError as error:
        raise OpsError(f"cannot reach the broker at {bootstrap}: {error!r}") from error
    try:
        yield consumer
    finally:
        consumer.close()


def list_topics(bootstrap: str) -> list[str]:
    with _admin(bootstrap) as admin:
        return sorted(t for t in admin.list_topics() if not t.startswith("__"))


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise OpsError(f"no topic {topic!r} on the broker (see `partia-ops topics`)")
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def overview(bootstrap: str) -> Overview:
    """Every topic's partitions and offsets; every consumer group's committed offsets and lag."""
    result = Overview()
    topics = list_topics(bootstrap)
    with _reader(bootstrap) as consumer:
        assigned = [tp for topic in topics for tp in partitions_of(consumer, topic)]
        ends = consumer.end_offsets(assigned) if assigned else {}
        starts = consumer.beginning_offsets(assigned) if assigned else {}
    result.partitions = [
        PartitionOffsets(tp.topic, tp.partition, starts[tp], ends[tp]) for tp in assigned
    ]
    if not assigned:
        return result
    with _admin(bootstrap) as admin:
        try:
            result.groups = sorted(name for name, _ in admin.list_consumer_groups())
        except KafkaError as error:
            result.problems.append(
                f"the broker did not list consumer groups (ListGroups: {error!r}); lag unknown"
            )
            return result
        for group in result.groups:
            result.lags.extend(_group_lag(admin, group, assigned, ends, result.problems))
    return result


def _group_lag(
    admin: KafkaAdminClient,
    group: str,
    assigned: list[TopicPartition],
    ends: dict[TopicPartition, int],
    problems: list[str],
) -> list[GroupLag]:
    # Asked by partition: Tansu 0.6 answers the "all partitions" form undecodably.
    try:
        committed = admin.list_consumer_group_offsets(group, partitions=assigned)
    except KafkaError as error:
        problems.append(
            f"the broker did not give group {group!r}'s offsets (OffsetFetch: {error!r})"
        )
        return []
    return [
        GroupLag(group, tp.topic, tp.partition, meta.offset, ends[tp])
        for tp, meta in sorted(committed.items())
        if meta.offset >= 0  # -1: the group never committed on this partition
    ]


# --- reading a topic -----------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes | None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return None

    def event(self) -> IncomingEvent | UnreadableMessage:
        """The CloudEvent, or why it is not one (not raised: ops tools show broken messages)."""
        try:
            return read_message(
                self.topic, self.partition, self.offset, self.key, self.headers, self.value
            )
        except UnreadableMessage as error:
            return error


def read(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool,
    follow: bool,
    poll_seconds: float = 0.5,
    starts: dict[int, int] | None = None,
    consumer: KafkaConsumer | None = None,
    on_ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Raw]:
    """The records of `topic` in arrival order per partition: from the beginning (or the end, or
    `starts` per partition), then either until the end seen at the start (`follow=False`) or
    until `stop` is set (checked between polls, so the client is never interrupted inside)."""
    if consumer is None:
        with _reader(bootstrap) as own:
            yield from read(
                bootstrap,
                topic,
                from_beginning=from_beginning,
                follow=follow,
                poll_seconds=poll_seconds,
                starts=starts,
                consumer=own,
                on_ready=on_ready,
                stop=stop,
            )
        return
    assigned = partitions_of(consumer, topic)
    consumer.assign(assigned)
    if from_beginning:
        consumer.seek_to_beginning(*assigned)
    else:
        consumer.seek_to_end(*assigned)
    for tp in assigned:
        if starts is not None and tp.partition in starts:
            consumer.seek(tp, starts[tp.partition])
    for tp in assigned:
        consumer.position(tp)  # resolves the seek now: what arrives after this is read
    ends = consumer.end_offsets(assigned)
    if on_ready is not None:
        on_ready()
    empty_polls = 0
    while stop is None or not stop.is_set():
        if not follow and all(consumer.position(tp) >= ends[tp] for tp in assigned):
            return
        batch = consumer.poll(timeout_ms=int(poll_seconds * 1000))
        empty_polls = 0 if batch else empty_polls + 1
        if not follow and empty_polls >= 10:  # 5 s of nothing
            return  # the end offset lies past the last record (a broker's offsets can skip)
        for records in batch.values():
            for r in records:
                yield Raw(
                    r.topic,
                    r.partition,
                    r.offset,
                    r.timestamp,
                    r.key,
                    list(r.headers),
                    r.value,
                )


def matches_member(raw: Raw, member: str) -> bool:
    """Whether a record is about `member`: its key, subject or partition key."""
    key = raw.key.decode(errors="replace") if raw.key is not None else None
    return member in (key, raw.header("ce_subject"), raw.header("ce_partitionkey"))


# --- dead letters --------------------------------------------------------------------------


def dlq_topics(bootstrap: str, topic: str | None = None) -> list[str]:
    """The dead-letter topics: all of them, or `topic`'s (given with or without `.dlq`)."""
    if topic is None:
        return [t for t in list_topics(bootstrap) if t.endswith(DLQ_SUFFIX)]
    name = topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX
    if name not in list_topics(bootstrap):
        raise OpsError(f"no dead-letter topic {name!r}: nothing was dead-lettered from it")
    return [name]


@dataclass(frozen=True)
class Replayed:
    dead_letter: Raw
    to_topic: str
    to_partition: int
    to_offset: int


def replay(bootstrap: str, dlq_topic: str, group: str = DEFAULT_REPLAY_GROUP) -> Iterator[Replayed]:
    """Put each dead letter not replayed yet back on its original topic, unchanged (same key,
    same CloudEvents headers, the `dlq_*` headers removed), and remember in consumer group
    `group` how far the replay got, so a second run replays only newer dead letters."""
    if not dlq_topic.endswith(DLQ_SUFFIX):
        raise OpsError(f"{dlq_topic!r} is not a dead-letter topic (they end in {DLQ_SUFFIX})")
    dlq_topics(bootstrap, dlq_topic)  # says so if it does not exist
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="partia-ops-replay",
        acks="all",
        max_in_flight_requests_per_connection=1,
    )
    try:
        with _reader(bootstrap, group) as consumer:
            assigned = partitions_of(consumer, dlq_topic)
            starts = {
                tp.partition: offset
                for tp in assigned
                if (offset := consumer.committed(tp)) is not None
            }
            for raw in read(
                bootstrap,
                dlq_topic,
                from_beginning=True,
                follow=False,
                starts=starts,
                consumer=consumer,
            ):
                yield _replay_one(producer, consumer, raw, dlq_topic)
    finally:
        producer.close()


def _replay_one(
    producer: KafkaProducer, consumer: KafkaConsumer, raw: Raw, dlq_topic: str
) -> Replayed:
    target = raw.header("dlq_topic") or dlq_topic.removesuffix(DLQ_SUFFIX)
    headers = [(k, v) for k, v in raw.headers if k not in DLQ_HEADERS]
    sent = producer.send(target, key=raw.key, value=raw.value, headers=headers).get(timeout=30)
    # committed only after the broker acknowledged: a crash replays this one again, never skips it
    consumer.commit(
        {TopicPartition(raw.topic, raw.partition): OffsetAndMetadata(raw.offset + 1, "", -1)}
    )
    return Replayed(raw, target, sent.partition, sent.offset)
