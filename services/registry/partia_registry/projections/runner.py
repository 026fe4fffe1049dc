"""Keeping the read model up to date with the log, and rebuilding it without stopping reads.

The runner applies new events in batches, each batch in one transaction with its log position, so
a restart continues exactly where it stopped: nothing lost, nothing counted twice. A rebuild folds
the whole log into a new generation of tables while reads go on against the current one; once the
new one has caught up, one pointer switches reads over and the old tables are dropped.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Identifier

from partia_registry.projections import tables
from partia_registry.projections.ledger import Applied, Changes, MembershipLedger
from partia_registry.projections.rebuild import index_tables, rebuild_tables
from partia_registry.projections.stored import steps_from_stored
from partia_registry.projections.tables import Generation

log = logging.getLogger(__name__)

BATCH = 5_000

Row = tuple[Any, str, bytes, int]
"""(originator_id, topic, state, position) of a stored event, undecoded."""


@dataclass(frozen=True)
class Status:
    generation: int
    position: int
    head: int
    rebuilding: dict[str, Any] | None

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class ProjectionRunner:
    def __init__(
        self,
        connect: Callable[[], Connection[Any]],
        schema: str,
        events_table: str,
        *,
        rebuild_connections: int | None = None,
    ) -> None:
        self._connect = connect
        # A rebuild reads the log on this many connections at once (PostgreSQL parses the JSON).
        self._rebuild_connections = rebuild_connections or min(os.cpu_count() or 2, 4)
        self._schema = schema
        self._log = Identifier(schema, events_table)
        self._lock = threading.Lock()  # held while applying a batch or switching generations
        self._advanced = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebuild: dict[str, Any] | None = None
        self._conn: Connection[Any] | None = None  # the follower's own, kept between batches
        with self._connect() as conn:
            tables.create_pointer(conn, schema)
            number = tables.current_generation(conn, schema)
            if number is None:
                number = 1
                Generation(schema, number).create(conn)
                Generation(schema, number).create_indexes(conn)
                tables.point_to(conn, schema, number)
            self.generation = Generation(schema, number)
            tables.upgrade(conn, self.generation)
            gc.disable()  # loading creates millions of long-lived objects; see _rebuild_generation
            try:
                self.ledger, self.position = tables.load_ledger(conn, self.generation)
            finally:
                gc.enable()

    # --- following the log ------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="read-model", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def catch_up(self) -> int:
        """Apply the events recorded since the last batch; return how many there were."""
        with self._lock:
            applied = self._apply_new(self._connection(), self.generation, self.ledger)
        if applied:
            with self._advanced:
                self._advanced.notify_all()
        return applied

    def _apply_new(
        self, conn: Connection[Any], generation: Generation, ledger: MembershipLedger
    ) -> int:
        applied = 0
        while True:
            batch = self._read(conn, self.position, BATCH)
            if not batch:
                return applied
            changes, people = _fold(ledger, batch)
            position = batch[-1][3]
            with conn.transaction():
                tables.write_changes(conn, generation, changes, people, position, ledger)
            self.position = position
            applied += len(batch)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Read-your-writes: wait until the read model includes this log position."""
        deadline = time.monotonic() + timeout
        with self._advanced:
            while self.position < position:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._advanced.wait(min(remaining, 0.05))
        return True

    def status(self) -> Status:
        with self._connect() as conn:
            head = self._head(conn)
        return Status(self.generation.number, self.position, head, self._rebuild)

    def _head(self, conn: Connection[Any]) -> int:
        row = conn.execute(SQL("SELECT max(notification_id) FROM {}").format(self._log)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                if self.catch_up() == 0:
                    self._stop.wait(0.05)
            except Exception:  # keep following after a database hiccup
                log.exception("read model update failed; retrying")
                self._close_connection()
                self._stop.wait(1.0)
                self._reload()
        self._close_connection()

    def _reload(self) -> None:
        """After a failed batch the fold may be ahead of the tables: start again from the tables."""
        try:
            with self._lock, self._connect() as conn:
                self.ledger, self.position = tables.load_ledger(conn, self.generation)
        except Exception:
            log.exception("could not reload the read model's state")

    def _connection(self) -> Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()

    # --- rebuilding -------------------------------------------------------------------------

    def rebuild(self, *, wait: bool = False) -> None:
        """Fold the whole log into a new generation (in PostgreSQL: `rebuild.py`), then switch
        reads over to it."""
        if self._rebuild is not None:
            raise RuntimeError("a rebuild is already running")
        self._rebuild = {
            "generation": self.generation.number + 1,
            "position": 0,
            "started": time.time(),
        }
        worker = threading.Thread(
            target=self._rebuild_generation, name="read-model-rebuild", daemon=True
        )
        worker.start()
        if wait:
            worker.join()

    def _rebuild_generation(self) -> None:
        assert self._rebuild is not None
        progress = self._rebuild
        new = Generation(self._schema, progress["generation"])
        try:
            with self._connect() as conn:
                new.drop(conn)
                new.create(conn)
                head = self._head(conn)
            progress.update(phase="folding the log in PostgreSQL", head=head)
            rebuild_tables(self._connect, self._log, new, head, self._rebuild_connections)
            progress.update(phase="indexing and loading the fold's state", position=head)
            # PostgreSQL builds the indexes while this thread makes the state's Python objects.
            with ThreadPoolExecutor(1, thread_name_prefix="rebuild-indexes") as pool:
                indexing = pool.submit(index_tables, self._connect, new, self._rebuild_connections)
                with self._connect() as conn:
                    # Millions of long-lived objects: the cyclic collector would rescan them again
                    # and again while they are made (measured: most of the load's time). None of
                    # them form cycles; the collector resumes afterwards.
                    gc.disable()
                    try:
                        ledger, position = tables.load_ledger(conn, new)
                    finally:
                        gc.enable()
                indexing.result()
            progress.update(phase="catching up and switching")
            self._switch(new, ledger, position)
            gc.freeze()  # the new ledger lives as long as the process
        except Exception:
            log.exception(
                "read model rebuild failed; reads stay on generation %s", self.generation.number
            )
        finally:
            self._rebuild = None

    def _switch(self, new: Generation, ledger: MembershipLedger, position: int) -> None:
        with self._lock, self._connect() as conn:
            self.position, old_position = position, self.position
            try:
                self._apply_new(conn, new, ledger)  # what was recorded during the rebuild
            except Exception:
                self.position = old_position
                raise
            old = self.generation
            tables.point_to(conn, self._schema, new.number)
            self.generation, self.ledger = new, ledger
            old.drop(conn)
        log.info("read model rebuilt as generation %s at position %s", new.number, self.position)

    # --- reading the log --------------------------------------------------------------------

    def _read(self, conn: Connection[Any], after: int, limit: int) -> list[Row]:
        """Stored events after a position, in log order, undecoded: `stored.py` reads only what
        the rolls need."""
        sql = SQL(
            "SELECT originator_id, topic, state, notification_id FROM {}"
            " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(self._log)
        with conn.cursor() as curs:
            curs.execute(sql, (after, limit), binary=True)
            return curs.fetchall()


def _fold(ledger: MembershipLedger, rows: list[Row]) -> tuple[Changes, list[tuple[Any, str, int]]]:
    changes = Changes()
    people = {}  # by member: someone who applies again within a batch is one row, the latest
    for originator_id, topic, state, _ in rows:
        for step in steps_from_stored(topic, state, originator_id):
            ledger.record(step, changes)
            if isinstance(step, Applied):
                people[step.member_id] = (step.member_id, step.sex, step.birth_year)
    return changes, list(people.values())
