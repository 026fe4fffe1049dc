"""What any process knows about the read model, read from the database, never from a runner in
the same process: API processes do not fold the log, so they start in seconds at any size and
agree with each other however many there are (the runner: `runner.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg import Connection
from psycopg.errors import UndefinedTable
from psycopg.sql import Identifier

from partia_registry.projections import tables
from partia_registry.projections.runner import head
from partia_registry.projections.tables import Generation

T = TypeVar("T")

CACHE = 1.0
"""Seconds a process reuses the generation it looked up (a switched-away generation stays for
`runner.GRACE` seconds, and a read that finds it gone retries on the new one: `reading`)."""
ATTEMPTS = 4
"""Reads of one request at most, each after a rebuild dropped the generation the last one used."""


class RebuildFailed(Exception):
    """The requested rebuild failed; reads stay on the generation they had."""


@dataclass(frozen=True)
class Status:
    generation: int
    position: int
    head: int
    rebuilding: dict[str, Any] | None
    rebuild_requested: bool
    last_rebuild: dict[str, Any] | None
    last_failure: dict[str, Any] | None
    runner_active: bool

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class ReadModel:
    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[Connection[Any]]],
        schema: str,
        events_table: str,
    ) -> None:
        self._connect = connect
        self._schema = schema
        self._log = Identifier(schema, events_table)
        self._generation: Generation | None = None
        self._looked_up = 0.0
        self._known_position = 0  # positions only grow, across generations too

    @property
    def generation(self) -> Generation:
        """The generation reads use (looked up at most every `CACHE` seconds)."""
        if self._generation is None or time.monotonic() - self._looked_up > CACHE:
            return self.refresh()
        return self._generation

    def refresh(self) -> Generation:
        with self._connect() as conn:
            number = tables.current_generation(conn, self._schema)
        self._generation = Generation(self._schema, number or 1)
        self._looked_up = time.monotonic()
        return self._generation

    def reading(self, read: Callable[[], T]) -> T:
        """Run a read; if its generation was dropped under it (a rebuild switched a while ago),
        run it again on the current one, as long as each look finds a newer generation: two
        rebuilds in a row can drop the one a retry landed on (at most `ATTEMPTS` reads)."""
        for _ in range(ATTEMPTS - 1):
            used = self._generation
            try:
                return read()
            except UndefinedTable:
                if self.refresh() == used:  # no switch explains it: a real error
                    raise
        return read()

    def position(self) -> int:
        """The log position the read model has applied up to (a generation switched and dropped
        between the look-up and the read is retried as any read is: `reading`)."""
        found = self.reading(self._current_position)
        self._known_position = max(self._known_position, found)
        return found

    def _current_position(self) -> int:
        with self._connect() as conn:
            number = tables.current_generation(conn, self._schema) or 1
            return tables.position(conn, Generation(self._schema, number))

    def wait_for(self, position: int, timeout: float) -> bool:
        """Read-your-writes: wait (polling, at most `timeout` seconds) until the read model
        includes this log position."""
        if position <= self._known_position:
            return True
        deadline = time.monotonic() + timeout
        pause = 0.005
        while self.position() < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)
        return True

    def status(self) -> Status:
        with self._connect() as conn:
            row = tables.state(conn, self._schema)
            last = head(conn, self._log)
            active = _lock_held(conn, self._schema)
        return Status(
            generation=int(row.get("generation") or 1),
            position=self.position(),
            head=last,
            rebuilding=row.get("rebuilding"),
            rebuild_requested=row.get("rebuild_requested") is not None,
            last_rebuild=row.get("last_rebuild"),
            last_failure=row.get("last_failure"),
            runner_active=active,
        )

    def request_rebuild(self) -> bool:
        """Ask the active runner (in whichever process) for a rebuild; False if one is already
        requested or running."""
        with self._connect() as conn:
            return tables.request_rebuild(conn, self._schema)

    def rebuild(self, *, wait: bool = False, timeout: float = 3600.0) -> None:
        """Request a rebuild; with `wait`, return once it switched, or raise `RebuildFailed`."""
        before = self.status().last_rebuild
        if not self.request_rebuild():
            raise RuntimeError("a rebuild is already requested or running")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if status.last_rebuild != before and not status.rebuilding:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the rebuild did not finish in time")
            time.sleep(0.05)
        outcome = status.last_rebuild or {}
        if outcome.get("outcome") != "succeeded":
            raise RebuildFailed(str(outcome.get("reason")))
        self.refresh()


def _lock_held(conn: Connection[Any], schema: str) -> bool:
    """Whether some session holds the runner's lock (an advisory lock on a bigint key shows in
    pg_locks as its high and low 32 bits)."""
    row = conn.execute(
        "WITH k AS (SELECT hashtextextended(%s, 0) AS key)"
        " SELECT EXISTS (SELECT 1 FROM pg_locks, k WHERE locktype = 'advisory' AND granted"
        "  AND objsubid = 1 AND database = (SELECT oid FROM pg_database"
        "   WHERE datname = current_database())"
        "  AND classid::bigint = ((k.key >> 32) & 4294967295)"
        "  AND objid::bigint = (k.key & 4294967295))",
        (tables.lock_key(schema),),
    ).fetchone()
    return bool(row and row[0])
