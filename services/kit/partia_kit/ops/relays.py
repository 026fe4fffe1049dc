"""`partia-ops republish`: ask a service's relay to publish again from a log position.

The relay keeps its position in `<schema>.<service>_relay_position` (`partia_kit.relay`). Moving
that row back is the whole request: a running relay reads the row before every batch and stores
its new position only `WHERE position = <what it read>`, so a batch in flight while the row is
moved back cannot overwrite the request; the relay's next batch starts at the new position. A
relay that is not running starts there. (Decision 101.)
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.sql import SQL, Identifier

from partia_kit.ops.kafka import OpsError
from partia_kit.relay import position_table


@dataclass(frozen=True)
class Republish:
    service: str
    was_at: int
    now_at: int


def republish(database_url: str, schema: str, service: str, position: int) -> Republish:
    """Move `service`'s relay back to `position` (0 = the whole log). Never forward: that would
    skip events, so a position ahead of the relay's is refused."""
    if position < 0:
        raise OpsError("--from must be 0 (the whole log) or a positive log position")
    table = Identifier(schema, position_table(service))
    try:
        conn = psycopg.connect(database_url, autocommit=True)
    except psycopg.Error as error:
        raise OpsError(f"cannot connect to the database: {error}") from error
    with conn:
        exists = conn.execute(
            "SELECT to_regclass(%s)", (f'"{schema}"."{position_table(service)}"',)
        ).fetchone()
        if exists is None or exists[0] is None:
            raise OpsError(
                f"no relay position {schema}.{position_table(service)}: has the {service!r} relay"
                " ever run against this database? (check --service, --schema, --database-url)"
            )
        with conn.transaction():
            row = conn.execute(SQL("SELECT position FROM {} FOR UPDATE").format(table)).fetchone()
            if row is None:
                raise OpsError(f"{schema}.{position_table(service)} has no row")
            if position > row[0]:
                raise OpsError(
                    f"the {service} relay is at position {row[0]}; --from {position} would skip"
                    " events. republish only moves back."
                )
            conn.execute(
                SQL("UPDATE {} SET position = %s, updated_at = now()").format(table), (position,)
            )
    return Republish(service, row[0], position)


def relay_position(database_url: str, schema: str, service: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            SQL("SELECT position FROM {}").format(Identifier(schema, position_table(service)))
        ).fetchone()
    if row is None:
        raise OpsError(f"{schema}.{position_table(service)} has no row")
    return int(row[0])
