"""The dues refresher (decision 309): refreshes the dues positions of the members a large
statement on the membership spells or the dues categories only queued (`finance_dues_stale`,
migration f0005), such as a poll of the registry's history while finance catches up. A live event
touches a member or two and is refreshed in its own transaction; this runner carries the bulk
beside the consumer, in batches of its own, so that catching up is not held to the pace of the
dues computation.

It runs in finance's `project` process beside the consumers. A second copy is harmless: every
refresh takes the schema's lock first, and an entry is taken out of the queue in the transaction
that refreshes its member.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from partia_finance.migrations.versions.f0005_dues_refresher import channel

log = logging.getLogger(__name__)

BATCH = 5000
"""Queue entries per transaction: large enough to share the computation's fixed costs, small
enough that a payment or declaration waiting for the lock waits well under a second."""
IDLE_WAIT = 1.0
"""Seconds between looks at an empty queue when no notification comes (one may be missed while
reconnecting)."""


def refresh_queued(conn: psycopg.Connection[Any], schema: str, batch: int = BATCH) -> int:
    """Refresh the members of the oldest `batch` queue entries, in one transaction of its own;
    the number of members refreshed (0: the queue was empty)."""
    statement = SQL("SELECT {}(%s)").format(Identifier(schema, "finance_dues_refresh_queued"))
    with conn.transaction():
        row = conn.execute(statement, (batch,)).fetchone()
    return int(row[0]) if row else 0


def refresh_all_queued(conn: psycopg.Connection[Any], schema: str, batch: int = BATCH) -> int:
    """Empty the queue (a bulk load's last step, or a test's); the members refreshed."""
    done = 0
    while refreshed := refresh_queued(conn, schema, batch):
        done += refreshed
    return done


def queued(conn: psycopg.Connection[Any], schema: str) -> int:
    """Queue entries not yet refreshed."""
    statement = SQL("SELECT count(*) FROM {}").format(Identifier(schema, "finance_dues_stale"))
    row = conn.execute(statement).fetchone()
    return int(row[0]) if row else 0


class DuesRefresher:
    """`run(stop)`: refresh what is queued, then wait for the next notification."""

    def __init__(self, database_url: str, schema: str, *, batch: int = BATCH) -> None:
        self._url, self._schema, self._batch = database_url, schema, batch
        self.refreshed = 0

    def run(self, stop: threading.Event) -> None:
        with psycopg.connect(self._url, autocommit=True) as conn:
            conn.execute(SQL("LISTEN {}").format(Identifier(channel(self._schema))))
            while not stop.is_set():
                done = refresh_queued(conn, self._schema, self._batch)
                self.refreshed += done
                if done == 0:
                    for _ in conn.notifies(timeout=IDLE_WAIT, stop_after=1):
                        pass
