"""Consuming the registry's member history into finance's membership view, next to the raw
consume rate of the same topic (issue 12's figure: >= 20,000 events/s).

    python -m bench.dues_consume [--members 1000000] [--rounds 1] [--without-dues-triggers]
                                                                  (env DUES_CONSUME_MEMBERS)

One run, side by side on one machine, one PostgreSQL and one broker:
  1. starts a throwaway embedded PostgreSQL and the embedded broker (Tansu, memory storage);
  2. setup, not timed: produces the registry's member topic (`partia.registry.members.v1`, six
     partitions, keyed by member) as the registry's relay would for N members: each applies and
     is admitted (2,000 PPOs); every 10th is later transferred, every 20th withdraws, every 50th
     is expelled and half of those restored; contract JSON bodies and CloudEvents headers;
  3. ceiling: a confluent-kafka consumer (the toolkit's client since decision 295, its fetch
     settings and poll size) reads the whole topic, no database; the same reading each message
     as a CloudEvent (the toolkit's `read_message`), no database; and, for comparison, the
     kafka-python consumer the toolkit used before;
  4. TIMED: finance's member consumer (`partia_finance.adapters.memberships`, the kit's toolkit
     with the batch handler, decision 219) applies the whole topic into
     `finance_membership_spells`, from joining the group until every offset is stored;
  5. the raw consume again; checks the stints written against the history.

The finance view's figure includes the dues triggers on `finance_membership_spells` (decisions
235, 290, 309): a poll of a few members refreshes their dues positions and the arrears buckets in
the same transaction, a larger one queues its members for the dues refresher, which runs beside
the consumer as in finance's `project` and is timed until every position is refreshed. The run
also times the spells upsert, to show what bounds it, and `--without-dues-triggers` adds a run
with the triggers disabled (a diagnostic, not the figure).
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer
from confluent_kafka import TopicPartition as Partition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from kafka import KafkaConsumer, TopicPartition

from bench.postgres import throwaway_postgres
from bench.rate import Rate
from partia_contracts.event_id import derive_event_id
from partia_finance.adapters import memberships
from partia_finance.adapters.postgres.dues_refresher import (
    DuesRefresher,
    queued,
    refresh_all_queued,
)
from partia_finance.composition import open_finance
from partia_finance.settings import FinanceSettings
from partia_kit.broker import start_broker
from partia_kit.consumer import BatchHandler
from partia_kit.messages import IncomingEvent, OutboundMessage, integration_message, read_message
from partia_kit.tuning import tune_after_start

GOAL = 20_000.0  # events per second
SCHEMA = "bench_dues_consume"
TOPIC = memberships.TOPIC
PARTITIONS = 6
PPOS = 2000
SOURCE = "/partia/registry"
RECORDED = "2026-11-01T09:00:00Z"
_TIME = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dues_consume", description=__doc__)
    parser.add_argument(
        "--members", type=int, default=int(os.environ.get("DUES_CONSUME_MEMBERS", 1_000_000))
    )
    parser.add_argument("--rounds", type=int, default=1, help="timed finance runs")
    parser.add_argument(
        "--without-dues-triggers",
        action="store_true",
        help="also a run with the dues triggers on the stints disabled (what bounds the figure)",
    )
    args = parser.parse_args(argv)
    with throwaway_postgres() as url:
        broker = start_broker()
        try:
            return _run(
                url, broker.bootstrap, args.members, args.rounds, args.without_dues_triggers
            )
        finally:
            broker.stop()


def _run(url: str, bootstrap: str, members: int, rounds: int, untriggered: bool) -> int:
    started = time.perf_counter()
    expected = _produce(bootstrap, members)
    print(
        f"setup: {expected.events:,} events for {members:,} members produced in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    gc.collect()
    before = _raw(bootstrap, expected.events)
    parsed = _raw(bootstrap, expected.events, parse=True)
    old_client = _raw_kafka_python(bootstrap, expected.events)
    runs, complete = zip(
        *(_finance(url, bootstrap, expected, n) for n in range(rounds)), strict=True
    )
    bare = _finance(url, bootstrap, expected, rounds, triggers=False)[0] if untriggered else None
    after = _raw(bootstrap, expected.events)
    ceiling = (before.per_second + after.per_second) / 2
    applied = statistics.median(r.per_second for r in runs)
    print(
        f"finance view (read, fold, write, offsets): {applied:>9,.0f} events/s  "
        f"({expected.events:,} events, {expected.stints:,} stints; runs: "
        f"{', '.join(f'{r.per_second:,.0f} in {r.seconds:.1f} s' for r in runs)})"
    )
    dues = statistics.median(r.per_second for r in complete)
    print(
        f"  with every dues position refreshed:      {dues:>9,.0f} events/s  (the dues refresher"
        f" beside the consumer; runs: {', '.join(f'{r.seconds:.1f} s' for r in complete)})"
    )
    print(
        f"  raw consume + CloudEvents read:          {parsed.per_second:>9,.0f} events/s  "
        f"(no database)"
    )
    print(
        f"ceiling: raw consume of the same topic:    {ceiling:>9,.0f} messages/s  "
        f"(confluent-kafka, the toolkit's client; before {before.per_second:,.0f},"
        f" after {after.per_second:,.0f})"
    )
    print(
        f"  raw consume with kafka-python:           {old_client.per_second:>9,.0f} messages/s  "
        f"(the toolkit's client until decision 295)"
    )
    if bare is not None:
        print(
            f"  diagnostic, without the dues triggers:   {bare.per_second:>9,.0f} events/s  "
            f"({bare.seconds:.1f} s; not the figure: the positions and buckets are not kept)"
        )
    print(f"ratio finance view / raw consume:          {applied / ceiling:>9.2f}")
    verdict = "MET" if applied >= GOAL else "NOT MET"
    print(f"goal >= {GOAL:,.0f} events/s: {verdict}")
    return 0


# --- the history ----------------------------------------------------------------------------


@dataclass
class Expected:
    members: int = 0
    events: int = 0
    stints: int = 0
    open_stints: int = 0


def _ppo(i: int) -> str:
    return str(uuid.UUID(int=(0xB0 << 120) + i % PPOS))


def _decision(on: str, ppo: str) -> dict[str, object]:
    body = {"kind": "ppo_meeting", "organisation_id": ppo}
    return {"body": body, "decided_on": on, "reference": "Minutes No. 1"}


def _history(members: int, expected: Expected) -> Iterator[OutboundMessage]:
    """The registry's member events in log order: applications and admissions first, the later
    transfers, withdrawals, expulsions and restorations after them."""
    position = 0
    versions: dict[int, int] = {}

    def event(i: int, event_type: str, on: str, **body: object) -> OutboundMessage:
        nonlocal position
        position += 1
        version = versions[i] = versions.get(i, 0) + 1
        member = str(uuid.UUID(int=(0xA0 << 120) + i))
        event_id = str(derive_event_id(uuid.UUID(member), version))
        payload = {
            "event_id": event_id,
            "event_type": event_type,
            "schema_version": 1,
            "aggregate_id": member,
            "aggregate_version": version,
            "position": position,
            "recorded_at": RECORDED,
            "recorded_by": "registrar",
            "effective_on": on,
            "member_id": member,
            **body,
        }
        expected.events += 1
        return OutboundMessage(
            TOPIC,
            member.encode(),
            _headers(event_id, event_type, member, position),
            json.dumps(payload, separators=(",", ":")).encode(),
        )

    start = date(2020, 1, 1)
    for i in range(members):
        ppo, on = _ppo(i), (start + timedelta(days=i % 2000)).isoformat()
        document = {"form": "paper", "reference": f"Application {i}", "signed_on": on}
        yield event(i, "registry.member.application_submitted", on, organisation_id=ppo,
                    application_document=document)  # fmt: skip
        yield event(i, "registry.member.admitted", on, organisation_id=ppo,
                    card_number=f"{i:08d}", decision=_decision(on, ppo))  # fmt: skip
        expected.stints += 1
        expected.open_stints += 1
    later = date(2025, 6, 1)
    for i in range(members):
        on = (later + timedelta(days=i % 300)).isoformat()
        if i % 10 == 0:
            to = _ppo(i + 1)
            yield event(i, "registry.member.transferred", on, from_organisation_id=_ppo(i),
                        to_organisation_id=to, decision=_decision(on, to),
                        closes_residence_clock=True)  # fmt: skip
            expected.stints += 1
        if i % 20 == 1:
            statement = {"form": "paper", "reference": f"Statement {i}", "signed_on": on}
            yield event(i, "registry.member.membership_ended", on, organisation_id=_ppo(i),
                        card_number=f"{i:08d}", reason="withdrawal", decision=None,
                        application_document=statement,
                        formalised_by=_decision(on, _ppo(i)))  # fmt: skip
            expected.open_stints -= 1
        elif i % 50 == 2:
            sanction = str(uuid.UUID(int=(0xC0 << 120) + i))
            yield event(i, "registry.member.sanction_imposed", on, sanction_id=sanction,
                        case_id=None, kind="expulsion", decision=_decision(on, _ppo(i)),
                        grounds=["discrediting_the_party"], other_ground=None,
                        appeal_deadline="2026-12-31", organisation_id=_ppo(i),
                        card_number=f"{i:08d}")  # fmt: skip
            if i % 100 == 2:
                yield event(i, "registry.member.membership_restored", "2026-03-01",
                            sanction_id=sanction)  # fmt: skip
            else:
                expected.open_stints -= 1


def _headers(event_id: str, event_type: str, member: str, position: int) -> list[tuple[str, bytes]]:
    return integration_message(
        topic=TOPIC,
        key=member,
        event_id=event_id,
        source=SOURCE,
        event_type=f"partia.{event_type}.v1",
        time=_TIME,
        subject=member,
        body=b"",
        position=position,
    ).headers


def _produce(bootstrap: str, members: int) -> Expected:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
        future.result(timeout=15)
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 5000,
         "queue.buffering.max.messages": 200_000, "acks": "all"}
    )  # fmt: skip
    expected = Expected()
    expected.members = members
    for m in _history(members, expected):
        headers: list[tuple[str, str | bytes | None]] = list(m.headers)
        while True:
            try:
                producer.produce(m.topic, key=m.key, value=m.value, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(300) != 0:
        raise RuntimeError("the broker did not take the whole history")
    return expected


# --- the timed parts ------------------------------------------------------------------------


def _raw(bootstrap: str, events: int, *, parse: bool = False) -> Rate:
    """Every message of the topic with the toolkit's client and fetch settings, no group."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench-raw", "enable.auto.commit": False,
         "max.partition.fetch.bytes": memberships.MAX_PARTITION_FETCH_BYTES,
         "fetch.wait.max.ms": 50}
    )  # fmt: skip
    consumer.assign([Partition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    seen = 0
    started = time.perf_counter()
    try:
        while seen < events:
            messages = consumer.consume(memberships.MAX_POLL_RECORDS, 0.5)
            seen += len(messages)
            for m in messages:  # what the toolkit takes out of each message
                topic, partition, offset = m.topic(), m.partition(), m.offset()
                key, headers, value = m.key(), m.headers() or [], m.value()
                if parse:
                    read_message(topic or "", partition or 0, offset or 0, key, headers, value)  # type: ignore[arg-type]
        return Rate(seen, time.perf_counter() - started)
    finally:
        consumer.close()


def _raw_kafka_python(bootstrap: str, events: int) -> Rate:
    """The same with kafka-python, the toolkit's client before decision 295."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_poll_records=memberships.MAX_POLL_RECORDS,
        max_partition_fetch_bytes=memberships.MAX_PARTITION_FETCH_BYTES,
        fetch_max_wait_ms=50,
    )
    partitions = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    seen = 0
    started = time.perf_counter()
    try:
        while seen < events:
            for records in consumer.poll(timeout_ms=500).values():
                seen += len(records)
        return Rate(seen, time.perf_counter() - started)
    finally:
        consumer.close()


def _finance(
    url: str, bootstrap: str, expected: Expected, run: int, *, triggers: bool = True
) -> tuple[Rate, Rate]:
    settings = FinanceSettings(
        database_url=url,
        database_schema=f"{SCHEMA}_{run}",
        master_key=base64.b64encode(os.urandom(32)).decode(),
        api_tokens="bench=bench-token",
        pool_size=2,
        data_dir=Path("/nonexistent"),
    )
    open_finance(settings).close()  # the schema and its tables (migrations), not timed
    if not triggers:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                f"ALTER TABLE {settings.database_schema}.finance_membership_spells"
                " DISABLE TRIGGER USER"
            )
    follower = memberships.consumer(url, settings.database_schema, bootstrap)
    apply, in_apply = _timed(memberships.applier(settings.database_schema))
    follower._batch = apply  # the same handler, timed
    refresher = DuesRefresher(url, settings.database_schema)
    stop = threading.Event()
    threads = [
        threading.Thread(target=r.run, args=(stop,), daemon=True) for r in (follower, refresher)
    ]
    tune_after_start()  # as `run_together` does in finance's `project`
    started = time.perf_counter()
    first: float | None = None
    for thread in threads:
        thread.start()
    try:
        while follower.applied + sum(follower.skipped.values()) < expected.events:
            if not all(thread.is_alive() for thread in threads):
                raise RuntimeError("the finance consumer or the dues refresher stopped")
            if first is None and follower.applied + sum(follower.skipped.values()):
                first = time.perf_counter() - started
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        dues = _dues_caught_up(url, settings.database_schema, triggers) - started
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    _check(url, settings.database_schema, expected, positions=triggers)
    print(f"  finance run {run + 1}: {seconds:.1f} s, of which {first or 0:.1f} s until the first"
          f" poll was applied (joining the group), {in_apply[0]:.1f} s in the batch handler (read,"
          f" fold, spells upsert with the dues triggers: {in_apply[1]:.1f} s); the dues positions"
          f" of every member complete {dues:.1f} s after the start", flush=True)  # fmt: skip
    return Rate(expected.events, seconds), Rate(expected.events, dues)


def _timed(apply: BatchHandler) -> tuple[BatchHandler, list[float]]:
    """The batch handler, and [seconds in it, seconds of them in its upsert of the stints]."""
    spent = [0.0, 0.0]

    def timed(conn: psycopg.Connection[Any], events: Sequence[IncomingEvent]) -> None:
        started = time.perf_counter()
        execute = conn.execute

        def upsert_timed(query: Any, params: Any = None) -> Any:
            began = time.perf_counter()
            try:
                return execute(query, params)
            finally:
                if "INSERT" in repr(query)[:40]:
                    spent[1] += time.perf_counter() - began

        conn.execute = upsert_timed  # type: ignore[method-assign,assignment]
        try:
            apply(conn, events)
        finally:
            del conn.execute
            spent[0] += time.perf_counter() - started

    return timed, spent


def _dues_caught_up(url: str, schema: str, triggers: bool) -> float:
    """When every queued member's dues position has been refreshed (the refresher's queue empty
    and its last batch committed: taking the queue's lock waits for it)."""
    with psycopg.connect(url, autocommit=True) as conn:
        while triggers and queued(conn, schema):
            time.sleep(0.02)
        if triggers:
            refresh_all_queued(conn, schema)
    return time.perf_counter()


def _check(url: str, schema: str, expected: Expected, *, positions: bool) -> None:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE until_on IS NULL)"
            f" FROM {schema}.finance_membership_spells"
        ).fetchone()
        got = (int(row[0]), int(row[1])) if row else (0, 0)
        if got != (expected.stints, expected.open_stints):
            raise RuntimeError(f"stints (all, open): {got}, expected "
                               f"{(expected.stints, expected.open_stints)}")  # fmt: skip
        row = conn.execute(f"SELECT count(*) FROM {schema}.finance_dues_positions").fetchone()
        if positions and (row[0] if row else 0) != expected.members:
            raise RuntimeError(f"dues positions: {row}, expected {expected.members}")


if __name__ == "__main__":
    sys.exit(main())
