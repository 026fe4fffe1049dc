"""The composition root: the one place that builds the finance service from its settings."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from pydantic import SecretStr

from partia_finance.adapters.postgres.event_store import FinanceEventStore
from partia_finance.migrations import for_schema
from partia_finance.settings import FinanceSettings
from partia_kit import migrate as migrations
from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.settings import eventsourcing_env

EVENTS_TABLE = f"{FinanceEventStore.name.lower()}_events"  # the eventsourcing library's naming


@dataclass
class Finance:
    settings: FinanceSettings
    events: FinanceEventStore
    pool: ConnectionPool[Any]
    embedded_server: Any = None

    def close(self) -> None:
        self.pool.close()
        self.events.close()
        if self.embedded_server is not None:
            self.embedded_server.cleanup()


def open_finance(settings: FinanceSettings, *, start: bool = True) -> Finance:
    """Connect (starting the embedded PostgreSQL when no database URL is set), bring the finance
    schema up to date and open the event store."""
    server = None
    url = settings.database_url
    if url is None:
        server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    with _installing(url, settings.database_schema):
        migrations.upgrade(url, for_schema(settings.database_schema))
        events = FinanceEventStore(
            eventsourcing_env(url, settings.database_schema, settings.pool_size),
            settings.master_keys(),
        )
    assert events.recorder.events_table_name == EVENTS_TABLE  # type: ignore[attr-defined]
    pool: ConnectionPool[Any] = ConnectionPool(
        url, kwargs={"autocommit": True}, min_size=1, max_size=4, open=False
    )
    if start:
        pool.open()
    return Finance(settings, events, pool, server)


def prepare_database(settings: FinanceSettings) -> tuple[Any, FinanceSettings]:
    """Once per start, before any worker: start the embedded PostgreSQL if no URL is set and
    migrate the schema. Returns the embedded server (or None) and the settings the workers should
    use (with the URL and master key made explicit)."""
    server = None
    if settings.database_url is None:
        server, url = start_embedded_postgres(settings.data_dir / "pgdata")
        key = base64.b64encode(settings.master_key_bytes()).decode()
        settings = settings.model_copy(update={"database_url": url, "master_key": SecretStr(key)})
    try:
        open_finance(settings, start=False).close()
    except BaseException:
        if server is not None:
            server.cleanup()
        raise
    return server, settings


@contextmanager
def _installing(url: str, schema: str) -> Iterator[None]:
    """One process at a time migrates the schema and creates the event store's tables (the same
    lock the registry takes for its schema: two starting processes would otherwise race on
    `CREATE ... IF NOT EXISTS`)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"partia:{schema}",))
        yield
