"""Helpers for the consumer toolkit tests: messages as a service publishes them, a consumer whose
effect is a row per application (so applying twice shows), run in this process or its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from psycopg.sql import SQL, Identifier

from partia_kit.consumer import Consumer, ConsumerConfig, Handler
from partia_kit.messages import IncomingEvent, OutboundMessage, integration_message
from partia_kit.testing import running

ADMITTED = "partia.registry.member.admitted.v1"


def new_topic(bootstrap: str, partitions: int = 1) -> str:
    topic = f"test.{uuid.uuid4().hex[:10]}.v1"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()
    return topic


def message(
    topic: str, n: int, *, event_type: str = ADMITTED, key: str = "member-1"
) -> OutboundMessage:
    return integration_message(
        topic=topic,
        key=key,
        event_id=f"event-{n}",
        source="/partia/test",
        event_type=event_type,
        time=datetime(2026, 3, 1, tzinfo=UTC),
        subject=key,
        body=f'{{"n": {n}}}'.encode(),
        position=n,
    )


def produce(bootstrap: str, messages: Sequence[OutboundMessage]) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_in_flight_requests_per_connection=1
    )
    try:
        for m in messages:
            producer.send(m.topic, key=m.key, value=m.value, headers=m.headers).get(timeout=30)
    finally:
        producer.close()


def effects_table(conn: psycopg.Connection[Any], schema: str) -> None:
    conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
    conn.execute(
        SQL("CREATE TABLE IF NOT EXISTS {} (event_id text NOT NULL, n int NOT NULL)").format(
            Identifier(schema, "effects")
        )
    )


def record_effect(schema: str) -> Handler:
    """The effect: one row per application. No unique key: applying twice leaves two rows."""

    def handle(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        conn.execute(
            SQL("INSERT INTO {} (event_id, n) VALUES (%s, %s)").format(
                Identifier(schema, "effects")
            ),
            (event.id, event.data["n"]),
        )

    return handle


def effects(database_url: str, schema: str) -> list[tuple[str, int]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            SQL("SELECT event_id, n FROM {} ORDER BY n").format(Identifier(schema, "effects"))
        ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def config(
    database_url: str,
    schema: str,
    bootstrap: str,
    topic: str,
    name: str = "follower",
    max_poll_records: int = 500,
) -> ConsumerConfig:
    return ConsumerConfig(
        name=name,
        database_url=database_url,
        schema=schema,
        bootstrap_servers=bootstrap,
        topics=[topic],
        first_backoff=0.01,
        max_backoff=0.1,
        session_timeout=1.0,  # a killed consumer's partitions move on quickly
        heartbeat_interval=0.2,
        lag_interval=0.1,
        max_poll_records=max_poll_records,
    )


@contextmanager
def consumer_thread(consumer: Consumer) -> Iterator[Consumer]:
    with running(consumer.run, "consumer"):
        yield consumer


def new_effects_schema(database_url: str, prefix: str) -> str:
    """A fresh schema holding the test consumers' effects table."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        effects_table(conn, name)
    return name
