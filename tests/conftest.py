"""Shared fixtures: one real, throwaway PostgreSQL per test session; a fresh schema per test."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.testing import kafka_broker, own_kafka_broker  # noqa: F401  # real Kafka brokers
from partia_registry.composition import Registry, open_registry
from partia_registry.settings import RegistrySettings


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server started for this test run (never skipped: no server, no pass)."""
    server, url = start_embedded_postgres(tmp_path_factory.mktemp("pg") / "data", throwaway=True)
    try:
        yield url
    finally:
        server.cleanup()


@pytest.fixture
def settings(database_url: str) -> RegistrySettings:
    return RegistrySettings(
        database_url=database_url,
        database_schema=f"test_{uuid.uuid4().hex[:12]}",
        master_key=base64.b64encode(os.urandom(32)).decode(),
        api_tokens="registrar=registrar-token,auditor=auditor-token",
        pool_size=4,
        data_dir=Path("/nonexistent"),
    )


@pytest.fixture
def registry(settings: RegistrySettings) -> Iterator[Registry]:
    opened = open_registry(settings)
    try:
        yield opened
    finally:
        opened.close()
