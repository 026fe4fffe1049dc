"""Getting a service's database ready before its processes start (moved from the registry,
decision 195): the embedded PostgreSQL when no URL is set, and one process at a time migrating a
schema."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from pydantic import SecretStr

from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def prepare_database(settings: S, prepare: Callable[[S], None]) -> tuple[Any, S]:
    """Once per start, before any worker: start the embedded PostgreSQL if no URL is set, then
    `prepare` (the service's tables, migrations, first data). Returns the embedded server (or
    None) and the settings the workers should use (with the URL and master key made explicit)."""
    server = None
    if settings.database_url is None:
        server, url = start_embedded_postgres(settings.data_dir / "pgdata")
        key = base64.b64encode(settings.master_key_bytes()).decode()
        settings = settings.model_copy(update={"database_url": url, "master_key": SecretStr(key)})
    try:
        prepare(settings)
    except BaseException:
        if server is not None:
            server.cleanup()
        raise
    return server, settings


@contextmanager
def installing(url: str, schema: str) -> Iterator[None]:
    """One process at a time migrates a schema, creates the event store's tables and loads first
    data: two processes started together (an API and its runner, two relays, two instances)
    would otherwise run the same `CREATE ... IF NOT EXISTS` at once, which PostgreSQL refuses
    ("tuple concurrently updated"). A session advisory lock, released when its connection closes,
    whatever happens. (The migrations take a lock of their own, for `partia migrate`.)"""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"partia:{schema}",))
        yield
