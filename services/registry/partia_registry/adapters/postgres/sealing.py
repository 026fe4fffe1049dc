"""Once per installation: names an older version kept in the clear in the member index, sealed.

Versions before decision 021 wrote `full_name` as text. On start, under a lock (a second process
waits, then finds nothing to do), every such name is sealed with its owner's key into `sealed_name`;
a person whose key is gone (erased) keeps no name at all. The clear column is emptied and dropped,
and the table rewritten (VACUUM FULL) so its old row versions go from the table's files too.
What PostgreSQL wrote before (old WAL segments, backups, replicas) cannot be reached from here:
decision 021 says what an operator must do about those.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL

from partia_kit.postgres.statements import table
from partia_kit.vault import PersonalDataVault
from partia_registry.adapters.postgres.indexes import MEMBER_INDEX

log = logging.getLogger(__name__)

_CHUNK = 10_000
_LOCK = "partia/seal-index-names"


def seal_clear_names(datastore: PostgresDatastore, schema: str, vault: PersonalDataVault) -> int:
    """Seal the clear names of an older installation; returns how many rows were changed."""
    members = table(schema, MEMBER_INDEX)
    with datastore.transaction(commit=True) as curs:
        curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{_LOCK}/{schema}",))
        curs.execute(
            "SELECT 1 FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s AND column_name = 'full_name'",
            (schema, MEMBER_INDEX),
        )
        if curs.fetchone() is None:
            return 0  # a new installation, or sealed already
        curs.execute(
            SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS sealed_name bytea").format(members)
        )
        curs.execute(SQL("SELECT member_id, full_name FROM {}").format(members))
        rows: list[tuple[UUID, str | None]] = [(r["member_id"], r["full_name"]) for r in curs]
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            sealed = _seal(vault, chunk)
            curs.execute(
                SQL(
                    "UPDATE {} m SET sealed_name = v.sealed, full_name = NULL"
                    " FROM unnest(%s::uuid[], %s::bytea[]) AS v(member_id, sealed)"
                    " WHERE m.member_id = v.member_id"
                ).format(members),
                ([owner for owner, _ in chunk], sealed),
            )
        curs.execute(SQL("ALTER TABLE {} DROP COLUMN full_name").format(members))
    _rewrite(datastore, members)
    log.info("sealed the names of %d rows of the member index", len(rows))
    return len(rows)


def _seal(vault: PersonalDataVault, rows: list[tuple[UUID, str | None]]) -> list[bytes | None]:
    """Each name sealed with its owner's key; None where there is no name or no key (erased)."""
    keys = vault.keys_of([owner for owner, name in rows if name is not None])
    return [
        vault.seal_name(owner, name, new_owner=False)
        if name is not None and owner in keys
        else None
        for owner, name in rows
    ]


def _rewrite(datastore: PostgresDatastore, members: Any) -> None:
    """A fresh table file without the old row versions, then a checkpoint so the next WAL
    segments to be recycled are the ones that held them."""
    with datastore.get_connection() as conn:  # the pool's connections are in autocommit mode
        conn.execute(SQL("VACUUM FULL {}").format(members))
        try:
            conn.execute("CHECKPOINT")
        except psycopg.Error:  # needs pg_checkpoint or superuser; the rewrite is what matters
            log.warning("CHECKPOINT after sealing the member index refused", exc_info=True)
