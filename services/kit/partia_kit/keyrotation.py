"""Re-wrapping every stored data key with the current master key, while the service serves
(decision 160).

Run with the new key as PARTIA_MASTER_KEY and the old one in PARTIA_PREVIOUS_MASTER_KEYS, after
every process of the service runs with that configuration. Batch by batch, each its own short
transaction: the batch's rows are locked (an erasure of one of them waits for the batch, then
deletes the re-wrapped key: nothing erased comes back, since a batch only updates rows it found),
opened with whichever configured key wrapped them and wrapped again with the current key. Rows
another transaction holds (an erasure under way) are skipped, never waited for, so the rotation
can be in no deadlock with the service's writer; a pass that re-wrapped anything is followed by
another for what it skipped. Stopped at any point, it resumes where it stopped: a key already
re-wrapped carries the current key's id and is not touched again, so a second run (or two at
once) is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL

from partia_kit.masterkeys import MasterKeyMissing, MasterKeys
from partia_kit.postgres.statements import table


@dataclass
class Rotation:
    current_id: str
    rewrapped: int = 0
    batches: int = 0
    unopened: set[UUID] = field(default_factory=set)
    """Keys no configured master key opens: left as they are, reported."""

    @property
    def complete(self) -> bool:
        return not self.unopened


def rotate(
    database_url: str,
    schema: str,
    key_table: str,
    keys: MasterKeys,
    *,
    batch_size: int = 1000,
    max_batches: int | None = None,
    progress: Callable[[Rotation], None] | None = None,
) -> Rotation:
    """Re-wrap, with the current master key, every key in `key_table` wrapped by another
    (`max_batches`: stop after that many, as a run cut short would)."""
    t = table(schema, key_table)
    pick = SQL(
        "SELECT owner_id, wrapped_key, key_id FROM {} WHERE owner_id > %s"
        " AND key_id IS DISTINCT FROM %s ORDER BY owner_id LIMIT %s FOR UPDATE SKIP LOCKED"
    ).format(t)
    rewrap = SQL(
        "UPDATE {} t SET wrapped_key = v.wrapped_key, key_id = v.key_id"
        " FROM unnest(%s::uuid[], %s::bytea[], %s::text[]) AS v(owner_id, wrapped_key, key_id)"
        " WHERE t.owner_id = v.owner_id"
    ).format(t)
    done = Rotation(keys.current_id)
    after, this_pass = UUID(int=0), 0
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        while max_batches is None or done.batches < max_batches:
            with conn.transaction():
                rows = conn.execute(pick, (after, keys.current_id, batch_size)).fetchall()
                owners, wrapped = _rewrapped(rows, keys, done)
                conn.execute(rewrap, (owners, wrapped, [keys.current_id] * len(owners)))
            if not rows:
                if this_pass == 0:
                    break
                after, this_pass = UUID(int=0), 0  # again, for rows that were locked
                continue
            after = rows[-1]["owner_id"]
            this_pass += len(owners)
            done.rewrapped += len(owners)
            done.batches += 1
            if progress is not None:
                progress(done)
    return done


def _rewrapped(
    rows: list[dict[str, Any]], keys: MasterKeys, done: Rotation
) -> tuple[list[UUID], list[bytes]]:
    owners: list[UUID] = []
    wrapped: list[bytes] = []
    for row in rows:
        owner = row["owner_id"]
        try:
            key = keys.unwrap(owner, bytes(row["wrapped_key"]), row["key_id"])
        except MasterKeyMissing:
            done.unopened.add(owner)
            continue
        owners.append(owner)
        wrapped.append(keys.wrap(owner, key))
    return owners, wrapped


def remaining(database_url: str, schema: str, key_table: str, keys: MasterKeys) -> int:
    """How many stored keys are not yet wrapped by the current master key."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            SQL("SELECT count(*) FROM {} WHERE key_id IS DISTINCT FROM %s").format(
                table(schema, key_table)
            ),
            (keys.current_id,),
        ).fetchone()
    return int(row[0]) if row else 0
