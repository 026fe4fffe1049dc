"""The shared /health, /ready and /metrics server and the positions it reads from the database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from psycopg.sql import SQL, Identifier

from partia_kit.consumer import create_tables, offsets_table
from partia_kit.operations import (
    Positions,
    PositionsCollector,
    consumer_positions,
    database_check,
    lag_check,
    relay_positions,
    serve_operations,
)
from partia_kit.relay import create_position_table, position_table


@pytest.fixture
def schema(database_url: str) -> Iterator[str]:
    name = f"ops_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(name)))
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(name)))


def relay_acknowledged(
    conn: psycopg.Connection[Any], schema: str, position: int, acknowledged: dict[str, int]
) -> None:
    """What a relay stores after the broker acknowledged a batch (partia_kit.relay)."""
    create_position_table(conn, schema, "svc")
    conn.execute(
        SQL("UPDATE {} SET position = %s, broker = %s").format(
            Identifier(schema, position_table("svc"))
        ),
        (position, json.dumps({"acknowledged": acknowledged, "seen_end": {}})),
    )


def consumer_applied(conn: psycopg.Connection[Any], schema: str, offsets: dict[int, int]) -> None:
    """What a consumer group stores with its effects (partia_kit.consumer)."""
    create_tables(conn, schema, "follower")
    for partition, next_offset in offsets.items():
        conn.execute(
            SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(
                Identifier(schema, offsets_table("follower"))
            ),
            (f"{schema}.topic", partition, next_offset),
        )


def test_consumer_lag_per_partition_is_what_the_relay_had_acknowledged_less_what_was_applied(
    database_url: str, schema: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        relay_acknowledged(conn, schema, 40, {f"{schema}.topic:0": 9, f"{schema}.topic:1": 4})
        consumer_applied(conn, schema, {0: 3, 1: 5, 2: 7})
        assert relay_positions(conn, schema) == {"svc": 40}
        found = {
            (c.group, c.partition): (c.next_offset, c.lag)
            for c in consumer_positions(conn)
            if c.topic == f"{schema}.topic"
        }
    # offsets 0-9 were published on partition 0 and 0-2 applied: 7 to go; partition 1 is done;
    # nothing this database published went to partition 2, so its lag is not known here
    assert found == {("follower", 0): (3, 7), ("follower", 1): (5, 0), ("follower", 2): (7, None)}


def test_the_operations_server_answers_health_ready_and_metrics_over_http(
    database_url: str, schema: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        consumer_applied(conn, schema, {0: 3})
        relay_acknowledged(conn, schema, 40, {f"{schema}.topic:0": 9})

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(database_url, autocommit=True)

    def positions() -> Positions:
        with connect() as conn:
            return Positions(50, 45, relay_positions(conn, schema), consumer_positions(conn))

    registry = CollectorRegistry()
    registry.register(PositionsCollector("svc", positions))
    lag = {"value": 10}
    server = serve_operations(
        "127.0.0.1",
        0,
        registry,
        lambda: [database_check(connect), lag_check("relay_lag", lag["value"], 10)],
    )
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["relay_lag"] == {"ok": True, "value": 10, "limit": 10}
        lag["value"] = 11
        behind = httpx.get(f"{base}/ready")
        assert behind.status_code == 503
        assert behind.json()["checks"]["relay_lag"] == {"ok": False, "value": 11, "limit": 10}

        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(httpx.get(f"{base}/metrics").text)
            for s in family.samples
        }
        consumer = (("group", "follower"), ("partition", "0"), ("topic", f"{schema}.topic"))
        assert samples[("partia_consumer_lag_messages", consumer)] == 7
        assert samples[("partia_relay_lag_events", (("relay", "svc"), ("service", "svc")))] == 10
        assert samples[("partia_read_model_lag_events", (("service", "svc"),))] == 5
    finally:
        server.stop()


def test_ready_is_503_naming_the_database_when_it_does_not_answer() -> None:
    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=2)

    def unreadable() -> Positions:
        with connect():
            raise AssertionError("unreachable")

    registry = CollectorRegistry()
    registry.register(PositionsCollector("svc", unreadable))
    server = serve_operations("127.0.0.1", 0, registry, lambda: [database_check(connect)])
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert httpx.get(f"{base}/health").status_code == 200  # alive all the same
        ready = httpx.get(f"{base}/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not ready"
        assert ready.json()["checks"]["database"]["ok"] is False
        assert "127.0.0.1" in ready.json()["checks"]["database"]["value"]
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert 'partia_positions_up{service="svc"} 0.0' in metrics.text
    finally:
        server.stop()
