"""A lean closed-loop HTTP/1.1 load generator over raw asyncio streams.

Each client owns one keep-alive connection and takes the next request from a queue shared by
all clients, sends it and reads the whole response before taking another. Every request is
encoded to bytes before the clock starts, so during the timed run a client only writes, parses
one status line and a few headers, and reads a body. The client shares the machine with the
server and PostgreSQL, so its own CPU time is measured and reported alongside the results.
"""

from __future__ import annotations

import asyncio
import math
import resource
import time
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

MAX_ERROR_SAMPLES = 5
_MAX_HEADER_BYTES = 64 * 1024


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of ascending values, p in (0, 100]; NaN when there are none."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request; `Host` and `Content-Length` are added when it is encoded."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes


@dataclass(slots=True)
class LoadResult:
    """What a run did: counts, wall time, latencies, and optionally every response."""

    count: int
    errors: int
    error_samples: list[str]
    elapsed: float
    latencies_ms: list[float]  # sorted ascending
    client_cpu_seconds: float
    # In request order; only filled when run_load(..., collect_bodies=True).
    responses: list[Response] | None = None

    @property
    def throughput(self) -> float:
        """Completed requests (errors included) per second of wall time."""
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> int:
        return self.count - self.errors

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p90(self) -> float:
        return self.percentile(90)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def max(self) -> float:
        return self.latencies_ms[-1] if self.latencies_ms else math.nan

    @property
    def client_cpu_share(self) -> float:
        """The load generator's CPU time as a fraction of one core over the run."""
        return self.client_cpu_seconds / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> str:
        return (
            f"{self.count} requests, {self.errors} errors in {self.elapsed:.2f} s: "
            f"{self.throughput:.0f}/s, p50 {self.p50:.1f} p90 {self.p90:.1f} "
            f"p99 {self.p99:.1f} max {self.max:.1f} ms; "
            f"client CPU {self.client_cpu_share:.0%} of a core"
        )


class ProtocolError(Exception):
    """The server sent something this client does not understand, or closed mid-response."""


