"""What every service tells operations: `/health` (alive), `/ready` (able to do its work) and
`/metrics` (Prometheus text), for API processes and for the background processes alike.

- Readiness is a list of named checks, each with its value and the limit it is held to; the
  answer is 200 when all pass, else 503, and the JSON names every check either way.
- Positions and lags are read from the database when Prometheus scrapes (`PositionsCollector`),
  never counted in the relay's or the runner's loop: the tracking tables already hold them, and a
  scrape then tells the truth even about a process that is not running.
- A background process (relay, projection runner) serves the three paths with `serve_operations`
  on `PARTIA_METRICS_HOST:PARTIA_METRICS_PORT`: a tiny WSGI app on a thread, no web framework.

None of the three needs a token (decision 112): they say how far behind processes are and count
requests and refusals by rule, never who or what.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg
from prometheus_client import CollectorRegistry, exposition
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg.sql import SQL, Identifier

log = logging.getLogger(__name__)

RELAY_TABLE_SUFFIX = "_relay_position"  # partia_kit.relay.position_table
CONSUMER_TABLE_SUFFIX = "_consumer_offsets"  # partia_kit.consumer.offsets_table


# --- readiness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One readiness check: `value` is what was measured (a lag in events, or an error's text),
    `limit` the most it may be (None: it only has to answer)."""

    name: str
    ok: bool
    value: Any
    limit: int | None = None


def lag_check(name: str, lag: int | None, limit: int) -> Check:
    """A lag (events not yet applied or published) that must stay at or below `limit`; None
    means the process never started tracking, which fails."""
    if lag is None:
        return Check(name, False, "not tracking yet", limit)
    return Check(name, lag <= limit, lag, limit)


def readiness(checks: Sequence[Check]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of `/ready`."""
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {
            check.name: {k: v for k, v in asdict(check).items() if k != "name"} for check in checks
        },
    }
    return (200 if ready else 503), body


Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
"""A connection for one use: `psycopg.connect` with its arguments, or a pool's `connection`."""


def database_check(connect: Connect) -> Check:
    try:
        with connect() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return Check("database", False, str(error).strip() or type(error).__name__)
    return Check("database", True, "ok")


# --- positions read from the database ------------------------------------------------------


@dataclass(frozen=True)
class ConsumerPosition:
    group: str
    topic: str
    partition: int
    next_offset: int
    lag: int | None
    """Messages the relay had acknowledged on the partition and the group had not applied yet;
    None when no relay in this database published to it."""


@dataclass(frozen=True)
class Positions:
    """How far a service's followers of its event log are, read in one go."""

    head: int
    """The event log's highest position."""
    read_model: int | None = None
    relays: dict[str, int] = field(default_factory=dict)
    consumers: list[ConsumerPosition] = field(default_factory=list)

    @property
    def read_model_lag(self) -> int | None:
        return None if self.read_model is None else max(0, self.head - self.read_model)

    def relay_lag(self, name: str) -> int | None:
        position = self.relays.get(name)
        return None if position is None else max(0, self.head - position)


def log_head(conn: psycopg.Connection[Any], schema: str, events_table: str) -> int:
    row = conn.execute(
        SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(
            Identifier(schema, events_table)
        )
    ).fetchone()
    return int(row[0]) if row else 0


def relay_positions(conn: psycopg.Connection[Any], schema: str) -> dict[str, int]:
    """Every relay of `schema` (its position table) and its position."""
    return {
        name: int(row[0])
        for name, row in _tables_with_suffix(conn, RELAY_TABLE_SUFFIX, schema, "position")
    }


def consumer_positions(conn: psycopg.Connection[Any]) -> list[ConsumerPosition]:
    """Every consumer group whose offsets table is in this database (any schema), per partition,
    with its lag against the offsets the relays of this database had acknowledged: as far as the
    database knows it (the broker itself may hold more, from elsewhere)."""
    acknowledged: dict[tuple[str, int], int] = {}
    for _, row in _tables_with_suffix(conn, RELAY_TABLE_SUFFIX, None, "broker"):
        for key, offset in (row[0] or {}).get("acknowledged", {}).items():
            topic, _, partition = key.rpartition(":")
            slot = (topic, int(partition))
            acknowledged[slot] = max(acknowledged.get(slot, -1), int(offset))
    found: list[ConsumerPosition] = []
    for schema, group in _named_tables(conn, CONSUMER_TABLE_SUFFIX, None):
        rows = conn.execute(
            SQL("SELECT topic, partition, next_offset FROM {} ORDER BY 1, 2").format(
                Identifier(schema, group + CONSUMER_TABLE_SUFFIX)
            )
        ).fetchall()
        for topic, partition, next_offset in rows:
            end = acknowledged.get((topic, partition))
            lag = None if end is None else max(0, end + 1 - next_offset)
            found.append(ConsumerPosition(group, topic, partition, next_offset, lag))
    return found


def _named_tables(
    conn: psycopg.Connection[Any], suffix: str, schema: str | None
) -> list[tuple[str, str]]:
    """(schema, name without the suffix) of each table named `<name><suffix>`."""
    rows = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE right(table_name, %s) = %s AND (%s::text IS NULL OR table_schema = %s)"
        " ORDER BY 1, 2",
        (len(suffix), suffix, schema, schema),
    ).fetchall()
    return [(s, name[: -len(suffix)]) for s, name in rows]


