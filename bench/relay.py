"""Relay throughput: registry events/s from the event store onto Kafka, next to the ceiling.

    python -m bench.relay [--members 10000] [--batch 1000] [--rounds 3]

One run, side by side on one machine, one PostgreSQL and one broker:
  1. starts a throwaway embedded PostgreSQL and the embedded broker (Tansu, memory storage);
  2. writes a history through the registry's own write path (applications and admissions, two
     events per member; setup, not timed);
  3. ceiling: the same client library (confluent-kafka, the relay's producer settings) sends the very
     bytes the relay will send (same keys, headers and values) to a topic of its own, in the
     relay's rhythm (batches, two in flight: produce the next, then wait for the acknowledgements
     of the one before);
  4. TIMED, for reference: the relay with every event mapped through the contract model (decode
     the domain event, build and validate the pydantic model, serialise), the path before
     decision 120, publishing the whole log from position 0;
  5. TIMED, `--rounds` times, alternating: the relay as it runs (the fast path of decision 120,
     two batches in flight, decision 130) publishes the whole log from position 0 (read, map to
     the contract event, CloudEvents headers, produce, wait for acks, store the position), until
     caught up; and the same relay with one batch in flight (each batch's acks awaited before
     the next is read: the relay before decision 130);
  6. the ceiling again.
The broker is emptied (restarted on its port; memory storage) before each ceiling and each timed
relay run, so no run pays for the messages the runs before it left there.
The goal (issue 9): >= 20,000 events/s (the median of the rounds). The ratio compares the relay
with the mean ceiling.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from bench.party import make_iin
from bench.postgres import throwaway_postgres
from bench.rate import Rate
from partia_kit.broker import Broker, start_broker
from partia_kit.messages import OutboundMessage
from partia_kit.relay import (
    Delivery,
    Relay,
    RelayConfig,
    StoredRecord,
    create_position_table,
    produce,
    producer_settings,
)
from partia_registry.application import commands as c
from partia_registry.composition import Registry, open_registry
from partia_registry.domain.decisions import (
    ApplicationDocument,
    BodyKind,
    DecidingBody,
    Decision,
    DocumentForm,
)
from partia_registry.domain.organisations import OrganisationKind, OrganisationNames
from partia_registry.domain.people import Declarations, PersonalData
from partia_registry.relay import TOPICS, registry_messages
from partia_registry.settings import RegistrySettings

GOAL = 20_000.0  # events per second
SCHEMA = "bench_relay"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16, help="threads writing the history")
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed relay runs of each kind, alternated"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile an extra relay run (not counted)"
    )
    args = parser.parse_args(argv)
    with throwaway_postgres() as url:
        broker = _Broker(start_broker())
        try:
            return _run(url, broker, args)
        finally:
            broker.running.stop()


@dataclass
class _Broker:
    """The embedded broker, emptied (restarted on its port: memory storage) before each timed
    run, so no run pays for what the runs before it left on the broker."""

    running: Broker

    def empty(self) -> None:
        port = self.running.port
        self.running.stop()
        self.running = start_broker(port)


def _run(url: str, broker: _Broker, args: argparse.Namespace) -> int:
    settings = RegistrySettings(
        database_url=url,
        database_schema=SCHEMA,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        api_tokens="bench=bench-token",
        pool_size=8,
        data_dir=Path("/nonexistent"),
    )
    registry = open_registry(settings)
    try:
        started = time.perf_counter()
        events = _history(registry, args.members, args.clients)
        print(
            f"setup: {events:,} events written in {time.perf_counter() - started:.1f} s", flush=True
        )
        config = RelayConfig(
            name="registry",
            database_url=url,
            schema=SCHEMA,
            events_table=registry.store.events_table,
            bootstrap_servers=broker.running.bootstrap,
            topics=TOPICS,
            batch_size=args.batch,
        )
        mapper = registry.events.vault_mapper().without_personal_data()
        messages = _the_relays_messages(config, registry_messages(mapper))
        # The bench's own heap (the registry, the history's messages kept for the ceiling) is
        # not the relay's: a relay process has none of it. Frozen, the collector skips it.
        gc.collect()
        gc.freeze()
        broker.empty()
        before = _ceiling(config, messages)
        broker.empty()
        model = _relay(config, Relay(config, registry_messages(mapper, fast_path=False)))
        one_at_a_time = replace(config, in_flight_batches=1)
        overlapped: list[Rate] = []
        sequential: list[Rate] = []
        if args.profile:  # an extra run: the profiler's overhead stays out of the figures
            broker.empty()
            _relay(config, Relay(config, registry_messages(mapper)), profile=True)
        for round_ in range(args.rounds):
            for kind in ("overlapped", "sequential")[:: 1 if round_ % 2 else -1]:
                broker.empty()
                if kind == "overlapped":
                    relay = Relay(config, registry_messages(mapper))
                    overlapped.append(_relay(config, relay))
                else:
                    relay = Relay(one_at_a_time, registry_messages(mapper))
                    sequential.append(_relay(one_at_a_time, relay))
        broker.empty()
        after = _ceiling(config, messages)
    finally:
        registry.close()
    ceiling = (before.per_second + after.per_second) / 2
    relay_rate = statistics.median(r.per_second for r in overlapped)
    sequential_rate = statistics.median(r.per_second for r in sequential)
    print(
        f"relay (read, map, produce, ack, position):  {relay_rate:>9,.0f} events/s  "
        f"(median; {overlapped[0].items:,} events, batch {args.batch}, two in flight; "
        f"runs: {_rates(overlapped)})"
    )
    print(
        f"  the same, one batch in flight:             {sequential_rate:>9,.0f} events/s  "
        f"(the relay before decision 130; {relay_rate / sequential_rate:.2f}x; "
        f"runs: {_rates(sequential)})"
    )
    print(
        f"  the same, every event via the model:       {model.per_second:>9,.0f} events/s  "
        f"(the path before decision 120; {relay_rate / model.per_second:.2f}x)"
    )
    print(
        f"ceiling: raw produce of the same bytes:      {ceiling:>9,.0f} messages/s  "
        f"(before {before.per_second:,.0f}, after {after.per_second:,.0f})"
    )
    print(f"ratio relay / ceiling:                       {relay_rate / ceiling:>9.2f}")
    verdict = "MET" if relay_rate >= GOAL else "NOT MET"
    print(f"goal >= {GOAL:,.0f} events/s: {verdict}")
    return 0


def _rates(runs: list[Rate]) -> str:
    return ", ".join(f"{r.per_second:,.0f}" for r in runs)


def _history(registry: Registry, members: int, clients: int) -> int:
    """Applications and admissions through the writer, `clients` at a time."""
    ppo = _ppo(registry)
    decided = Decision(DecidingBody(BodyKind.PPO_MEETING, ppo), date(2026, 3, 10), "M-1")

    def one(index: int) -> None:
        iin, _ = make_iin(index)
        person = PersonalData(
            iin=iin,
            surname="Бенчев",
            given_name="Бенч",
            patronymic=None,
            address="Астана",
            phone="+77010000000",
            email="bench@example.kz",
        )
        outcome = registry.writer.execute(
            c.SubmitApplication(
                actor="bench",
                organisation_id=ppo,
                person=person,
                declarations=Declarations(
                    citizenship="KZ", member_of_another_party=False, barred_office=None
                ),
                application_document=ApplicationDocument(
                    DocumentForm.PAPER, "APP", date(2026, 3, 1)
                ),
            )
        )
        member = UUID(str(_ok(outcome)["member_id"]))
        _ok(
            registry.writer.execute(
                c.AdmitMember(actor="bench", member_id=member, decision=decided)
            )
        )

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(members)))
    with psycopg.connect(registry.settings.database_url or "") as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {SCHEMA}.{registry.store.events_table}"
        ).fetchone()
    return int(row[0]) if row else 0


def _ppo(registry: Registry) -> UUID:
    """A territorial branch and one PPO under the bootstrapped Astana branch."""
    from partia_registry.application.bootstrap import organisation_id

    parent = organisation_id("baytaq", "astana")
    for kind, on in (
        (OrganisationKind.TERRITORIAL_BRANCH, date(2024, 1, 15)),
        (OrganisationKind.PRIMARY_ORGANISATION, date(2024, 1, 20)),
    ):
        created = registry.writer.execute(
            c.CreateOrganisation(
                actor="bench",
                kind=kind,
                parent_id=parent,
                names=OrganisationNames(kk=f"Бенч {kind}", ru=f"Бенч {kind}", en=f"Bench {kind}"),
                decision=Decision(DecidingBody(BodyKind.BRANCH_BUREAU, parent), on, "B-1"),
            )
        )
        parent = UUID(str(_ok(created)["organisation_id"]))
    return parent


def _ok(outcome: Any) -> Any:
    if outcome.error is not None:
        raise outcome.error
    return outcome.receipt


def _the_relays_messages(config: RelayConfig, to_messages: object) -> list[OutboundMessage]:
    with psycopg.connect(config.database_url) as conn, conn.cursor(binary=True) as cur:
        cur.execute(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {config.schema}.{config.events_table} ORDER BY notification_id"
        )
        records = [StoredRecord(r[0], r[1], r[2], r[3], bytes(r[4])) for r in cur.fetchall()]
    return [m for record in records for m in to_messages(record)]  # type: ignore[operator]


def _ceiling(config: RelayConfig, messages: list[OutboundMessage]) -> Rate:
    """The same client, settings and bytes, straight from memory to a topic of its own, in the
    relay's rhythm (batches, `in_flight_batches` of them unacknowledged at most)."""
    topic = f"bench.ceiling.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": config.bootstrap_servers})
    for future in admin.create_topics([NewTopic(topic, max(config.topics.values()), 1)]).values():
        future.result(timeout=15)
    retargeted = [OutboundMessage(topic, m.key, m.headers, m.value) for m in messages]
    producer = Producer(producer_settings(config))
    in_flight: list[Delivery] = []
    started = time.perf_counter()
    for start in range(0, len(retargeted), config.batch_size):
        in_flight.append(produce(producer, retargeted[start : start + config.batch_size]))
        if len(in_flight) >= config.in_flight_batches:
            in_flight.pop(0).wait(producer, 60.0)
    for delivery in in_flight:
        delivery.wait(producer, 60.0)
    return Rate(len(messages), time.perf_counter() - started)


def _relay(config: RelayConfig, relay: Relay, *, profile: bool = False) -> Rate:
    with psycopg.connect(config.database_url, autocommit=True) as conn:
        create_position_table(conn, config.schema, config.name)
        start_again = (
            f"UPDATE {config.schema}.registry_relay_position SET position = 0, broker = '{{}}'"
        )
        conn.execute(start_again)  # the broker was emptied: what the last run saw is gone
        relay.step(conn)  # creates the topics, connects; counted below
        relay.drain(conn)
        conn.execute(start_again)
        relay.published = 0
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        while relay.step(conn):
            pass
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return Rate(relay.published, seconds)


if __name__ == "__main__":
    sys.exit(main())
