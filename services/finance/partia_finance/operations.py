"""The finance service's health, readiness and metrics (the generic parts: `partia_kit.operations`):
its event log's head, its relay's position and the consumers of this database."""

from __future__ import annotations

from typing import Any

import psycopg
from prometheus_client import CollectorRegistry

from partia_finance.composition import EVENTS_TABLE, Finance
from partia_finance.settings import FinanceSettings
from partia_kit.operations import (
    Check,
    Connect,
    OperationsServer,
    Positions,
    PositionsCollector,
    consumer_positions,
    database_check,
    lag_check,
    log_head,
    relay_positions,
    serve_operations,
)

SERVICE = "finance"
RELAY_NAME = "finance"


def measure(conn: psycopg.Connection[Any], schema: str) -> Positions:
    """A relay that never ran counts as at position 0: all of the log is ahead of it."""
    relays = relay_positions(conn, schema)
    relays.setdefault(RELAY_NAME, 0)
    return Positions(log_head(conn, schema, EVENTS_TABLE), None, relays, consumer_positions(conn))


def readiness_checks(
    connect: Connect, schema: str, max_relay_lag: int, *, relay: bool = True
) -> list[Check]:
    database = database_check(connect)
    if not relay:
        return [database]
    if not database.ok:
        return [database, Check("relay_lag", False, "unknown: the database does not answer")]
    with connect() as conn:
        positions = measure(conn, schema)
    return [database, lag_check("relay_lag", positions.relay_lag(RELAY_NAME), max_relay_lag)]


def checks(finance: Finance) -> list[Check]:
    settings = finance.settings
    return readiness_checks(
        lambda: finance.pool.connection(timeout=5),
        settings.database_schema,
        settings.ready_max_relay_lag,
    )


def metrics(finance: Finance) -> CollectorRegistry:
    registry = CollectorRegistry()
    schema = finance.settings.database_schema

    def positions() -> Positions:
        with finance.pool.connection(timeout=5) as conn:
            return measure(conn, schema)

    registry.register(PositionsCollector(SERVICE, positions))
    return registry


def serve_if_configured(settings: FinanceSettings, *, relay: bool) -> OperationsServer | None:
    """For `project` and `relay`: /health, /ready and /metrics on `PARTIA_METRICS_PORT`, if set."""
    if settings.metrics_port is None:
        return None
    url = settings.database_url
    assert url is not None
    schema = settings.database_schema

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    def positions() -> Positions:
        with connect() as conn:
            return measure(conn, schema)

    registry = CollectorRegistry()
    registry.register(PositionsCollector(SERVICE, positions))
    return serve_operations(
        settings.metrics_host,
        settings.metrics_port,
        registry,
        lambda: readiness_checks(connect, schema, settings.ready_max_relay_lag, relay=relay),
    )
