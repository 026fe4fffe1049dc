"""`serve` as a read front and a writer process (decision 313), as a client meets it: reads are
answered by the front even while the writer is stopped in its tracks, writes go to the writer, and a
writer that dies is started again while reads go on."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from partia_kit.testing import free_port, wait_for, wait_until_healthy
from partia_registry.settings import RegistrySettings
from tests.processes import registry_process

pytestmark = pytest.mark.e2e

TOKEN = {"Authorization": "Bearer e2e-token"}


@contextmanager
def serving(settings: RegistrySettings) -> Iterator[tuple[str, int]]:
    port = free_port()
    with registry_process(
        settings, "serve", "--port", str(port), tokens="registrar=e2e-token"
    ) as child:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(child, base, "serve")
        yield base, child.pid


def writer_of(serve_pid: int) -> int:
    """The writer process `serve` started (a child whose command line names it)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == serve_pid and b"partia_kit.http.writer_process" in cmdline:
            return int(entry.name)
    raise AssertionError("serve started no writer process")


def application(base: str) -> httpx.Response:
    """A write: an application to a PPO that does not exist is refused by the writer's rules."""
    return httpx.post(
        f"{base}/applications",
        json={"organisation_id": str(uuid.uuid4())},
        headers={**TOKEN, "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )


def test_reads_are_answered_while_the_writer_is_stopped_and_writes_resume_after(
    settings: RegistrySettings,
) -> None:
    with serving(settings) as (base, pid):
        refused = application(base)
        assert refused.status_code == 422  # decided by the writer, before and after
        assert len(refused.headers.get_list("date")) == 1
        writer = writer_of(pid)
        os.kill(writer, signal.SIGSTOP)
        try:
            started = time.monotonic()
            listed = httpx.get(f"{base}/organisations", headers=TOKEN, timeout=10)
            assert listed.status_code == 200, listed.text
            assert listed.json()["items"], "the party and its branches, read by the front"
            assert time.monotonic() - started < 10
        finally:
            os.kill(writer, signal.SIGCONT)
        assert application(base).status_code == 422


def test_a_writer_that_dies_is_started_again_and_meanwhile_writes_and_ready_get_503(
    settings: RegistrySettings,
) -> None:
    with serving(settings) as (base, pid):
        os.kill(writer_of(pid), signal.SIGKILL)
        meanwhile = application(base)  # the new writer takes seconds to start
        assert meanwhile.status_code == 503
        assert meanwhile.headers["content-type"] == "application/problem+json"
        assert httpx.get(f"{base}/ready").status_code == 503  # kept out of a load balancer
        assert httpx.get(f"{base}/organisations", headers=TOKEN).status_code == 200
        wait_for(lambda: application(base).status_code == 422, limit=60, what="a new writer")
        assert httpx.get(f"{base}/ready").status_code == 200
