"""Each member's choices per category of notice (`notifications_preferences`, issue 13 item 5):
no row means everything is sent. Not personal data (a member id and two flags), and forgotten
with the person when the registry erases them (`adapters/events.py`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.sql import SQL
from psycopg_pool import ConnectionPool

from partia_kit.postgres.statements import table

TABLE = "notifications_preferences"
DEFAULTS: dict[str, Any] = {"reminders": True, "information": True, "updated_at": None}


class Preferences:
    def __init__(self, pool: ConnectionPool[Any], schema: str) -> None:
        self._pool = pool
        self._table = table(schema, TABLE)

    def of(self, member_id: UUID) -> dict[str, Any]:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                SQL(
                    "SELECT reminders, information, updated_at FROM {} WHERE member_id = %s"
                ).format(self._table),
                (member_id,),
            )
            row = cursor.fetchone()
        return {"member_id": member_id, **(row or DEFAULTS)}

    def change(
        self, member_id: UUID, *, reminders: bool, information: bool, by: str
    ) -> dict[str, Any]:
        """Set both choices (a PUT: the same request twice leaves the same state)."""
        with self._pool.connection() as conn:
            conn.execute(
                SQL(
                    "INSERT INTO {} (member_id, reminders, information, updated_by)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (member_id) DO UPDATE SET"
                    " reminders = EXCLUDED.reminders, information = EXCLUDED.information,"
                    " updated_by = EXCLUDED.updated_by, updated_at = now()"
                ).format(self._table),
                (member_id, reminders, information, by),
            )
        return self.of(member_id)
