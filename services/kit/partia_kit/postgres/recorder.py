"""The library's PostgreSQL recorder, taught to commit our own rows in the events' transaction."""

from __future__ import annotations

import select
import time
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Connection, Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from partia_kit.postgres.failures import database_failed
from partia_kit.postgres.statements import Statement
from partia_kit.vault import PersonalDataVault

RETRIES, RETRY_WAIT = 10, 0.2  # the library's, for a failure of the database itself


class EventRecorder(PostgresApplicationRecorder):
    """Runs `alongside` statements (indexes) and `remembered` (idempotency records) and stores the personal-data keys
    the mapper made for these events, all in the events' own transaction, so none of them can
    disagree with the events after a crash.

    Every statement sent in the insert's pipeline says whether to prepare it (`prepare=True`):
    psycopg's automatic preparing (on a statement's 5th use) is never checked in pipeline mode, so
    a transaction that failed before that statement left the connection sure of a prepared
    statement the server never made, and every later write on it failed (decision 010)."""

    vault: PersonalDataVault
    _insert_arrays: Composed | None = None

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Retried like the library does (10 tries, 0.2 s apart) but only when the database
        failed: an error one command caused (an index row too large) fails every try alike, and
        ten tries cost its batch ~2 s before it can be isolated (decision 088)."""
        for attempt in range(RETRIES):
            try:
                return self._insert_in_one_round_trip(stored_events, **kwargs)
            except (InterfaceError, OperationalError) as failure:
                if attempt + 1 == RETRIES or not database_failed(failure):
                    raise
                time.sleep(RETRY_WAIT)
        raise AssertionError("unreachable")

    def _insert_in_one_round_trip(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert in one round trip instead of two: BEGIN, the statements, the
        insert and COMMIT go out together and one sync reads every result. The library syncs once
        before COMMIT so that a unique violation arrives as an IntegrityError; here it arrives
        from the same sync (the server skips the rest of the pipeline, COMMIT included, so
        nothing is stored), and the connection, left in a failed transaction, is rolled back
        before it goes back to the pool. Each round trip costs the writer thread a wait for the
        GIL as well as the network, so this matters more than its size suggests (bench/README)."""
        with self.datastore.get_connection() as conn:
            failure: Exception | None = None
            try:
                with conn.pipeline(), conn.transaction():
                    with conn.cursor() as curs:
                        self._insert_events(curs, stored_events, **kwargs)
                    inserted = conn.cursor()
                    if stored_events:
                        self._insert_stored_events(inserted, stored_events, **kwargs)
            except Exception as error:
                failure = error
            if failure is not None:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.rollback()
                raise failure
            if not stored_events:
                return None
            return self._fetch_ids_after_insert_events(inserted, stored_events, **kwargs)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        statements: list[Statement] = [*self.vault.unsaved_keys(), *kwargs.get("alongside", ())]
        for statement in statements:
            curs.execute(statement.sql, statement.parameters(), prepare=True)
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's insert (same table lock, same NOTIFY, same RETURNING), with the events
        sent as four arrays in binary form (%b) instead of an array of composites in text form, whose
        escaping of every event's bytes cost more than deciding the command."""
        self._lock_table(curs)  # the library prepares it explicitly
        curs.execute(SQL("NOTIFY {}").format(Identifier(self.channel_name)), prepare=True)
        read: Mapping[UUID, int] = kwargs.get("read") or {}
        events: list[list[Any]] = [
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            list(read),
            list(read.values()),
        ]
        remembered: Statement | None = kwargs.get("remembered")
        if remembered is None:
            curs.execute(self._insert_arrays_statement(), events, prepare=True)
        else:
            # The outcomes of idempotent requests are stored by the same statement, with the
            # positions the events got, so that a replay can answer with the first body.
            curs.execute(
                SQL("WITH new AS ({}), remembered AS ({}) SELECT notification_id FROM new").format(
                    self._insert_arrays_statement(), remembered.sql
                ),
                [*events, *remembered.parameters()],
                prepare=True,
            )
        send_everything(curs.connection)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's, without its check that the statement was a plain INSERT."""
        return [row["notification_id"] for row in curs.fetchall()]

    def _insert_arrays_statement(self) -> Composed:
        """The events, plus a copy of the newer version of any record read at an older one
        (`read`: record -> the version the batch's commands read). The statement runs after the
        table lock, so it sees every other writer's commit: when one recorded a version the
        batch did not see, the copy collides with it exactly as if the batch had written that
        version, and the batch fails as a conflict (ConcurrentChange) with nothing stored.
        This is what lets the writer skip asking "what did others change" before each batch."""
        if self._insert_arrays is None:
            log = SQL("{}.{}").format(
                Identifier(self.datastore.schema), Identifier(self.events_table_name)
            )
            self._insert_arrays = SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state)"
                " SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])"
                " UNION ALL SELECT l.originator_id, l.originator_version, l.topic, l.state"
                " FROM {} AS l JOIN unnest(%b::uuid[], %b::bigint[]) AS r(id, version)"
                " ON l.originator_id = r.id AND l.originator_version = r.version + 1"
                " RETURNING notification_id, originator_id, originator_version"
            ).format(log, log)
        return self._insert_arrays


def send_everything(conn: Connection[Any]) -> None:
    """Push the pipeline's queued bytes to the server before the library waits for results.

    psycopg's pipeline flushes once after its last command and then only waits to read; when the
    queued bytes (a batch's events: ~1 MB for 1,200 new organisations here) do not fit in the
    socket in one go, the server waits for the rest of the statement and the client for its
    result, forever (reproduced: tests/registry/application/test_store.py). Reading what the
    server sends meanwhile keeps it from blocking on a full socket the other way."""
    pgconn = conn.pgconn
    while pgconn.flush() == 1:
        readable, _, _ = select.select([pgconn.socket], [pgconn.socket], [])
        if readable:
            pgconn.consume_input()
