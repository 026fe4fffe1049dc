"""Shared fixtures: one real, throwaway PostgreSQL per test session; a fresh schema per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from partia_kit.testing import (  # noqa: F401  # real Kafka brokers, a real PostgreSQL
    database_url,
    kafka_broker,
    new_master_key,
    new_schema,
    own_kafka_broker,
)
from partia_registry.composition import Registry, open_registry
from partia_registry.settings import RegistrySettings


@pytest.fixture
def settings(database_url: str) -> RegistrySettings:  # noqa: F811  # the fixture, as pytest passes it
    return RegistrySettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
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
