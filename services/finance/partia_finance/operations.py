"""The finance service's health, readiness and metrics (the generic parts: `partia_kit.operations`):
its event log's head, its relay's position and the consumers of this database."""

from __future__ import annotations

from typing import Any

import psycopg
from prometheus_client import CollectorRegistry

from partia_finance.composition import EVENTS_TABLE, Finance
from partia_kit.operations import (
    Check,
    Connect,
    Positions,
    PositionsCollector,
    consumer_positions,
    database_check,
    lag_check,
    log_head,
    relay_positions,
)

SERVICE = "finance"
RELAY_NAME = "finance"


def measure(conn: psycopg.Connection[Any], schema: str) -> Positions:
    """A relay that never ran counts as at position 0: all of the log is ahead of it."""
    relays = relay_positions(conn, schema)
    relays.setdefault(RELAY_NAME, 0)
    return Positions(log_head(conn, schema, EVENTS_TABLE), None, relays, consumer_positions(conn))


def readiness_checks(connect: Connect, schema: str, max_relay_lag: int) -> list[Check]:
    database = database_check(connect)
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
