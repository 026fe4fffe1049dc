"""Party bodies in PostgreSQL (issue 13 item 2):
- where a body's mail goes (`notifications_body_addresses`): one office mailbox per organisation
  and role, with the language to write in, configured over the API (decision 303) and looked up
  by the sender at send time;
- what a body's notice says of a member, a mandate, a return obligation
  (`notifications_members`, `_mandates`, `_obligations`, decision 304): card numbers, PPOs,
  mandate kinds, amounts and deadlines, no personal data, kept from the events by the consumers in
  the transaction that applies each event (`adapters/events.py`), forgotten on an erasure.
Finance's return obligations arrive through `adapters/obligations.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL
from psycopg_pool import ConnectionPool

from partia_kit.postgres.statements import table
from partia_notifications.application.ports import BodyAddress
from partia_notifications.domain import bodies

ADDRESSES = "notifications_body_addresses"
MEMBERS = "notifications_members"
MANDATES = "notifications_mandates"
OBLIGATIONS = "notifications_obligations"
ORGANISATIONS = "notifications_organisations"


ADMITTED = "partia.registry.member.admitted"
RESTORED = "partia.registry.member.membership_restored"
MANDATE_RECORDED = "partia.registry.member.mandate_recorded"
KEPT = frozenset({ADMITTED, bodies.TRANSFERRED, bodies.ENDED, bodies.SANCTION, RESTORED,
                  MANDATE_RECORDED, bodies.OBLIGATION_OPENED})  # fmt: skip
"""The event types whose facts later notices to bodies need."""
FORGOTTEN_ON_ERASURE = (MEMBERS, MANDATES)


class AddressBook:
    """The bodies' configured addresses: read by the sender, changed over the API."""

    def __init__(self, pool: ConnectionPool[Any], schema: str) -> None:
        self._pool = pool
        self._table = table(schema, ADDRESSES)
        self._root = SQL(
            "SELECT organisation_id FROM {} WHERE parent_id IS NULL ORDER BY organisation_id"
            " LIMIT 1"
        ).format(table(schema, ORGANISATIONS))

    def address(self, organisation_id: str, role: str) -> BodyAddress | None:
        """Where a notice to `body:<organisation_id>:<role>` goes now; None if not configured."""
        with self._pool.connection() as conn:
            if organisation_id == bodies.PARTY:
                root = conn.execute(self._root).fetchone()
                if root is None:
                    return None
                organisation_id = str(root[0])
            row = conn.execute(
                SQL(
                    "SELECT email, language FROM {} WHERE organisation_id = %s AND role = %s"
                ).format(self._table),
                (organisation_id, role),
            ).fetchone()
        return None if row is None else BodyAddress(str(row[0]), str(row[1]))

    def of(self, organisation_id: UUID) -> list[dict[str, Any]]:
        return self._select("organisation_id = %s ORDER BY role", (organisation_id,))

    def one(self, organisation_id: UUID, role: str) -> dict[str, Any] | None:
        found = self._select("organisation_id = %s AND role = %s", (organisation_id, role))
        return found[0] if found else None

    def put(
        self, organisation_id: UUID, role: str, *, email: str, language: str, by: str
    ) -> dict[str, Any]:
        """Set the address (a PUT: the same request twice leaves the same state)."""
        with self._pool.connection() as conn:
            conn.execute(
                SQL(
                    "INSERT INTO {} (organisation_id, role, email, language, updated_by)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (organisation_id, role) DO UPDATE"
                    " SET email = EXCLUDED.email, language = EXCLUDED.language,"
                    " updated_by = EXCLUDED.updated_by, updated_at = now()"
                ).format(self._table),
                (organisation_id, role, email, language, by),
            )
        found = self.one(organisation_id, role)
        assert found is not None
        return found

    def delete(self, organisation_id: UUID, role: str) -> bool:
        with self._pool.connection() as conn:
            deleted = conn.execute(
                SQL("DELETE FROM {} WHERE organisation_id = %s AND role = %s").format(self._table),
                (organisation_id, role),
            ).rowcount
        return bool(deleted > 0)

    def _select(self, where: str, values: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                SQL(
                    "SELECT organisation_id, role, email, language, updated_by, updated_at"
                    " FROM {} WHERE " + where
                ).format(self._table),
                values,
            )
            return list(cursor.fetchall())


# --- what the consumers keep -----------------------------------------------------------------


