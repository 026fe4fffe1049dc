"""The notifications service's health, readiness and metrics (the generic parts:
`partia_kit.operations`): the database answers; how many notices are queued, sent, failed and
withheld; how far its consumer is on Kafka."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg.sql import SQL

from partia_kit.operations import (
    Check,
    Connect,
    OperationsServer,
    Positions,
    PositionsCollector,
    consumer_positions,
    database_check,
    serve_operations,
)
from partia_kit.postgres.statements import table
from partia_notifications.adapters.deliveries import (
    CANCELLED,
    FAILED,
    QUEUED,
    SENT,
    TABLE,
    WITHHELD,
)
from partia_notifications.settings import NotificationsSettings

SERVICE = "notifications"


def delivery_counts(conn: psycopg.Connection[Any], schema: str) -> dict[str, int]:
    rows = conn.execute(
        SQL("SELECT status, count(*) FROM {} GROUP BY status").format(table(schema, TABLE))
    ).fetchall()
    return {str(status): int(n) for status, n in rows}


class DeliveriesCollector(Collector):
    """`partia_notifications_deliveries{status}`: the delivery log by status, at scrape time."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "partia_notifications_deliveries",
            "notices in the delivery log by status",
            labels=["status"],
        )
        try:
            counts = self._counts()
        except psycopg.Error:
            return
        for status in (QUEUED, SENT, FAILED, WITHHELD, CANCELLED):
            family.add_metric([status], counts.get(status, 0))
        yield family


def metrics_registry(connect: Connect, schema: str) -> CollectorRegistry:
    def positions() -> Positions:
        with connect() as conn:
            return Positions(0, None, {}, consumer_positions(conn))

    def counts() -> dict[str, int]:
        with connect() as conn:
            return delivery_counts(conn, schema)

    registry = CollectorRegistry()
    registry.register(PositionsCollector(SERVICE, positions))
    registry.register(DeliveriesCollector(counts))
    return registry


def readiness_checks(connect: Connect) -> list[Check]:
    return [database_check(connect)]


def serve_if_configured(settings: NotificationsSettings) -> OperationsServer | None:
    """For `project` and `send`: /health, /ready and /metrics on `PARTIA_METRICS_PORT`, if set."""
    if settings.metrics_port is None:
        return None
    url = settings.database_url
    assert url is not None

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    return serve_operations(
        settings.metrics_host,
        settings.metrics_port,
        metrics_registry(connect, settings.database_schema),
        lambda: readiness_checks(connect),
    )
