"""Idempotency records on PostgreSQL: each decided request's outcome, under a unique (user, key),
stored by the same statement as the events it caused (`EventRecorder`'s `remembered`), so a
retry finds either both or neither.

Costs nothing on the happy path: the records are only read when a request collides with one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from psycopg.sql import SQL, Composed

from partia_kit.idempotency import IdempotencyKey, StoredOutcome
from partia_kit.postgres.statements import Statement, table


def stored_outcomes_query(
    schema: str, name: str, keys: Sequence[IdempotencyKey]
) -> tuple[Composed, tuple[list[str], list[str]]]:
    """The statement and parameters that read the records of these keys (`stored_outcomes`
    turns its rows into outcomes)."""
    sql = SQL(
        "SELECT actor, key, fingerprint, result FROM {} WHERE (actor, key) IN "
        "(SELECT * FROM unnest(%s::text[], %s::text[]))"
    ).format(table(schema, name))
    return sql, ([k.actor for k in keys], [k.key for k in keys])


def stored_outcomes(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], StoredOutcome]:
    return {(r["actor"], r["key"]): _stored_outcome(r) for r in rows}


def _stored_outcome(row: Mapping[str, Any]) -> StoredOutcome:
    """Rows stored before the positions were kept have none: a replay then says nothing about
    positions rather than claim there were none."""
    result = dict(row["result"])
    positions = result.pop("positions", None)
    return StoredOutcome(
        row["fingerprint"], result, None if positions is None else tuple(positions)
    )


def remembered(
    schema: str,
    name: str,
    outcomes: Sequence[tuple[IdempotencyKey, Mapping[str, Any], int]],
    caused_by: Mapping[tuple[UUID, int], int],
) -> Statement | None:
    """The idempotency rows (key, result, number of the command in its unit of work), each with
    the positions of the events its own command caused (`caused_by`: (record, version) ->
    command), read from the events' insert, `new`, in the same statement: see
    `partia_kit.postgres.recorder.EventRecorder`."""
    if not outcomes:
        return None
    sql = SQL(
        "INSERT INTO {} (actor, key, fingerprint, result)"
        " SELECT u.actor, u.key, u.fingerprint,"
        " u.result || jsonb_build_object('positions', coalesce(p.positions, '[]'))"
        " FROM unnest(%b::text[], %b::text[], %b::text[], %b::jsonb[], %b::int4[])"
        " AS u(actor, key, fingerprint, result, command)"
        " LEFT JOIN (SELECT c.command,"
        " jsonb_agg(n.notification_id ORDER BY n.notification_id) AS positions"
        " FROM unnest(%b::int4[], %b::uuid[], %b::int8[])"
        " AS c(command, originator_id, originator_version)"
        " JOIN new n USING (originator_id, originator_version) GROUP BY c.command) p"
        " USING (command)"
    )
    rows: list[tuple[Any, ...]] = [
        (k.actor, k.key, k.fingerprint, json.dumps(result), command)
        for k, result, command in outcomes
    ]
    remembering = {command for _, _, command in outcomes}
    caused = [
        (command, record, version)
        for (record, version), command in caused_by.items()
        if command in remembering
    ]
    more = ([c[0] for c in caused], [c[1] for c in caused], [c[2] for c in caused])
    return Statement(sql.format(table(schema, name)), rows, more)