def keep(
    conn: psycopg.Connection[Any], schema: str, type_name: str, data: Mapping[str, Any]
) -> None:
    """Update what this service knows of members, mandates and obligations from one event, in
    the consumer's transaction. Replays are harmless: each statement sets, never adds."""
    members = table(schema, MEMBERS)
    if type_name == ADMITTED:
        conn.execute(
            SQL(
                "INSERT INTO {} (member_id, card_number, organisation_id, active)"
                " VALUES (%s, %s, %s, true) ON CONFLICT (member_id) DO UPDATE SET"
                " card_number = EXCLUDED.card_number, organisation_id = EXCLUDED.organisation_id,"
                " active = true"
            ).format(members),
            (data["member_id"], data["card_number"], data["organisation_id"]),
        )
    elif type_name == bodies.TRANSFERRED:
        conn.execute(
            SQL("UPDATE {} SET organisation_id = %s WHERE member_id = %s").format(members),
            (data["to_organisation_id"], data["member_id"]),
        )
    elif type_name == bodies.ENDED or (
        type_name == bodies.SANCTION and data.get("kind") == "expulsion"
    ):
        conn.execute(
            SQL("UPDATE {} SET active = false WHERE member_id = %s").format(members),
            (data["member_id"],),
        )
    elif type_name == RESTORED:
        conn.execute(
            SQL("UPDATE {} SET active = true WHERE member_id = %s").format(members),
            (data["member_id"],),
        )
    elif type_name == MANDATE_RECORDED:
        conn.execute(
            SQL(
                "INSERT INTO {} (mandate_id, member_id, kind) VALUES (%s, %s, %s)"
                " ON CONFLICT (mandate_id) DO UPDATE SET kind = EXCLUDED.kind"
            ).format(table(schema, MANDATES)),
            (data["mandate_id"], data["member_id"], data["kind"]),
        )
    elif type_name == bodies.OBLIGATION_OPENED:
        conn.execute(
            SQL(
                "INSERT INTO {} (obligation_id, organisation_id, donation_id, amount_tiyn,"
                " deadline) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (obligation_id) DO NOTHING"
            ).format(table(schema, OBLIGATIONS)),
            (data["aggregate_id"], data["organisation_id"], data["donation_id"],
             data["amount_tiyn"], data["deadline"]),
        )  # fmt: skip


def known(
    conn: psycopg.Connection[Any], schema: str, type_name: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """What the notices to bodies of this event need (`bodies.KNOWN`); {} for other events."""
    if type_name not in bodies.MORE:
        return {}
    facts: dict[str, Any] = {}
    if data.get("member_id") is not None:
        row = conn.execute(
            SQL(
                "WITH RECURSIVE up(id, parent, depth) AS ("
                " SELECT organisation_id, parent_id, 0 FROM {o}"
                "  WHERE organisation_id = (SELECT organisation_id FROM {m} WHERE member_id = %s)"
                " UNION ALL SELECT o.organisation_id, o.parent_id, up.depth + 1 FROM {o} o"
                "  JOIN up ON o.organisation_id = up.parent WHERE up.depth < 64)"
                " SELECT m.card_number, m.organisation_id,"
                "  (SELECT id FROM up WHERE depth = 1),"
                "  (SELECT id FROM up WHERE parent IS NULL)"
                " FROM {m} m WHERE m.member_id = %s"
            ).format(o=table(schema, ORGANISATIONS), m=table(schema, MEMBERS)),
            (data["member_id"], data["member_id"]),
        ).fetchone()
        if row is not None:
            card, ppo, branch, party = row
            facts |= {"card_number": card, "organisation_id": str(ppo),
                      "branch_id": _text(branch), "party_id": _text(party)}  # fmt: skip
    if facts.get("party_id") is None:
        root = conn.execute(
            SQL("SELECT organisation_id FROM {} WHERE parent_id IS NULL LIMIT 1").format(
                table(schema, ORGANISATIONS)
            )
        ).fetchone()
        facts["party_id"] = None if root is None else str(root[0])
    if data.get("mandate_id") is not None:
        kind = conn.execute(
            SQL("SELECT kind FROM {} WHERE mandate_id = %s").format(table(schema, MANDATES)),
            (data["mandate_id"],),
        ).fetchone()
        facts["mandate_kind"] = None if kind is None else kind[0]
    if type_name == bodies.OBLIGATION_OVERDUE:
        with conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                SQL(
                    "SELECT organisation_id, donation_id, amount_tiyn, deadline FROM {}"
                    " WHERE obligation_id = %s"
                ).format(table(schema, OBLIGATIONS)),
                (data["aggregate_id"],),
            )
            obligation = cursor.fetchone()
        facts["obligation"] = None if obligation is None else {
            key: str(value) if key != "amount_tiyn" else value for key, value in obligation.items()
        }  # fmt: skip
    return facts


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
