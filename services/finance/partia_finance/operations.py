"""The finance service's health, readiness and metrics (the generic parts: `partia_kit.operations`):
its event log's head, its relay's position, the consumers of this database and the members whose
dues wait for the dues refresher."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from partia_finance.adapters.postgres.dues_refresher import queued
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


class DuesQueueCollector(Collector):
    """`partia_finance_dues_queued`: queue entries the dues refresher has not refreshed yet
    (decision 309); high while finance catches up on the registry's history, 0 otherwise."""

    def __init__(self, connect: Callable[[], Any], schema: str) -> None:
        self._connect, self._schema = connect, schema

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            with self._connect() as conn:
                count = queued(conn, self._schema)
        except psycopg.Error:  # partia_positions_up says the database is away
            return
        gauge = GaugeMetricFamily(
            "partia_finance_dues_queued", "members whose dues positions wait for the refresher"
        )
        gauge.add_metric([], count)
        yield gauge


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
    registry.register(DuesQueueCollector(lambda: finance.pool.connection(timeout=5), schema))
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
    registry.register(DuesQueueCollector(connect, schema))
    return serve_operations(
        settings.metrics_host,
        settings.metrics_port,
        registry,
        lambda: readiness_checks(connect, schema, settings.ready_max_relay_lag, relay=relay),
    )
