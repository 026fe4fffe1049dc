"""`partia-audit diff` run as an auditor runs it: its own process, against a real server over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from partia_registry.composition import Registry
from partia_registry.settings import RegistrySettings
from tests.registry.audit.support import Story

pytestmark = pytest.mark.e2e

TOKEN = "audit-e2e-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service_url(settings: RegistrySettings, registry: Registry) -> Iterator[str]:
    """The registry served by its own process on the test's database."""
    port = _free_port()
    assert settings.master_key is not None
    env = {
        **os.environ,
        "PARTIA_DATABASE_URL": str(settings.database_url),
        "PARTIA_DATABASE_SCHEMA": settings.database_schema,
        "PARTIA_MASTER_KEY": settings.master_key.get_secret_value(),
        "PARTIA_API_TOKENS": f"auditor={TOKEN}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "partia_registry", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"the registry did not start:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def audit(*args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partia_registry.audit", *args],
        env={**os.environ, "PARTIA_AUDIT_TOKEN": token},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_diff_over_http_agrees_with_a_real_server_and_refuses_a_wrong_token(
    story: Story, exported: Path, service_url: str
) -> None:
    same = audit("diff", str(exported), "--on", "2025-09-01", "--service", service_url)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "SAME" in same.stdout

    refused = audit(
        "diff", str(exported), "--on", "2025-09-01", "--service", service_url, token="wrong"
    )
    assert refused.returncode == 2
    assert "401" in refused.stderr
