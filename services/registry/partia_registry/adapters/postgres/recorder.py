"""The library's PostgreSQL recorder, taught to commit our own rows in the events' transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from partia_registry.adapters.postgres.personal_data import PersonalDataVault
from partia_registry.adapters.postgres.statements import Statement


class RegistryRecorder(PostgresApplicationRecorder):
    """Runs `alongside` statements (indexes, idempotency records) and stores the personal-data keys
    the mapper made for these events, all in the events' own transaction, so none of them can
    disagree with the events after a crash."""

    vault: PersonalDataVault

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        statements: list[Statement] = [*self.vault.unsaved_keys(), *kwargs.get("alongside", ())]
        for statement in statements:
            curs.execute(statement.sql, statement.parameters())
        super()._insert_events(curs, stored_events, **kwargs)
