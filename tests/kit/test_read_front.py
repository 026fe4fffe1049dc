"""The read front (decision 313): reads answered by the front's own app, every write relayed to the
writer process over real sockets and answered exactly as the writer answered it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from partia_kit.http.front import Upstream, WritesToWriter
from partia_kit.testing import free_port, wait_for


async def _echo(request: Request) -> Response:
    """The writer: says what reached it."""
    return JSONResponse(
        {
            "served_by": "writer",
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": (await request.body()).decode(),
            "idempotency_key": request.headers.get("idempotency-key"),
            "client": request.client.host if request.client else None,
            "host": request.headers.get("host"),
        },
        status_code=201,
        headers={"Location": "/things/42"},
    )


async def _chunked(request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"part {i};".encode()

    return StreamingResponse(parts(), status_code=202, media_type="text/plain")


async def _ready(request: Request) -> Response:
    return JSONResponse({"status": "ready", "checks": {"database": {"ok": True}}})


async def _refused(request: Request) -> Response:
    return Response(status_code=204)


EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"


async def _writer_metrics(request: Request) -> Response:
    return Response(
        "# HELP partia_commands_total commands decided\n# TYPE partia_commands_total counter\n"
        'partia_commands_total{outcome="accepted"} 3.0\n'
        "# HELP partia_position the log's position\n# TYPE partia_position gauge\n"
        "partia_position 10.0\n"
        "# HELP partia_requests_total requests\n# TYPE partia_requests_total counter\n"
        'partia_requests_total{method="POST"} 3.0\n',
        media_type=EXPOSITION,
    )


async def _front_metrics(request: Request) -> Response:
    return Response(
        "# HELP partia_position the log's position\n# TYPE partia_position gauge\n"
        "partia_position 10.0\n"
        "# HELP partia_requests_total requests\n# TYPE partia_requests_total counter\n"
        'partia_requests_total{method="GET"} 7.0\n',
        media_type=EXPOSITION,
    )


WRITER = Starlette(
    routes=[
        Route("/things", _echo, methods=["POST", "PUT", "GET"]),
        Route("/stream", _chunked, methods=["POST"]),
        Route("/things/{id}", _refused, methods=["DELETE"]),
        Route("/metrics", _writer_metrics, methods=["GET"]),
        Route("/ready", _ready, methods=["GET"]),
    ]
)


async def _front_read(request: Request) -> Response:
    return JSONResponse({"served_by": "front"})


FRONT_APP = Starlette(
    routes=[
        Route("/things", _front_read, methods=["GET"]),
        Route("/metrics", _front_metrics, methods=["GET"]),
        Route("/ready", _ready, methods=["GET"]),
    ]
)


@pytest.fixture(scope="module")
def writer_port() -> Iterator[int]:
    server = uvicorn.Server(
        uvicorn.Config(WRITER, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="writer", daemon=True)
    thread.start()
    wait_for(lambda: server.started, limit=30, what="the writer to start")
    yield server.config.port
    server.should_exit = True
    thread.join(10)


def _through_front(
    port: int, *calls: tuple[str, str, dict[str, Any]], max_body_bytes: int = 1_000_000
) -> list[httpx.Response]:
    front = WritesToWriter(FRONT_APP, Upstream("127.0.0.1", port), max_body_bytes)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=front, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://party.example") as c:
            return list(await asyncio.gather(*(c.request(m, path, **kw) for m, path, kw in calls)))

    return asyncio.run(run())


def test_a_write_reaches_the_writer_with_its_body_headers_and_client_and_its_answer_comes_back(
    writer_port: int,
) -> None:
    [answer] = _through_front(
        writer_port,
        ("POST", "/things?dry=no", {"json": {"a": 1}, "headers": {"Idempotency-Key": "k-1"}}),
    )
    assert answer.status_code == 201
    assert answer.headers["location"] == "/things/42"
    seen = answer.json()
    assert seen["served_by"] == "writer"
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/things", "dry=no")
    assert json.loads(seen["body"]) == {"a": 1}
    assert seen["idempotency_key"] == "k-1"
    assert seen["client"] == "203.0.113.7"  # the caller's address, for rate limits and logs
    assert seen["host"] == "party.example"  # so the writer's Location names the public host


def test_a_read_is_answered_by_the_front_itself(writer_port: int) -> None:
    [answer] = _through_front(writer_port, ("GET", "/things", {}))
    assert answer.json() == {"served_by": "front"}


def test_metrics_are_both_processes_in_one_exposition_each_series_once(writer_port: int) -> None:
    """The front times the reads, the writer counts the commands; a series both report (a
    position read from the database) appears once, as Prometheus requires."""
    [answer] = _through_front(writer_port, ("GET", "/metrics", {}))
    assert answer.status_code == 200
    samples = [
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    ]
    assert sorted(samples) == [
        ("partia_commands_total", (("outcome", "accepted"),), 3.0),
        ("partia_position", (), 10.0),
        ("partia_requests_total", (("method", "GET"),), 7.0),
        ("partia_requests_total", (("method", "POST"),), 3.0),
    ]


def test_a_chunked_answer_and_an_empty_one_come_back_whole(writer_port: int) -> None:
    streamed, empty = _through_front(
        writer_port, ("POST", "/stream", {}), ("DELETE", "/things/7", {})
    )
    assert (streamed.status_code, streamed.text) == (202, "part 0;part 1;part 2;")
    assert (empty.status_code, empty.content) == (204, b"")


def test_many_writes_at_once_each_get_their_own_answer(writer_port: int) -> None:
    answers = _through_front(
        writer_port, *(("PUT", "/things", {"content": f"write {i}"}) for i in range(60))
    )
    assert [a.json()["body"] for a in answers] == [f"write {i}" for i in range(60)]


def test_a_write_while_the_writer_is_down_is_refused_503_as_problem_json() -> None:
    [answer] = _through_front(free_port(), ("POST", "/things", {"json": {}}))
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert "writer" in answer.json()["detail"]


def test_a_body_over_the_limit_is_refused_413_by_the_front_and_never_relayed(
    writer_port: int,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 600
        yield b"x" * 600

    declared, chunked = _through_front(
        writer_port,
        ("POST", "/things", {"content": b"x" * 1200}),
        ("POST", "/things", {"content": chunks()}),
        max_body_bytes=1000,
    )
    for refused in (declared, chunked):
        assert refused.status_code == 413
        assert refused.json()["rule"] == "content-too-large"


def test_the_front_is_ready_only_while_its_writer_answers_ready(writer_port: int) -> None:
    [ready] = _through_front(writer_port, ("GET", "/ready", {}))
    assert ready.status_code == 200
    assert ready.json()["checks"]["writer"]["ok"] is True
    [alone] = _through_front(free_port(), ("GET", "/ready", {}))
    assert alone.status_code == 503
    assert alone.json()["status"] == "not ready"
    assert alone.json()["checks"]["database"] == {"ok": True}  # its own checks, still shown
    assert alone.json()["checks"]["writer"]["ok"] is False


def test_a_write_sent_with_expect_100_continue_gets_its_final_answer(writer_port: int) -> None:
    """curl sends `Expect: 100-continue` with any body over 1 KiB."""
    [answer] = _through_front(
        writer_port,
        ("POST", "/things", {"content": b"y" * 2000, "headers": {"Expect": "100-continue"}}),
    )
    assert answer.status_code == 201
    assert answer.json()["body"] == "y" * 2000


def test_the_writers_date_and_server_headers_are_left_to_the_fronts_own_server(
    writer_port: int,
) -> None:
    """Else an answer would carry each twice (the e2e test sees one of each over HTTP)."""
    [answer] = _through_front(writer_port, ("POST", "/things", {"json": {}}))
    assert answer.headers.get_list("date") == []
    assert answer.headers.get_list("server") == []
