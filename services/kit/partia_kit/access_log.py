"""Every look at personal data on record: who read whose personal data, when, which fields, through
which operation (issue 10, decisions 150-154).

One record per answered read: the user (and roles, once tokens carry them), the operation (its
name and route template), the members whose data it returned (by id: the log never holds a name or
an IIN, so erasing a person never needs it rewritten) and the fields. The table is append-only: a
trigger refuses UPDATE, DELETE and TRUNCATE (`create_statements`, run by a service's migration).

Records are written off the request path by one thread per process (`AccessLog`), many per round
trip with COPY. A read that must not be answered unless its record is stored waits for it
(`record(..., wait=True)`: the record shares the next batch's commit, so waiting reads do not
queue behind each other); the others are batched and a crash can lose the last few (decision 151).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Composed, Identifier

log = logging.getLogger(__name__)

COLUMNS = ("read_at", "user_name", "roles", "operation", "route", "member_ids", "fields")
_COPY_TYPES = ["timestamptz", "text", "text[]", "text", "text", "uuid[]", "text[]"]


@dataclass(frozen=True, slots=True)
class AccessRecord:
    user: str
    operation: str
    """The operation's name (the endpoint's function name, e.g. `get_member`)."""
    route: str
    """Method and route template, e.g. `GET /members/{member_id}`: never the filled-in path."""
    member_ids: Sequence[UUID]
    fields: Sequence[str]
    roles: Sequence[str] = ()
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> tuple[Any, ...]:
        return (
            self.read_at,
            self.user,
            list(self.roles),
            self.operation,
            self.route,
            list(self.member_ids),
            list(self.fields),
        )


def create_statements(schema: str, table: str) -> list[str]:
    """The access log's table, its indexes (per person, per user, by time) and the trigger that
    refuses every change but INSERT. Idempotent (a migration may be run again)."""
    s = _quote(schema)
    t = f"{s}.{_quote(table)}"
    refuse = f"{s}.{_quote(table + '_append_only')}"
    return [
        f"CREATE TABLE IF NOT EXISTS {t} ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " read_at timestamptz NOT NULL,"
        " recorded_at timestamptz NOT NULL DEFAULT now(),"
        " user_name text NOT NULL,"
        " roles text[] NOT NULL DEFAULT '{}',"
        " operation text NOT NULL,"
        " route text NOT NULL,"
        " member_ids uuid[] NOT NULL,"
        " fields text[] NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {_quote(table + '_by_member')} ON {t} USING gin (member_ids)",
        f"CREATE INDEX IF NOT EXISTS {_quote(table + '_by_user')} ON {t} (user_name, read_at)",
        f"CREATE INDEX IF NOT EXISTS {_quote(table + '_by_time')} ON {t} (read_at)",
        f"CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP"
        " USING ERRCODE = 'insufficient_privilege'; END $$",
        f"DROP TRIGGER IF EXISTS {_quote(table + '_no_change')} ON {t}",
        f"CREATE TRIGGER {_quote(table + '_no_change')} BEFORE UPDATE OR DELETE ON {t}"
        f" FOR EACH ROW EXECUTE FUNCTION {refuse}()",
        f"DROP TRIGGER IF EXISTS {_quote(table + '_no_truncate')} ON {t}",
        f"CREATE TRIGGER {_quote(table + '_no_truncate')} BEFORE TRUNCATE ON {t}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {refuse}()",
    ]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class AccessLog:
    """The process's writer of access records: `record` queues one (and with `wait` blocks until
    it is committed); a thread writes whatever has queued up in one COPY per round trip."""

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        schema: str,
        table: str,
        *,
        max_batch: int = 1000,
        retry_after: float = 0.5,
    ) -> None:
        self._connect = connect
        self._copy = SQL("COPY {} ({}) FROM STDIN").format(
            Identifier(schema, table), SQL(", ").join(Identifier(c) for c in COLUMNS)
        )
        self._max_batch = max_batch
        self._retry_after = retry_after
        self._queue: queue.SimpleQueue[tuple[AccessRecord, Future[None] | None] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self.written = 0
        self.batches = 0
        """Records and round trips so far (for tests and the bench)."""

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
                self._thread.start()

    def record(self, record: AccessRecord, *, wait: bool = False, timeout: float = 10.0) -> None:
        """Queue the record; with `wait`, return only once it is stored (raises if it could not
        be within `timeout`: the caller must not answer with the data then)."""
        if not wait:
            self._queue.put((record, None))
            return
        done: Future[None] = Future()
        self._queue.put((record, done))
        done.result(timeout)

    def flush(self, timeout: float = 10.0) -> None:
        """Return once every record queued before the call is stored."""
        done: Future[None] = Future()
        self._queue.put((_FLUSH, done))
        done.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            batch: list[tuple[AccessRecord, Future[None] | None]] = []
            while item is not None and len(batch) < self._max_batch:
                batch.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = _EMPTY
                    break
            if item is None:
                stopping = True
            elif item is not _EMPTY:
                batch.append(item)  # one past the batch size: written with it
            if batch:
                self._write_until_stored(batch, giving_up=stopping)

    def _write_until_stored(
        self, batch: list[tuple[AccessRecord, Future[None] | None]], *, giving_up: bool
    ) -> None:
        """Write the batch, retrying on a new connection (the database restarting) until it is
        stored. A reader waiting for its record is told of a failure that outlasts one retry, and
        its record is dropped: that read is refused, so nothing was seen. On stop, two attempts."""
        attempts = 0
        while batch:
            try:
                waited = any(done is not None for _, done in batch)
                self._write([r for r, _ in batch if r is not _FLUSH], durable=waited)
            except Exception as failure:  # the thread must outlive a bad moment
                attempts += 1
                log.warning("access log: %d records not written yet: %s", len(batch), failure)
                self._drop_connection()
                if attempts == 1:
                    continue  # at once, on a fresh connection
                for _, done in batch:
                    if done is not None:
                        done.set_exception(failure)
                batch = [(r, None) for r, done in batch if done is None]
                if giving_up:
                    if batch:
                        log.error("access log: %d records lost on stop", len(batch))
                    return
                time.sleep(self._retry_after)
                continue
            for _, done in batch:
                if done is not None:
                    done.set_result(None)
            return

    def _write(self, records: Iterable[AccessRecord], *, durable: bool) -> None:
        """One COPY in one transaction. Not `durable` (nobody waits for these records): the
        commit does not wait for the WAL to reach the disk, so a batch costs no fsync; a crash
        of the database within a moment of it may lose it, as a crash of this process would
        lose what is still queued (decision 151)."""
        rows = [r.row() for r in records]
        if not rows:
            return
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        with self._conn.transaction(), self._conn.cursor() as cur:
            if not durable:
                cur.execute("SET LOCAL synchronous_commit = off")
            self._copy_rows(cur, rows)
        self.written += len(rows)
        self.batches += 1

    def _copy_rows(self, cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> None:
        with cur.copy(self._copy) as copy:
            copy.set_types(_COPY_TYPES)
            for row in rows:
                copy.write_row(row)

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


_FLUSH = AccessRecord(user="", operation="", route="", member_ids=(), fields=())
_EMPTY: Any = object()


# --- reading the log back: per person, per user, over a time range ------------------------------


@dataclass(frozen=True, slots=True)
class AccessQuery:
    member_id: UUID | None = None
    user: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100
    offset: int = 0


def query(
    conn: psycopg.Connection[Any], schema: str, table: str, q: AccessQuery
) -> tuple[list[dict[str, Any]], int]:
    """Records matching every filter given, newest first, and how many match in all."""
    where: list[Composed | SQL] = [SQL("TRUE")]
    params: list[Any] = []
    if q.member_id is not None:
        where.append(SQL("member_ids @> ARRAY[%s]::uuid[]"))
        params.append(q.member_id)
    if q.user is not None:
        where.append(SQL("user_name = %s"))
        params.append(q.user)
    if q.start is not None:
        where.append(SQL("read_at >= %s"))
        params.append(q.start)
    if q.end is not None:
        where.append(SQL("read_at < %s"))
        params.append(q.end)
    condition = SQL(" AND ").join(where)
    t = Identifier(schema, table)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        total_row = cur.execute(
            SQL("SELECT count(*) AS n FROM {} WHERE {}").format(t, condition), params
        ).fetchone()
        rows = cur.execute(
            SQL(
                "SELECT id, read_at, user_name, roles, operation, route, member_ids, fields"
                " FROM {} WHERE {} ORDER BY read_at DESC, id DESC LIMIT %s OFFSET %s"
            ).format(t, condition),
            [*params, q.limit, q.offset],
        ).fetchall()
    assert total_row is not None
    return [dict(r) for r in rows], int(total_row["n"])
