"""Keeping the read model up to date with the log, and rebuilding it without stopping reads.

The runner applies new events in batches, each batch in one transaction with its log position, so
a restart continues exactly where it stopped: nothing lost, nothing counted twice. A rebuild folds
the whole log into a new generation of tables while reads go on against the current one; once the
new one has caught up, one pointer switches reads over, and the old tables are dropped after a
grace period. One runner is active per read model however many run (see `ProjectionRunner`); run
it as a process of its own with `python -m partia_registry project`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from psycopg import Connection
from psycopg.errors import LockNotAvailable
from psycopg.sql import SQL, Identifier

from partia_kit.signals import set_soon
from partia_registry.projections import tables
from partia_registry.projections.ledger import Applied, Changes, MembershipLedger
from partia_registry.projections.rebuild import index_tables, rebuild_tables
from partia_registry.projections.stored import steps_from_stored
from partia_registry.projections.tables import Generation

log = logging.getLogger(__name__)

BATCH = 5_000
POLL = 0.05  # seconds between looks at the log when it has nothing new
STANDBY_POLL = 1.0  # seconds between a standby runner's attempts to take the lock
CHECK_EVERY = 0.5  # seconds between the active runner's looks for rebuild requests
GRACE = 30.0
"""Seconds a retired generation is kept after the switch, for reads that looked the pointer up
just before it (they retry once on the new generation if it is gone: `reader.py`)."""

Row = tuple[Any, str, bytes, int]
"""(originator_id, topic, state, position) of a stored event, undecoded."""


class ProjectionRunner:
    """Folds the log into the read model, but only while it holds the read model's lock.

    Any number of runners may run (threads, processes, machines): the first to take a PostgreSQL
    advisory lock on its own session is the active one; the others wait as standbys and take
    over when its session ends (the process died, the connection broke). A runner keeps no state
    of the fold between batches (each batch reads what it needs from the tables), so taking over
    is immediate at any size. Besides the lock, each batch moves the tracked position only from the position it
    started at (`tables.write_changes`), so even a runner that lost its lock without noticing
    cannot apply a batch twice. The active runner also carries out the rebuilds any process
    requests (`tables.request_rebuild`) and drops retired generations after a grace period.
    """

    def __init__(
        self,
        connect: Callable[[], Connection[Any]],
        schema: str,
        events_table: str,
        *,
        rebuild_connections: int | None = None,
        grace: float = GRACE,
    ) -> None:
        self._connect = connect
        # A rebuild reads the log on this many connections at once (PostgreSQL parses the JSON).
        self._rebuild_connections = rebuild_connections or min(os.cpu_count() or 2, 4)
        self._schema = schema
        self._log = Identifier(schema, events_table)
        self._grace = grace
        self._lock = threading.Lock()  # held while applying a batch or switching generations
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebuild: threading.Thread | None = None
        self._conn: Connection[Any] | None = None  # the session holding the lock, between batches
        self._leading = False
        self._checked = 0.0  # when the pointer row was last looked at for requests
        self.generation: Generation | None = None
        self.position = 0

    @property
    def active(self) -> bool:
        """Whether this runner holds the lock (and so is the one folding the log)."""
        return self._leading

    # --- following the log ------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="read-model", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        with self._lock:
            self._step_down()

    def run(self) -> None:
        """Follow the log in this thread until `request_stop` (from a signal handler). A stop
        asked for before it runs is kept: `project` started by `serve` asks for one when `serve`
        is already gone (killed during its start-up), and must then not run on for ever."""
        self._follow()

    def request_stop(self) -> None:
        """Safe from a signal handler (`partia_kit.signals`: the main thread may be inside
        `self._stop.wait()` holding the event's lock)."""
        set_soon(self._stop)

    def catch_up(self) -> int:
        """Apply the events recorded since the last batch; return how many there were (0 when
        another runner is the active one)."""
        with self._lock:
            if not self._lead():
                return 0
            assert self._conn is not None
            assert self.generation
            return self._apply_new(self._conn, self.generation)

    def _apply_new(self, conn: Connection[Any], generation: Generation) -> int:
        """Fold and write batch after batch, each with the state of just the members and
        organisations it touches, read from the tables in its transaction."""
        applied = 0
        while True:
            batch = self._read(conn, self.position, BATCH)
            if not batch:
                return applied
            position = batch[-1][3]
            with conn.transaction():
                ledger, at = tables.load_state(conn, generation, {row[0] for row in batch})
                if at != self.position:
                    raise tables.PositionMoved(f"the read model is at {at}, not {self.position}")
                changes, people = _fold(ledger, batch)
                tables.write_changes(conn, generation, changes, people, position, ledger, at)
            self.position = position
            applied += len(batch)

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    leading = self._lead()
                if not leading:
                    self._stop.wait(STANDBY_POLL)
                    continue
                self._housekeeping()
                if self.catch_up() == 0:
                    self._stop.wait(POLL)
            except Exception:  # keep following after a database hiccup
                log.exception("read model update failed; starting again from the tables")
                with self._lock:
                    self._step_down()  # and start again from the tables' position
                self._stop.wait(1.0)
        with self._lock:
            self._step_down()

    def _lead(self) -> bool:
        """Hold the lock, taking it if it is free. Caller holds self._lock."""
        if self._leading and self._conn is not None and not self._conn.closed:
            return True
        self._step_down()
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                (tables.lock_key(self._schema),),
            ).fetchone()
            if not (row and row[0]):
                conn.close()
                return False
            self._conn, self._leading = conn, True
            self._take_over(conn)
        except BaseException:
            self._step_down()
            conn.close()
            raise
        return True

    def _take_over(self, conn: Connection[Any]) -> None:
        self.generation = tables.prepare(conn, self._schema)
        rebuilding = tables.state(conn, self._schema).get("rebuilding")
        if rebuilding and self._rebuild is None:
            # Only the lock's holder rebuilds: the one before this one stopped doing it.
            self._record_failure(conn, rebuilding, "the runner stopped during the rebuild")
        self.position = tables.position(conn, self.generation)
        log.info(
            "read model runner active: generation %s at position %s",
            self.generation.number,
            self.position,
        )

    def _step_down(self) -> None:
        """Give the lock up (closing its session). Caller holds self._lock."""
        self._leading = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _housekeeping(self) -> None:
        """Now and then: start a requested rebuild, drop a generation retired long enough ago."""
        if time.monotonic() - self._checked < CHECK_EVERY:
            return
        self._checked = time.monotonic()
        with self._lock:
            if not self._leading or self._conn is None:
                return
            conn = self._conn
            row = tables.state(conn, self._schema)
            self._drop_unread(conn, row)
            requested = row.get("rebuild_requested") is not None
        if requested and self._rebuild is None:
            self.rebuild()

    def _drop_unread(self, conn: Connection[Any], row: dict[str, Any]) -> None:
        """Drop the generations reads no longer point at: the retired one once its grace period
        is over, and at once any older one (retired before it, by a rebuild within the grace
        period, or left by a runner that stopped before dropping it). Caller holds self._lock."""
        current, retired = row.get("generation"), row.get("retired")
        if current is None:
            return
        for number in sorted(tables.generations_present(conn, self._schema)):
            if number >= current:  # the current one, or a rebuild's (numbers only grow)
                continue
            if number == retired and (row.get("retired_for") or 0) < self._grace:
                continue
            if _drop_retired(conn, Generation(self._schema, number)) and number == retired:
                tables.update_state(conn, self._schema, retired=None, retired_at=None)

    # --- rebuilding -------------------------------------------------------------------------

    def rebuild(self, *, wait: bool = False) -> None:
        """Fold the whole log into a new generation (in PostgreSQL: `rebuild.py`), then switch
        reads over to it. Only the active runner rebuilds."""
        with self._lock:
            if not self._lead():
                raise RuntimeError("another runner is the active one; request the rebuild")
            if self._rebuild is not None:
                raise RuntimeError("a rebuild is already running")
            assert self._conn is not None
            assert self.generation is not None
            progress = {
                # From a sequence, never current + 1: a runner that took over from this one
                # would pick the same number and the two rebuilds would share tables.
                "generation": tables.next_generation(self._conn, self._schema),
                "position": 0,
                "started": time.time(),
                "phase": "starting",
            }
            tables.update_state(
                self._conn, self._schema, rebuilding=progress, rebuild_requested=None
            )
            self._rebuild = threading.Thread(
                target=self._rebuild_generation,
                args=(progress,),
                name="read-model-rebuild",
                daemon=True,
            )
            worker = self._rebuild
        worker.start()
        if wait:
            worker.join()

    def _rebuild_generation(self, progress: dict[str, Any]) -> None:
        new = Generation(self._schema, progress["generation"])
        try:
            with self._connect() as conn:
                new.drop(conn)
                new.create(conn)
                head = self._head(conn)
                self._progress(conn, progress, phase="folding the log in PostgreSQL", head=head)
            rebuild_tables(self._connect, self._log, new, head, self._rebuild_connections)
            with self._connect() as conn:
                self._progress(conn, progress, phase="indexing", position=head)
            index_tables(self._connect, new, self._rebuild_connections)
            self._switch(new, head, progress)
        except Exception as failure:
            log.exception("read model rebuild failed; reads stay on the current generation")
            try:
                self._abandon(new, progress, _reason(failure))
            except Exception:
                log.exception("could not record the rebuild's failure")
        finally:
            self._rebuild = None

    def _abandon(self, new: Generation, progress: dict[str, Any], reason: str) -> None:
        """Record a failed rebuild and drop its tables. This runner may have lost its lock
        meanwhile and another be rebuilding: its outcome is recorded only while `rebuilding`
        is still this rebuild, and the tables dropped are this rebuild's alone (its number came
        from a sequence), unless reads point at them."""
        outcome = {**progress, "outcome": "failed", "finished": time.time(), "reason": reason}
        with self._connect() as conn:
            tables.finish_rebuild(conn, self._schema, new.number, outcome)
            row = tables.state(conn, self._schema)
            if new.number not in (row.get("generation"), row.get("retired")):
                new.drop(conn)  # after the record: a table in the way must not hide the reason

    def _progress(self, conn: Connection[Any], progress: dict[str, Any], **changes: Any) -> None:
        progress.update(changes)
        tables.update_state(conn, self._schema, rebuilding=progress)

    def _record_failure(self, conn: Connection[Any], progress: dict[str, Any], reason: str) -> None:
        outcome = {**progress, "outcome": "failed", "finished": time.time(), "reason": reason}
        tables.update_state(
            conn, self._schema, rebuilding=None, last_rebuild=outcome, last_failure=outcome
        )

    def _switch(self, new: Generation, position: int, progress: dict[str, Any]) -> None:
        """Catch the new generation up and point reads at it, in one transaction on the lock's
        session (a runner that lost the lock cannot switch)."""
        with self._lock:
            conn, old = self._conn, self.generation
            if not self._leading or conn is None or old is None:
                raise RuntimeError("this runner lost the read model's lock during the rebuild")
            self._progress(conn, progress, phase="catching up and switching")
            old_position = self.position
            self.position = position
            try:
                with conn.transaction():
                    self._apply_new(conn, new)  # what was recorded during the rebuild
                    # A generation retired earlier is not dropped here: the DROP would wait for
                    # its readers with the lock's session in a transaction, and deadlock with a
                    # read locking its tables in another order (the read or the switch failing).
                    # Housekeeping drops it, without waiting: `_drop_unread`.
                    tables.switch(conn, self._schema, old.number, new.number)
                    done = {
                        "generation": new.number,
                        "position": self.position,
                        "outcome": "succeeded",
                        "finished": time.time(),
                    }
                    tables.update_state(conn, self._schema, rebuilding=None, last_rebuild=done)
            except Exception:
                self.position = old_position
                raise
            self.generation = new
        log.info("read model rebuilt as generation %s at position %s", new.number, self.position)

    def _head(self, conn: Connection[Any]) -> int:
        return head(conn, self._log)

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


