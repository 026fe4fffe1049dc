"""`partia-audit diff` run as an auditor runs it: its own process, against a real server over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from partia_registry.composition import Registry
from partia_registry.settings import RegistrySettings
from tests.processes import served
from tests.registry.audit.support import Story

pytestmark = pytest.mark.e2e

TOKEN = "audit-e2e-token"


@pytest.fixture
def service_url(settings: RegistrySettings, registry: Registry) -> Iterator[str]:
    """The registry served by its own process on the test's database."""
    with served(settings, tokens=f"auditor={TOKEN}") as base:
        yield base


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
