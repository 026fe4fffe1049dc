"""The composition root: the one place that builds the finance service from its settings."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from partia_contracts.text import MESSAGE, RULE
from partia_finance.adapters.postgres.dues_reports import sync_mci
from partia_finance.adapters.postgres.event_store import FinanceEventStore
from partia_finance.adapters.postgres.queries import FinanceQueries
from partia_finance.adapters.postgres.store import FinanceStore
from partia_finance.adapters.registry import RegistryMembers
from partia_finance.application.commands import Command
from partia_finance.application.handlers import handlers
from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.policies.permissibility import RULE_BOOK
from partia_finance.migrations import for_schema
from partia_finance.settings import FinanceSettings
from partia_kit import migrate as migrations
from partia_kit.access_log import AccessLog
from partia_kit.batches import BatchRunner, Outcome
from partia_kit.postgres import preparing
from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.postgres.preparing import installing
from partia_kit.rules import NotFound, RuleViolation
from partia_kit.settings import eventsourcing_env
from partia_kit.writer import CommandWriter

EVENTS_TABLE = f"{FinanceEventStore.name.lower()}_events"  # the eventsourcing library's naming
ACCESS_LOG_TABLE = "finance_access_log"  # made by migration f0004


@dataclass
class Finance:
    settings: FinanceSettings
    events: FinanceEventStore
    pool: ConnectionPool[Any]
    store: FinanceStore
    writer: CommandWriter[Command, Outcome]
    configuration: FinanceConfiguration
    queries: FinanceQueries
    access_log: AccessLog
    members: RegistryMembers
    """The registry, asked whose record holds an IIN a bank line names (decision 296)."""
    embedded_server: Any = None

    def close(self) -> None:
        self.writer.stop()
        self.access_log.stop()
        self.members.close()
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
    configuration = load_configuration(settings.party)
    with installing(url, settings.database_schema):
        migrations.upgrade(url, for_schema(settings.database_schema))
        with psycopg.connect(url, autocommit=True) as conn:  # the dues positions' MCI
            sync_mci(conn, settings.database_schema, configuration.mci)
        events = FinanceEventStore(
            eventsourcing_env(url, settings.database_schema, settings.pool_size),
            settings.master_keys(),
        )
    assert events.recorder.events_table_name == EVENTS_TABLE  # type: ignore[attr-defined]
    pool: ConnectionPool[Any] = ConnectionPool(
        url, kwargs={"autocommit": True}, min_size=1, max_size=4, open=False
    )
    store = FinanceStore(events, pool)
    runner = BatchRunner(
        store,
        handlers(configuration, RULE_BOOK),
        refusals=(RuleViolation, NotFound),
        recheckable=(RuleViolation, NotFound),
        unstorable=unstorable_text,
    )
    writer = CommandWriter(runner.run, name="finance-writer")
    access_log = AccessLog(
        lambda: psycopg.connect(url, autocommit=True), store.schema, ACCESS_LOG_TABLE
    )
    if start:
        pool.open()
        writer.start()
        access_log.start()
    return Finance(
        settings,
        events,
        pool,
        store,
        writer,
        configuration,
        FinanceQueries(store),
        access_log,
        RegistryMembers(
            settings.registry_url,
            settings.registry_token.get_secret_value(),
            settings.registry_timeout,
        ),
        server,
    )


def load_configuration(party: str) -> FinanceConfiguration:
    """The party's finance configuration (`parties/<party>.toml`: MCI table, caps, deadlines)."""
    text = resources.files("partia_finance.parties").joinpath(f"{party}.toml").read_text("utf-8")
    return FinanceConfiguration.from_toml(text)


def unstorable_text(field: str) -> RuleViolation:
    return RuleViolation(RULE, "", f"{field}: {MESSAGE}", field=field)


def prepare_database(settings: FinanceSettings) -> tuple[Any, FinanceSettings]:
    """Once per start, before any worker: the embedded PostgreSQL if no URL is set and the
    finance schema migrated (`partia_kit.postgres.preparing`)."""
    return preparing.prepare_database(
        settings, lambda ready: open_finance(ready, start=False).close()
    )
