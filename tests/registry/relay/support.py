"""Helpers for the registry relay tests: a history made the way users make it, a relay run in this
process or as its own `python -m partia_registry relay` process, and what arrived on Kafka."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_contracts.registry.v1 import REGISTRY_EVENTS, IntegrationEvent
from partia_kit.consumer import Consumer, ConsumerConfig
from partia_kit.messages import IncomingEvent
from partia_kit.relay import Relay, RelayConfig, relay_lag
from partia_kit.testing import Record, read_topic, running, wait_for
from partia_registry.application import commands as c
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.relay import TOPICS, registry_messages
from partia_registry.settings import RegistrySettings
from tests.registry.builders import admit, apply, build_tree, decided, formalised, ok, signed

REPO = Path(__file__).resolve().parents[3]


def admissions(registry: Registry, ppo: UUID, members: int) -> list[UUID]:
    """`members` people apply and are admitted (two events each), eight at a time."""

    def one(_: int) -> UUID:
        member = apply(registry, ppo)
        admit(registry, member, ppo)
        return member

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(members)))


def varied_history(registry: Registry, members: int) -> None:
    """Organisations created, applications, admissions and some withdrawals."""
    tree = build_tree(registry)
    admitted = admissions(registry, tree.ppo, members)
    for member in admitted[::4]:
        ok(
            registry.writer.execute(
                c.WithdrawMember(
                    actor="registrar",
                    member_id=member,
                    application_document=signed(date(2026, 4, 1), "W-1"),
                    effective_on=date(2026, 4, 1),
                    decision=formalised(date(2026, 4, 2)),
                )
            )
        )
    # one rejected application as well
    applicant = apply(registry, tree.ppo)
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=applicant,
                decision=decided(BodyKind.PPO_MEETING, tree.ppo, date(2026, 3, 20)),
                reason="not eligible",
            )
        )
    )


def relay_config(settings: RegistrySettings, registry: Registry, bootstrap: str) -> RelayConfig:
    assert settings.database_url is not None
    return RelayConfig(
        name="registry",
        database_url=settings.database_url,
        schema=settings.database_schema,
        events_table=registry.store.events_table,
        bootstrap_servers=bootstrap,
        topics=TOPICS,
        batch_size=200,
        broker_check_interval=0.3,
        idle_wait=0.05,
        standby_wait=0.2,
        max_backoff=0.5,
        delivery_timeout=3.0,
    )


@contextmanager
def relay_thread(settings: RegistrySettings, registry: Registry, bootstrap: str) -> Iterator[Relay]:
    relay = Relay(
        relay_config(settings, registry, bootstrap),
        registry_messages(registry.events.vault_mapper().without_personal_data()),
    )
    with running(relay.run, "relay"):
        yield relay


def caught_up(settings: RegistrySettings, registry: Registry) -> bool:
    assert settings.database_url is not None
    position, head = relay_lag(
        settings.database_url, settings.database_schema, "registry", registry.store.events_table
    )
    return position == head


def position(settings: RegistrySettings) -> int:
    assert settings.database_url is not None
    return relay_lag(
        settings.database_url, settings.database_schema, "registry", "registry_events"
    )[0]


def relay_process(settings: RegistrySettings, bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    """`python -m partia_registry relay` against the test's database and broker."""
    assert settings.database_url is not None
    assert settings.master_key is not None
    env = {
        **os.environ,
        "PARTIA_DATABASE_URL": settings.database_url,
        "PARTIA_DATABASE_SCHEMA": settings.database_schema,
        "PARTIA_MASTER_KEY": settings.master_key.get_secret_value(),
        "PARTIA_API_TOKENS": "registrar=registrar-token",
        "PARTIA_KAFKA_BOOTSTRAP": bootstrap,
    }
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "partia_registry", "relay", "--batch", "50"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every relay process first, then wait for each (they stop in parallel)."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(10)


def published(bootstrap: str, registry: Registry, limit: float = 30.0) -> dict[str, list[Record]]:
    """Everything on the registry's two topics, once every event of the log is there (or the
    test fails after `limit` seconds)."""
    expected = {str(e.event_id) for e in logged(registry)}
    topics: dict[str, list[Record]] = {}

    def complete() -> bool:
        topics.update({t: read_topic(bootstrap, t, quiet=0.3) for t in TOPICS})
        return expected <= {r.headers["ce_id"].decode() for rs in topics.values() for r in rs}

    wait_for(complete, limit=limit, what="every event of the log on the broker")
    return topics


def logged(registry: Registry) -> list[IntegrationEvent]:
    """The integration events of the whole log (what GET /events serves)."""
    from partia_registry.adapters.integration_events import to_integration_events

    return list(to_integration_events(registry.queries.log_page(0, 1_000_000)))


def follow(settings: RegistrySettings, bootstrap: str, expected: int) -> list[str]:
    """A downstream consumer (the toolkit) of both topics whose effect is a row per event applied;
    the event ids it applied, once `expected` distinct ones are in."""
    assert settings.database_url is not None
    url, schema = settings.database_url, settings.database_schema
    table = Identifier(schema, "followed")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE TABLE {} (event_id text NOT NULL)").format(table))

    def on_event(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        conn.execute(SQL("INSERT INTO {} VALUES (%s)").format(table), (event.id,))

    def applied() -> list[str]:
        with psycopg.connect(url) as conn:
            return [r[0] for r in conn.execute(SQL("SELECT event_id FROM {}").format(table))]

    handlers = {
        f"partia.{model.model_fields['event_type'].default}.v1": on_event
        for model in REGISTRY_EVENTS
    }
    consumer = Consumer(
        ConsumerConfig(
            name="follower",
            database_url=url,
            schema=schema,
            bootstrap_servers=bootstrap,
            topics=list(TOPICS),
            session_timeout=1.0,
            heartbeat_interval=0.2,
        ),
        handlers,
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(set(applied())) >= expected, what="the consumer to apply every event")
    finally:
        stop.set()
        thread.join(15)
    assert not consumer.dead_lettered
    return applied()
