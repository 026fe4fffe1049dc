"""Finance forgets a person the registry erased (DOMAIN §8, crypto-shredding; decision 298).

`registry.member.personal_data_erased` on `partia.registry.members.v1` destroys the member's own
key in `finance_personal_data_keys`: the one their dues account's declared category and evidence
are sealed with (`DuesDeclaration`). The stored events stay as they are and read back with the
declaration gone; the rate class, the months owed and the payments are not personal and stay.
The member is noted in `finance_erased_members` (id and date), so that no new category of theirs
is sealed again and the statement of account says their personal data was erased.

It runs in the members' consumer (`adapters.memberships`), in the same transaction as the event
id and the partition's offset: an erasure is applied exactly once in effect, and destroying a key
that is already gone changes nothing, however the event comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL

from partia_contracts.topics import ce_type
from partia_finance.adapters.postgres.event_store import KEY_TABLE
from partia_kit.consumer import BatchHandler, Handler
from partia_kit.messages import IncomingEvent
from partia_kit.postgres.statements import table

ERASED = ce_type("registry.member.personal_data_erased", 1)


ERASED_MEMBERS = "finance_erased_members"  # made by migration f0006


def _destroyer(schema: str) -> BatchHandler:
    """Destroys the keys of the members these erasures name and notes them as erased, in the
    caller's transaction."""
    destroy = SQL("DELETE FROM {} WHERE owner_id = ANY(%s::uuid[])").format(
        table(schema, KEY_TABLE)
    )
    note = SQL(
        "INSERT INTO {} (member_id, erased_on) SELECT * FROM unnest(%s::uuid[], %s::date[])"
        " ON CONFLICT (member_id) DO NOTHING"
    ).format(table(schema, ERASED_MEMBERS))

    def apply(conn: psycopg.Connection[Any], erasures: Sequence[IncomingEvent]) -> None:
        members = [e.data["member_id"] for e in erasures]
        conn.execute(destroy, (members,))
        conn.execute(note, (members, [e.data["effective_on"] for e in erasures]))

    return apply


def handlers(schema: str) -> dict[str, Handler]:
    """The erasure one event at a time (the toolkit's path for a message alone or retried)."""
    destroy = _destroyer(schema)

    def one(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        destroy(conn, [event])

    return {ERASED: one}


def alongside(batch: BatchHandler, schema: str) -> BatchHandler:
    """`batch` for a run's other events, and the run's erasures' keys destroyed with them."""
    destroy = _destroyer(schema)

    def apply(conn: psycopg.Connection[Any], events: Sequence[IncomingEvent]) -> None:
        erasures = [e for e in events if e.type == ERASED]
        others = [e for e in events if e.type != ERASED]
        if others:
            batch(conn, others)
        if erasures:
            destroy(conn, erasures)

    return apply


def erased_on(conn: psycopg.Connection[Any], schema: str, member_id: UUID) -> date | None:
    """The day the registry erased the member's personal data, as finance learnt it (None: it
    did not, or finance has not heard)."""
    row = conn.execute(
        SQL("SELECT erased_on FROM {} WHERE member_id = %s").format(table(schema, ERASED_MEMBERS)),
        (member_id,),
    ).fetchone()
    return None if row is None else row[0]