def _drop_retired(conn: Connection[Any], generation: Generation) -> bool:
    """Drop a retired generation, unless a read still holds its tables: a roll export reads one
    snapshot for as long as its download lasts (decision 171), and a DROP waiting for it would
    hold up every batch of the fold meanwhile. False if so: tried again at the next look."""
    try:
        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '20ms'")  # a moment of the fold, no more
            generation.drop(conn)
    except LockNotAvailable:
        log.info("generation %s is still being read; dropped later", generation.number)
        return False
    return True


def _fold(ledger: MembershipLedger, rows: list[Row]) -> tuple[Changes, list[tuple[Any, str, int]]]:
    changes = Changes()
    people = {}  # by member: someone who applies again within a batch is one row, the latest
    for originator_id, topic, state, _ in rows:
        for step in steps_from_stored(topic, state, originator_id):
            ledger.record(step, changes)
            if isinstance(step, Applied):
                people[step.member_id] = (step.member_id, step.sex, step.birth_year)
    return changes, list(people.values())


def head(conn: Connection[Any], events: Identifier) -> int:
    """The log's last position."""
    row = conn.execute(SQL("SELECT max(notification_id) FROM {}").format(events)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _reason(failure: BaseException) -> str:
    """A failure in words for `GET /read-model` (the first line: PostgreSQL adds context)."""
    text = str(failure).strip().splitlines()
    return f"{type(failure).__name__}: {text[0] if text else ''}"
