"""The read front: an API process that answers reads itself and hands every write to the writer
process (decision 313).

Under full-speed admissions the writer process is busy all the time: its event loop parses and
answers 32 admitting connections and its writer thread decides and commits, sharing one GIL. A
roll read that waits behind a batch's worth of requests in that loop waited up to a whole cycle
(bench/README, the mixed run). The front is a second process that owns the public port: a read
(GET, HEAD, OPTIONS) is served by the front's own copy of the app (the read model is in
PostgreSQL, so any process can answer it), and any other request is passed through, bytes as they
came, to the writer on a private local port, whose answer is passed back. The front's event loop
then only relays writes (no FastAPI, no validation, no decision) and its reads do not wait behind
the writer's work.

The relay is a small HTTP/1.1 client over pooled keep-alive connections: requests without
`Expect`, `Upgrade` or trailers, answers with a `Content-Length`, chunked or no body, as the
service's own app sends them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Metric, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from partia_kit.http.guards import BodyLimit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

READS = frozenset({"GET", "HEAD", "OPTIONS"})
READY, METRICS = "/ready", "/metrics"
"""Answered with both processes' metrics in one exposition: the front times the reads, the writer
counts the writes, commands and batches (decision 114)."""
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"expect",  # the front has the whole body: no 100 Continue to wait for
        b"date",  # the front's server adds its own date and server headers
        b"server",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
        b"x-forwarded-for",
        b"x-forwarded-proto",
    }
)
IDLE_SECONDS = 2.0
"""A pooled connection idle longer is closed rather than reused: uvicorn closes an idle keep-alive
connection after 5 s, and a request written as it does so would be lost (a write must never be
sent twice, so nothing is retried)."""


class WriterUnavailable(Exception):
    """The writer process did not answer (not started yet, restarting, or gone)."""


class Upstream:
    """Pooled HTTP/1.1 keep-alive connections to the writer process."""

    def __init__(self, host: str, port: int, max_idle: int = 64) -> None:
        self.host, self.port, self.max_idle = host, port, max_idle
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def exchange(
        self, head: bytes, body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        reader, writer = await self._connection()
        reusable = False
        try:
            writer.write(head + body)
            status, headers, content, reusable = await _read_response(reader)
            return status, headers, content
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as failure:
            raise WriterUnavailable(str(failure)) from failure
        finally:
            if reusable and len(self._idle) < self.max_idle:
                self._idle.append((reader, writer, time.monotonic()))
            else:
                writer.close()

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        now = time.monotonic()
        while self._idle:
            reader, writer, since = self._idle.pop()
            if now - since < IDLE_SECONDS and not reader.at_eof():
                return reader, writer
            writer.close()
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError as failure:
            raise WriterUnavailable(str(failure)) from failure


async def _read_response(
    reader: asyncio.StreamReader,
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    """(status, headers without hop-by-hop ones, body, whether the connection may be reused);
    an interim answer (1xx) is passed over."""
    status = 100
    while 100 <= status < 200:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
        if name not in _HOP_BY_HOP:
            headers.append((name, value))
    if status in (204, 304):
        body = b""
    elif chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body, close = await reader.read(), True
    return status, headers, body, not close


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, none expected
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class WritesToWriter:
    """ASGI: reads to `app`, every other request relayed to the writer process. A body over
    `max_body_bytes` is refused here (413) before it is held, as the app's own guard would."""

    def __init__(self, app: ASGIApp, upstream: Upstream, max_body_bytes: int) -> None:
        self.app, self.upstream = app, upstream
        self._relay_within_limit = BodyLimit(self._relay, max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == METRICS:
            await self._metrics(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == READY:
            await self._ready(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] in READS:
            await self.app(scope, receive, send)
            return
        await self._relay_within_limit(scope, receive, send)

    async def _relay(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive)
        try:
            status, headers, content = await self.upstream.exchange(_head(scope, body), body)
        except WriterUnavailable:
            status, headers, content = _unavailable()
        headers.append((b"content-length", str(len(content)).encode()))
        await _send(send, status, headers, content)

    async def _ready(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Ready when the front's own checks pass and the writer answers ready: a front whose
        writer is down or restarting would refuse every write."""
        status, _, own = await _answer_of(self.app, scope, receive)
        writer: dict[str, Any] = {"ok": False, "value": None, "limit": None}
        try:
            answered, _, _ = await self.upstream.exchange(_head(scope, b""), b"")
            writer.update(ok=answered == 200, value=f"/ready answered {answered}")
        except WriterUnavailable as failure:
            writer["value"] = f"the writer process did not answer: {failure}"
        body = json.loads(own)
        body.setdefault("checks", {})["writer"] = writer
        if not writer["ok"]:
            status, body["status"] = 503, "not ready"
        content = json.dumps(body).encode()
        await _send(
            send,
            status,
            [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))],
            content,
        )

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, headers, own = await _answer_of(self.app, scope, receive)
        if status != 200:
            await _send(send, status, headers, own)
            return
        try:
            writer_status, _, writers = await self.upstream.exchange(_head(scope, b""), b"")
        except WriterUnavailable:
            writer_status, writers = 503, b""
        text = own.decode()
        if writer_status == 200:
            text = merged_exposition(text, writers.decode())
        body = text.encode()
        kept = [(n, v) for n, v in headers if n.lower() != b"content-length"]
        await _send(send, 200, [*kept, (b"content-length", str(len(body)).encode())], body)


def merged_exposition(front: str, writer: str) -> str:
    """Two Prometheus text expositions as one: every family once, every series once (the front's
    copy of a series both report, such as a position read from the database, is kept)."""
    families: dict[str, Metric] = {}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for text in (front, writer):
        for family in text_string_to_metric_families(text):
            kept = families.setdefault(
                family.name, Metric(family.name, family.documentation, family.type, family.unit)
            )
            for sample in family.samples:
                series = (sample.name, tuple(sorted(sample.labels.items())))
                if series not in seen:
                    seen.add(series)
                    kept.samples.append(sample)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(list(families.values())))
    return generate_latest(registry).decode()


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


async def _answer_of(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    start: Message = {}
    parts: list[bytes] = []

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, keep)
    return int(start["status"]), list(start.get("headers", [])), b"".join(parts)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(parts)


def _head(scope: Scope, body: bytes) -> bytes:
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    client = scope.get("client")
    lines = [b"%s %s HTTP/1.1" % (scope["method"].encode(), target)]
    lines += [b"%s: %s" % (n, v) for n, v in scope["headers"] if n.lower() not in _HOP_BY_HOP]
    lines.append(b"content-length: %d" % len(body))
    if client:  # the writer's uvicorn trusts its local front (forwarded_allow_ips)
        lines.append(b"x-forwarded-for: " + client[0].encode())
    lines.append(b"x-forwarded-proto: " + scope.get("scheme", "http").encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _unavailable() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    problem = {
        "type": "about:blank",
        "title": "Service unavailable",
        "status": 503,
        "detail": "the writer process did not answer; try again",
    }
    return (
        503,
        [(b"content-type", b"application/problem+json"), (b"retry-after", b"1")],
        json.dumps(problem).encode(),
    )
