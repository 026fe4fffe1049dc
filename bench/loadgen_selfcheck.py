"""Self-check for the load generator: correctness against edge cases, and its own top speed.

    python -m bench.loadgen_selfcheck [--requests 20000]

Starts two throwaway servers in subprocesses: a uvicorn+httptools FastAPI app (the same stack
as the registry) and a bare asyncio server that answers every request with a canned response.
Checks keep-alive, chunked bodies, `Connection: close`, non-2xx errors and response collection,
then reports request rates and the client's CPU cost per request. The bare server shows how
fast the client alone can go on this machine; the implied ceiling (1 / client CPU per
request) says how many requests per second the client could drive with a core to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi import Response as HttpResponse
from fastapi.responses import JSONResponse, StreamingResponse

from bench.loadgen import LoadResult, Request, run_async, run_load

HOST = "127.0.0.1"
_CANNED = (
    b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
)


def create_app() -> FastAPI:
    """The FastAPI app the uvicorn subprocess serves (uvicorn --factory)."""
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/echo", status_code=201)
    async def echo(request: HttpRequest) -> dict[str, Any]:
        return {"received": await request.json(), "key": request.headers.get("idempotency-key")}

    @app.get("/chunked")
    async def chunked() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b'{"parts": [', b"1, 2,", b" 3]}"):
                yield part

        return StreamingResponse(parts(), media_type="application/json")

    @app.get("/fail")
    async def fail() -> JSONResponse:
        return JSONResponse({"detail": "deliberate"}, status_code=500)

    @app.get("/close")
    async def close() -> HttpResponse:
        return HttpResponse(b"bye", headers={"connection": "close"})

    return app


def serve_raw(port: int) -> None:
    """A bare asyncio server: every request head gets the canned response (no bodies expected)."""

    class Canned(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.Transport, transport)
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            count = self.buffer.count(b"\r\n\r\n")
            if count:
                self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4 :]
                self.transport.write(_CANNED * count)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Canned, HOST, port)
        async with server:
            await server.serve_forever()

    run_async(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@contextlib.contextmanager
def server_process(args: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen([sys.executable, *args])
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def check_correctness(port: int) -> None:
    gets = [Request("GET", "/ping")] * 50
    posts = [
        Request(
            "POST",
            "/echo",
            {"Content-Type": "application/json", "Idempotency-Key": f"key-{i}"},
            json.dumps({"n": i, "text": "Қазақстан"}).encode(),
        )
        for i in range(50)
    ]
    result = await run_load(HOST, port, gets + posts, 8, collect_bodies=True)
    assert result.errors == 0, result.error_samples
    assert result.responses is not None
    for i, response in enumerate(result.responses[50:]):
        assert response.status == 201, response
        assert json.loads(response.body) == {
            "received": {"n": i, "text": "Қазақстан"},
            "key": f"key-{i}",
        }, response.body
    assert all(json.loads(r.body) == {"ok": True} for r in result.responses[:50])

    result = await run_load(HOST, port, [Request("GET", "/chunked")] * 20, 4, collect_bodies=True)
    assert result.errors == 0, result.error_samples
    assert result.responses is not None
    assert all(json.loads(r.body) == {"parts": [1, 2, 3]} for r in result.responses)

    mixed = [Request("GET", "/close"), Request("GET", "/ping"), Request("GET", "/fail")] * 10
    result = await run_load(HOST, port, mixed, 3, collect_bodies=True)
    assert result.count == 30
    assert result.errors == 10, result.error_samples
    assert all("HTTP 500" in sample for sample in result.error_samples)
    assert result.responses is not None
    assert [r.body for r in result.responses[:2]] == [b"bye", b'{"ok":true}']
    print("correctness: keep-alive, POST bodies, chunked, connection: close, errors - OK")


def report(label: str, result: LoadResult) -> None:
    per_request_us = result.client_cpu_seconds / result.count * 1e6
    print(
        f"{label:<34} {result.throughput:7.0f} req/s  p50 {result.p50:5.1f}  "
        f"p99 {result.p99:5.1f} ms   client CPU {per_request_us:4.0f} µs/request "
        f"(alone it could drive ~{1e6 / per_request_us:,.0f}/s per core)"
    )


async def measure(port: int, requests: list[Request], label: str) -> None:
    await run_load(HOST, port, requests[: len(requests) // 10], 32)  # warm-up
    result = await run_load(HOST, port, requests, 32)
    assert result.errors == 0, result.error_samples
    report(label, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--serve-raw", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_raw:
        serve_raw(args.serve_raw)
        return

    uvicorn_port = free_port()
    uvicorn_args = [
        *("-m", "uvicorn", "bench.loadgen_selfcheck:create_app", "--factory"),
        *("--host", HOST, "--port", str(uvicorn_port)),
        *("--http", "httptools", "--loop", "uvloop", "--no-access-log", "--log-level", "warning"),
    ]
    post = Request(
        "POST",
        "/echo",
        {"Content-Type": "application/json", "Idempotency-Key": "k", "Authorization": "Bearer t"},
        json.dumps({"payload": "x" * 300}).encode(),
    )
    with server_process(uvicorn_args, uvicorn_port):
        run_async(check_correctness(uvicorn_port))
        run_async(
            measure(uvicorn_port, [Request("GET", "/ping")] * args.requests, "uvicorn GET /ping")
        )
        run_async(measure(uvicorn_port, [post] * args.requests, "uvicorn POST /echo (~350 B JSON)"))

    raw_port = free_port()
    with server_process(["-m", "bench.loadgen_selfcheck", "--serve-raw", str(raw_port)], raw_port):
        run_async(
            measure(raw_port, [Request("GET", "/ping")] * args.requests, "bare asyncio server")
        )


if __name__ == "__main__":
    main()