def encode_request(request: Request, host: str, port: int) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}:{port}"]
    lines.extend(f"{name}: {value}" for name, value in request.headers.items())
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(request.body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + request.body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response; return (status, body, whether the server will close the connection)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError("connection closed before a complete response head") from exc
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("response head too large") from exc

    status_line, _, header_block = head[:-4].partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ProtocolError(f"bad status line: {status_line[:100]!r}")
    status = int(parts[1])
    will_close = parts[0] == b"HTTP/1.0"

    content_length: int | None = None
    chunked = False
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            content_length = int(value)
        elif name == b"transfer-encoding":
            if value.strip().lower() != b"chunked":
                raise ProtocolError(f"unsupported transfer-encoding: {value.strip()!r}")
            chunked = True
        elif name == b"connection":
            token = value.strip().lower()
            if token == b"close":
                will_close = True
            elif token == b"keep-alive":
                will_close = False

    try:
        if chunked:
            body = await _read_chunked(reader)
        elif content_length is not None:
            body = await reader.readexactly(content_length) if content_length else b""
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            # No length: the body runs to the end of the connection (RFC 9112 §6.3).
            body = await reader.read()
            will_close = True
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError("connection closed in the middle of a response body") from exc
    return status, body, will_close


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailer section: header lines until an empty line.
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")


class _Run:
    """State shared by the clients of one run: the queue of work and the results."""

    def __init__(self, payloads: Sequence[bytes], collect_bodies: bool) -> None:
        # The shared queue: clients pull (index, bytes) from one iterator. The event loop is
        # single-threaded, so next() on it needs no lock.
        self.queue: Iterator[tuple[int, bytes]] = enumerate(payloads)
        self.latencies_ns: list[int] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.responses: list[Response | None] | None = (
            [None] * len(payloads) if collect_bodies else None
        )

    def record_error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(message)


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    # asyncio and uvloop both set TCP_NODELAY on TCP connections.
    return await asyncio.open_connection(host, port, limit=_MAX_HEADER_BYTES)


async def _client(
    host: str,
    port: int,
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    run: _Run,
    paths: Sequence[str],
) -> None:
    reader, writer = connection
    perf_counter_ns = time.perf_counter_ns
    latencies = run.latencies_ns
    responses = run.responses
    try:
        for index, payload in run.queue:
            started = perf_counter_ns()
            writer.write(payload)
            try:
                status, body, will_close = await read_response(reader)
            except (ProtocolError, ConnectionError) as exc:
                run.record_error(f"{paths[index]}: transport error: {exc!r}")
                writer.close()
                reader, writer = await _open(host, port)
                continue
            latencies.append(perf_counter_ns() - started)
            if not 200 <= status < 300:
                text = body[:500].decode("utf-8", "replace")
                run.record_error(f"{paths[index]}: HTTP {status}: {text}")
            if responses is not None:
                responses[index] = Response(status, body)
            if will_close:
                writer.close()
                reader, writer = await _open(host, port)
    finally:
        writer.close()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_load(
    host: str,
    port: int,
    requests: Sequence[Request],
    concurrency: int,
    *,
    collect_bodies: bool = False,
) -> LoadResult:
    """Send every request once, over `concurrency` keep-alive connections, and time it.

    Latency is measured per request from the write to the last byte of the response; the clock
    for `elapsed` starts once all connections are open. Transport failures count as errors and
    the client reconnects; non-2xx responses count as errors (the first few are kept as samples).
    """
    payloads = [encode_request(r, host, port) for r in requests]
    paths = [r.path for r in requests]
    run = _Run(payloads, collect_bodies)
    concurrency = max(1, min(concurrency, len(payloads)))

    # Connect everyone first, so connection setup is not in the timed window.
    connections = await asyncio.gather(*(_open(host, port) for _ in range(concurrency)))

    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    async with asyncio.TaskGroup() as clients:  # one client failing stops the run
        for connection in connections:
            clients.create_task(_client(host, port, connection, run, paths))
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before

    responses: list[Response] | None = None
    if run.responses is not None:
        # Every slot is filled except those whose request failed in transport.
        responses = [r if r is not None else Response(0, b"") for r in run.responses]
    return LoadResult(
        count=len(payloads),
        errors=run.errors,
        error_samples=run.error_samples,
        elapsed=elapsed,
        latencies_ms=sorted(ns / 1e6 for ns in run.latencies_ns),
        client_cpu_seconds=cpu,
        responses=responses,
    )


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop when it is installed, else on the default event loop."""
    try:
        import uvloop
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main)


# --- open loop ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One request of an open-loop run; times are `time.time()` seconds, comparable with what
    other processes on the machine record."""

    scheduled: float
    sent: float
    answered: float  # when the last byte of the reply arrived (NaN on a transport error)
    status: int
    body: bytes


async def run_open_loop(
    host: str, port: int, requests: Sequence[Request], rate: float, connections: int
) -> list[Sent]:
    """Send request i at start + i/rate, whatever the earlier replies do (an open loop: a slow
    server meets the same arrivals, and its queueing shows in the latencies).

    Each request goes out on a free keep-alive connection of `connections`; when none is free it
    waits for one, and `sent - scheduled` shows it (size `connections` above rate x latency)."""
    payloads = [encode_request(r, host, port) for r in requests]
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for connection in await asyncio.gather(*(_open(host, port) for _ in range(connections))):
        free.put_nowait(connection)
    results: list[Sent | None] = [None] * len(payloads)
    loop = asyncio.get_running_loop()
    clock_offset = time.time() - loop.time()

    async def one(index: int, scheduled: float) -> None:
        reader, writer = await free.get()
        sent = time.time()
        writer.write(payloads[index])
        try:
            status, body, will_close = await read_response(reader)
        except (ProtocolError, ConnectionError) as exc:
            results[index] = Sent(scheduled, sent, math.nan, 0, repr(exc).encode())
            writer.close()
            will_close = True
        else:
            results[index] = Sent(scheduled, sent, time.time(), status, body)
        if will_close:
            writer.close()
            reader, writer = await _open(host, port)
        free.put_nowait((reader, writer))

    start = loop.time() + 0.05
    async with asyncio.TaskGroup() as tasks:
        for index in range(len(payloads)):
            at = start + index / rate
            if (wait := at - loop.time()) > 0:
                await asyncio.sleep(wait)
            tasks.create_task(one(index, at + clock_offset))
    while not free.empty():
        free.get_nowait()[1].close()
    return [r for r in results if r is not None]
