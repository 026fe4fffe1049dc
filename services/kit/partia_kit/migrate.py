"""`partia migrate`: every installed service's versioned schema migrations (Alembic on SQLAlchemy
Core, decision 115), each in its service's own schema, one process at a time.

A service registers its migrations under the entry point group `partia.migrations`: a callable
returning a `ServiceMigrations` (the registry's is `partia_registry.migrations:service`). The
tables whose names are chosen at run time are not here (decision 117).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from partia_kit.settings import ServiceSettings

ENTRY_POINTS = "partia.migrations"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceMigrations:
    name: str
    """The service's name (`--service`), and the suffix of its version table."""
    script_location: str
    """Alembic's script directory, e.g. `partia_registry:migrations` (package:path)."""
    schema: str
    """Where the service's tables and its version table live."""
    start_database: Callable[[], tuple[str, Callable[[], None]]] | None = None
    """With no database URL: start the service's embedded database; returns its URL and how to
    let go of it."""

    @classmethod
    def of(cls, name: str, script_location: str, settings: ServiceSettings) -> ServiceMigrations:
        """A service's migrations as `partia migrate` runs them: in the schema its settings name,
        on its embedded PostgreSQL (`data_dir/pgdata`) when no database URL is set."""
        return cls(
            name=name,
            script_location=script_location,
            schema=settings.database_schema,
            start_database=lambda: _start_embedded(settings),
        )

    @property
    def version_table(self) -> str:
        # Named per service: two services left on the same schema (`public`) keep apart.
        return f"alembic_version_{self.name}"


def _start_embedded(settings: ServiceSettings) -> tuple[str, Callable[[], None]]:
    from partia_kit.postgres.embedded import start_embedded_postgres, stop_embedded_postgres

    server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    return url, lambda: stop_embedded_postgres(server)


def installed() -> dict[str, Callable[[], ServiceMigrations]]:
    """The services whose migrations are installed, by name (not yet loaded)."""

    def loader(entry: Any) -> Callable[[], ServiceMigrations]:
        return lambda: entry.load()()

    return {ep.name: loader(ep) for ep in entry_points(group=ENTRY_POINTS)}


def upgrade(database_url: str, service: ServiceMigrations, revision: str = "head") -> None:
    """Bring the service's schema to `revision`. Under a session advisory lock per schema, so a
    second process (another `partia migrate`, a service starting) waits, then finds nothing to
    do; each revision commits on its own (a failure keeps the ones before it)."""
    from alembic.runtime.environment import EnvironmentContext

    script = _script_directory(service.script_location)
    with _locked_connection(database_url, service.schema) as conn:

        def steps(current: Any, context: Any) -> Any:
            return script._upgrade_revs(revision, current)

        with EnvironmentContext(_config(service), script, fn=steps) as env:
            env.configure(
                connection=conn,
                version_table=service.version_table,
                version_table_schema=service.schema,
                transaction_per_migration=True,
            )
            with env.begin_transaction():
                env.run_migrations(schema=service.schema)
        conn.commit()


def current(database_url: str, service: ServiceMigrations) -> str | None:
    """The revision the service's schema is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "version_table": service.version_table,
                    "version_table_schema": service.schema,
                },
            )
            return context.get_current_revision()
    finally:
        engine.dispose()


def head(service: ServiceMigrations) -> str:
    heads = _script_directory(service.script_location).get_heads()
    assert len(heads) == 1, f"{service.name}: the migrations must form one line, not {heads}"
    return str(heads[0])


@lru_cache
def _script_directory(location: str) -> Any:
    """Loaded once per process: a service opened many times (the tests) reads its revisions once."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(_resolve(location))


def _resolve(location: str) -> str:
    from alembic.util import coerce_resource_to_filename

    return str(coerce_resource_to_filename(location))


def _config(service: ServiceMigrations) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", service.script_location)
    return config


def _engine(database_url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(database_url).set(drivername="postgresql+psycopg")
    return create_engine(url, poolclass=NullPool)


@contextmanager
def _locked_connection(database_url: str, schema: str) -> Iterator[Any]:
    """A connection holding the schema's migration lock (released when it closes, whatever
    happens), with the schema created. Not the lock a service holds while it starts: a service
    migrates while holding that one."""
    from sqlalchemy import text

    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(
                text("SELECT pg_advisory_lock(hashtextextended(:key, 0))"),
                {"key": f"partia-migrate:{schema}"},
            )
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}"))
            conn.commit()
            yield conn
    finally:
        engine.dispose()


def quote(identifier: str) -> str:
    """An SQL identifier, quoted (for the schema name in a revision's DDL)."""
    return '"' + identifier.replace('"', '""') + '"'


# --- the command line ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="partia", description="Partia operations")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser(
        "migrate", help="bring every installed service's tables up to date (safe to run again)"
    )
    migrate.add_argument("--service", action="append", help="only this service (repeatable)")
    migrate.add_argument(
        "--database-url",
        help="PostgreSQL URL (default: the settings' PARTIA_DATABASE_URL, from the environment or"
        " a file in PARTIA_SECRETS_DIR; unset: the embedded PostgreSQL)",
    )
    migrate.add_argument(
        "--check",
        action="store_true",
        help="change nothing: print each service's revision and exit 1 if one is behind",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    known = installed()
    unknown = sorted(set(args.service or ()) - set(known))
    if unknown:
        print(f"unknown service {unknown}; installed: {sorted(known)}", file=sys.stderr)
        return 2
    services = [known[name]() for name in (args.service or sorted(known))]
    # The settings read the URL as a service would: the environment or a secret file (decision 107).
    url = args.database_url or ServiceSettings().database_url
    return _run(services, url, check=args.check)


def _run(services: list[ServiceMigrations], url: str | None, *, check: bool) -> int:
    release: Callable[[], None] | None = None
    if url is None:
        start = next((s.start_database for s in services if s.start_database), None)
        if start is None:
            print("no database URL (--database-url, PARTIA_DATABASE_URL)", file=sys.stderr)
            return 2
        url, release = start()
    try:
        behind = False
        for service in services:
            if not check:
                upgrade(url, service)
            at, latest = current(url, service), head(service)
            behind = behind or at != latest
            print(f"{service.name}: schema {service.schema} at {at} (head {latest})", flush=True)
        return 1 if behind else 0
    finally:
        if release is not None:
            release()


if __name__ == "__main__":
    sys.exit(main())