def _tables_with_suffix(
    conn: psycopg.Connection[Any], suffix: str, schema: str | None, column: str
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    for table_schema, name in _named_tables(conn, suffix, schema):
        row = conn.execute(
            SQL("SELECT {} FROM {}").format(
                Identifier(column), Identifier(table_schema, name + suffix)
            )
        ).fetchone()
        if row is not None:
            yield name, tuple(row)


class PositionsCollector(Collector):
    """Prometheus gauges of a service's positions and lags, measured at scrape time by
    `measure` (one database round of a few small queries). A database that does not answer
    gives `partia_positions_up 0` and no positions, rather than a failed scrape."""

    def __init__(self, service: str, measure: Callable[[], Positions]) -> None:
        self._service = service
        self._measure = measure

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "partia_positions_up",
            "1 if the positions could be read from the database",
            labels=["service"],
        )
        try:
            positions = self._measure()
        except psycopg.Error as error:
            log.warning("metrics: positions not readable: %s", error)
            up.add_metric([self._service], 0)
            yield up
            return
        up.add_metric([self._service], 1)
        yield up
        yield from self._families(positions)

    def _families(self, positions: Positions) -> Iterator[GaugeMetricFamily]:
        service = [self._service]
        head = GaugeMetricFamily(
            "partia_event_log_position", "the event log's highest position", labels=["service"]
        )
        head.add_metric(service, positions.head)
        yield head
        if positions.read_model is not None:
            yield _gauge(
                "partia_read_model_position",
                "the log position the read model has applied",
                service,
                positions.read_model,
            )
            yield _gauge(
                "partia_read_model_lag_events",
                "events logged and not yet in the read model",
                service,
                positions.read_model_lag or 0,
            )
        relay = GaugeMetricFamily(
            "partia_relay_position",
            "the log position up to which the broker acknowledged the relay's messages",
            labels=["service", "relay"],
        )
        relay_lag = GaugeMetricFamily(
            "partia_relay_lag_events",
            "events logged and not yet acknowledged by the broker",
            labels=["service", "relay"],
        )
        for name, position in sorted(positions.relays.items()):
            relay.add_metric([self._service, name], position)
            relay_lag.add_metric([self._service, name], positions.relay_lag(name) or 0)
        yield relay
        yield relay_lag
        offset = GaugeMetricFamily(
            "partia_consumer_next_offset",
            "the next offset a consumer group applies, per partition (stored with its effects)",
            labels=["group", "topic", "partition"],
        )
        lag = GaugeMetricFamily(
            "partia_consumer_lag_messages",
            "messages the relays of this database had published and the group not yet applied",
            labels=["group", "topic", "partition"],
        )
        for consumer in positions.consumers:
            labels = [consumer.group, consumer.topic, str(consumer.partition)]
            offset.add_metric(labels, consumer.next_offset)
            if consumer.lag is not None:
                lag.add_metric(labels, consumer.lag)
        yield offset
        yield lag


def _gauge(name: str, documentation: str, service: list[str], value: int) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    family.add_metric(service, value)
    return family


# --- the three paths, for a process without a web framework --------------------------------


def metrics_text(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The Prometheus text exposition of `registry` and its content type."""
    return exposition.generate_latest(registry), exposition.CONTENT_TYPE_LATEST


def operations_app(
    registry: CollectorRegistry, checks: Callable[[], Sequence[Check]]
) -> Callable[..., list[bytes]]:
    """A WSGI app answering GET /health, /ready and /metrics (anything else: 404)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/health":
            status, body, kind = 200, b'{"status":"ok"}', "application/json"
        elif path == "/ready":
            status, payload = readiness(checks())
            body, kind = json.dumps(payload).encode(), "application/json"
        elif path == "/metrics":
            status = 200
            body, kind = metrics_text(registry)
        else:
            status, body, kind = 404, b'{"status":"no such path"}', "application/json"
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [("Content-Type", kind)])
        return [body]

    return app


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        threading.Thread(target=self._handle, args=(request, client_address), daemon=True).start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # one bad request must not end the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base's name
        pass  # a scrape every few seconds is not news


@dataclass
class OperationsServer:
    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def serve_operations(
    host: str,
    port: int,
    registry: CollectorRegistry,
    checks: Callable[[], Sequence[Check]],
) -> OperationsServer:
    """Serve /health, /ready and /metrics on `host:port` (0: any free port) from a daemon
    thread of this process until `stop()`."""
    server = make_server(
        host,
        port,
        operations_app(registry, checks),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="operations-http", daemon=True)
    thread.start()
    log.info("health, readiness and metrics on http://%s:%d", host, server.server_address[1])
    return OperationsServer(server, thread)
