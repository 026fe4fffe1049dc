"""The registry's health, readiness and metrics: which positions it has, which checks say it is
ready, what the API counts (the generic parts: `partia_kit.operations`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry, Counter, Histogram
from psycopg.errors import UndefinedTable

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
from partia_registry.application.batches import Outcome
from partia_registry.application.commands import Command
from partia_registry.application.ports import ConcurrentChange
from partia_registry.composition import EVENTS_TABLE
from partia_registry.domain.rules import NotFound
from partia_registry.projections import tables
from partia_registry.projections.tables import Generation
from partia_registry.settings import RegistrySettings

SERVICE = "registry"
RELAY_NAME = "registry"  # partia_registry.relay.RELAY_NAME (not imported: that pulls in Kafka)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def measure(conn: psycopg.Connection[Any], schema: str) -> Positions:
    """The log's head and how far the read model, the relay and any consumers of this database
    are. A follower that never ran counts as at position 0: all of the log is ahead of it."""
    head = log_head(conn, schema, EVENTS_TABLE)
    try:
        read_model = tables.position(
            conn, Generation(schema, tables.current_generation(conn, schema) or 1)
        )
    except UndefinedTable:
        read_model = 0
    relays = relay_positions(conn, schema)
    relays.setdefault(RELAY_NAME, 0)
    return Positions(head, read_model, relays, consumer_positions(conn))


def checks(
    connect: Connect,
    settings: RegistrySettings,
    *,
    projection: bool = True,
    relay: bool = True,
) -> list[Check]:
    """The readiness checks: the database answers, and (as asked) the read model and the relay
    are within their limits (`PARTIA_READY_MAX_PROJECTION_LAG`, `PARTIA_READY_MAX_RELAY_LAG`)."""
    database = database_check(connect)
    found = [database]
    if not database.ok:
        unknown = "unknown: the database does not answer"
        if projection:
            found.append(Check("projection_lag", False, unknown, settings.ready_max_projection_lag))
        if relay:
            found.append(Check("relay_lag", False, unknown, settings.ready_max_relay_lag))
        return found
    with connect() as conn:
        positions = measure(conn, settings.database_schema)
    if projection:
        found.append(
            lag_check("projection_lag", positions.read_model_lag, settings.ready_max_projection_lag)
        )
    if relay:
        found.append(
            lag_check("relay_lag", positions.relay_lag(RELAY_NAME), settings.ready_max_relay_lag)
        )
    return found


def positions_collector(connect: Connect, schema: str) -> PositionsCollector:
    def read() -> Positions:
        with connect() as conn:
            return measure(conn, schema)

    return PositionsCollector(SERVICE, read)


@dataclass
class ApiMetrics:
    """The API process's Prometheus registry: request latency by route template and status,
    commands by type and outcome, and the positions (read at scrape time)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Histogram(
            "partia_http_request_duration_seconds",
            "time from a request's arrival to its response's start, by route template",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "partia_commands",
            "commands by type and outcome (accepted, refused with its rule, failed)",
            ["command", "outcome", "rule"],
            registry=self.registry,
        )

    def watch_positions(self, connect: Connect, schema: str) -> None:
        self.registry.register(positions_collector(connect, schema))

    def count_command(self, command: Command, outcome: Outcome | None) -> None:
        """`outcome` None: the command failed before it had one."""
        name = type(command).__name__
        error = None if outcome is None else outcome.error
        if outcome is None:
            self.commands.labels(name, "failed", "").inc()
        elif error is None:
            self.commands.labels(name, "accepted", "").inc()
        elif isinstance(rule := getattr(error, "rule", None), str):  # RuleViolation and kin
            self.commands.labels(name, "refused", rule).inc()
        elif isinstance(error, NotFound):
            self.commands.labels(name, "refused", "not-found").inc()
        elif isinstance(error, ConcurrentChange):
            self.commands.labels(name, "refused", "concurrent-change").inc()
        else:
            self.commands.labels(name, "failed", "").inc()


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestTimer:
    """ASGI middleware: each HTTP request's time to its response's start, labelled with the
    route's template (`/members/{member_id}`, never the id itself, which would make a series per
    member) and the status. Requests that matched no route count as `unmatched`."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._series: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                key = (scope["method"], route_template(scope), message["status"])
                series = self._series.get(key)
                if series is None:  # `labels()` checks and locks: once per series, not request
                    series = self._series[key] = self.metrics.requests.labels(
                        key[0], key[1], str(key[2])
                    )
                series.observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, timed_send)


def route_template(scope: Scope) -> str:
    """The template of the route the router matched (it leaves the route in the scope)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "unmatched"


def serve_if_configured(
    settings: RegistrySettings, *, projection: bool, relay: bool
) -> OperationsServer | None:
    """For `project` and `relay`: /health, /ready and /metrics on `PARTIA_METRICS_PORT`, if set."""
    if settings.metrics_port is None:
        return None
    url = settings.database_url
    assert url is not None

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    registry = CollectorRegistry()
    registry.register(positions_collector(connect, settings.database_schema))
    return serve_operations(
        settings.metrics_host,
        settings.metrics_port,
        registry,
        lambda: checks(connect, settings, projection=projection, relay=relay),
    )
