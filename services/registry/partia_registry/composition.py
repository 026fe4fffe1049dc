"""The composition root: the one place that builds the registry from its settings."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from partia_kit import migrate as migrations
from partia_kit.access_log import AccessLog
from partia_kit.children import when_parent_gone
from partia_kit.postgres import preparing
from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.postgres.preparing import installing
from partia_kit.settings import eventsourcing_env
from partia_kit.signals import on_stop_signals
from partia_kit.tuning import tune_after_start
from partia_kit.writer import CommandWriter
from partia_registry.adapters.clock import SystemClock
from partia_registry.adapters.collation import by_name
from partia_registry.adapters.postgres.event_store import RegistryEventStore
from partia_registry.adapters.postgres.indexes import MEMBER_INDEX, ORGANISATION_INDEX
from partia_registry.adapters.postgres.personal_data import KEY_TABLE
from partia_registry.adapters.postgres.queries import RegistryQueries
from partia_registry.adapters.postgres.store import PostgresStore
from partia_registry.application.batches import BatchRunner, Outcome
from partia_registry.application.bootstrap import PartyDefinition, bootstrap_party
from partia_registry.application.clock import Clock
from partia_registry.application.commands import Command
from partia_registry.application.handlers import handlers
from partia_registry.migrations import for_schema
from partia_registry.projections import tables
from partia_registry.projections.reader import ReadModel
from partia_registry.projections.reports import Reports, WriteSide
from partia_registry.projections.runner import ProjectionRunner
from partia_registry.settings import RegistrySettings

log = logging.getLogger(__name__)

ACCESS_LOG_TABLE = "registry_access_log"  # made by migration 0004
EVENTS_TABLE = f"{RegistryEventStore.name.lower()}_events"  # the eventsourcing library's naming


@dataclass
class Registry:
    settings: RegistrySettings
    events: RegistryEventStore
    store: PostgresStore
    writer: CommandWriter[Command, Outcome]
    queries: RegistryQueries
    read_model: ReadModel
    reports: Reports
    report_pool: ConnectionPool[Any]
    access_log: AccessLog
    projection: ProjectionRunner | None = None  # this process's runner, if it runs one
    embedded_server: Any = None

    def close(self) -> None:
        if self.projection is not None:
            self.projection.stop()
        self.writer.stop()
        self.access_log.stop()
        self.report_pool.close()
        self.events.close()
        if self.embedded_server is not None:
            self.embedded_server.cleanup()


def open_registry(
    settings: RegistrySettings,
    *,
    bootstrap: bool = True,
    start_writer: bool = True,
    clock: Clock | None = None,
) -> Registry:
    """Connect (starting the embedded PostgreSQL when no database URL is set), create the tables,
    load the party's top of the tree if it is missing, and start the writer. `clock` says what
    day it is (the system's, in Asia/Almaty, unless a test sets one)."""
    server = None
    url = settings.database_url
    if url is None:
        server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    master_keys = settings.master_keys()
    with installing(url, settings.database_schema):
        migrations.upgrade(url, for_schema(settings.database_schema))
        events = RegistryEventStore(
            eventsourcing_env(url, settings.database_schema, settings.pool_size), master_keys
        )
        store = PostgresStore(events)
        store.create_tables()
        if bootstrap:
            created = bootstrap_party(store, PartyDefinition.load(settings.party))
            if created:
                log.info("bootstrap created %d organisations", created)
        with psycopg.connect(url, autocommit=True) as conn:
            tables.prepare(conn, store.schema)  # the tables readers need, before any runner ran
    runner = BatchRunner(
        store, handlers(card_prefix=settings.card_prefix, clock=clock or SystemClock())
    )
    writer = CommandWriter(runner.run, max_batch=settings.max_batch, nice=settings.writer_nice)
    assert store.events_table == EVENTS_TABLE
    projection = projection_runner(settings, url) if settings.run_projection else None
    report_pool: ConnectionPool[Any] = ConnectionPool(
        url, kwargs={"autocommit": True}, min_size=1, max_size=4, open=False
    )
    read_model = ReadModel(report_pool.connection, store.schema, store.events_table)
    access_log = AccessLog(_connector(url), store.schema, ACCESS_LOG_TABLE)
    if start_writer:
        report_pool.open()
        writer.start()
        access_log.start()
        if projection is not None:
            projection.start()
    return Registry(
        settings=settings,
        events=events,
        store=store,
        writer=writer,
        queries=RegistryQueries(store),
        read_model=read_model,
        reports=Reports(
            report_pool.connection,
            store.schema,
            lambda: read_model.generation,
            WriteSide(
                member_index=MEMBER_INDEX,
                organisation_index=ORGANISATION_INDEX,
                key_table=KEY_TABLE,
                open_names=events.vault.open_names_with_keys,
                sort_by_name=by_name,
            ),
            export_connect=_connector(url),
            name_sort_limit=settings.name_sort_limit,
        ),
        report_pool=report_pool,
        access_log=access_log,
        projection=projection,
        embedded_server=server,
    )


def _connector(url: str) -> Callable[[], psycopg.Connection[Any]]:
    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url, autocommit=True)

    return connect


def projection_runner(settings: RegistrySettings, url: str) -> ProjectionRunner:
    """A runner of the read model (active only while it holds the read model's lock)."""
    return ProjectionRunner(
        _connector(url),
        settings.database_schema,
        EVENTS_TABLE,
        grace=settings.read_model_grace,
    )


def run_projection(settings: RegistrySettings, *, parent: int | None = None) -> None:
    """`partia-registry project`: follow the log in this process until SIGTERM or Ctrl-C (or
    until the `parent` process is gone: `serve` may be killed outright); as a standby while
    another runner is active, taking over when it stops."""
    assert settings.database_url is not None
    migrations.upgrade(settings.database_url, for_schema(settings.database_schema))
    runner = projection_runner(settings, settings.database_url)
    previous = on_stop_signals(runner.request_stop, [signal.SIGTERM])
    if parent is not None:
        when_parent_gone(parent, lambda: _parent_gone(runner))
    tune_after_start()
    try:
        runner.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous[signal.SIGTERM])
        runner.stop()


def _parent_gone(runner: ProjectionRunner) -> None:
    log.warning("the parent process is gone; stopping the read-model runner")
    runner.request_stop()


def prepare_database(settings: RegistrySettings) -> tuple[Any, RegistrySettings]:
    """Once per installation start, before any worker: the embedded PostgreSQL if no URL is set,
    the tables and the party's top of the tree (`partia_kit.postgres.preparing`). Returns the
    embedded server (or None) and the settings the workers should use."""
    return preparing.prepare_database(
        settings, lambda ready: open_registry(ready, start_writer=False).close()
    )
