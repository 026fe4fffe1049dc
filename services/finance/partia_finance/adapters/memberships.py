"""Who was a member of which primary organisation when, as finance knows it (decision 217): the
registry's member events on `partia.registry.members.v1`, applied with the kit's consumer
toolkit (each once, with its offset, in one transaction) into `finance_membership_spells`, one
row per stint [from_on, until_on) in one PPO; and the questions the dues slices ask of it.

- `registry.member.admitted` opens a stint (`opened_by` 'admission') from the admission
  decision's date, which is the event's `effective_on`; a re-admission after leaving opens a new
  one the same way.
- `registry.member.transferred` closes the open stint on its effective date (`closed_by`
  'transfer') and opens one in the receiving PPO from that date (`opened_by` 'transfer').
- `registry.member.membership_ended` closes it with the reason (`withdrawal`, `death`, ...), and
  a `registry.member.sanction_imposed` of kind `expulsion` (no `membership_ended` follows it)
  with `exclusion`; until_on is the effective date.
- `registry.member.membership_restored` re-opens the stint the expulsion closed (decision 216:
  as if it had not ended; the gap is owed).

A poll's events are applied together (decision 219): the stints of the members concerned are
read in one statement, each member's events are folded over them in order in Python, and the
stints that changed are written back in one statement. Every stint carries the registry log
position of the last event that changed it: an event at or before a member's highest position
has been applied already and changes nothing, however it comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL

from partia_contracts.topics import REGISTRY, ce_type
from partia_finance.adapters import erasures
from partia_kit.consumer import Consumer, Handler, consumer_for
from partia_kit.messages import IncomingEvent
from partia_kit.postgres.statements import table

TOPIC = REGISTRY.channel("members").topic
TABLE = "finance_membership_spells"
CONSUMER_NAME = "finance_members"
MAX_POLL_RECORDS = 6000
"""A poll's worth is one transaction and one fold: a million members' history is consumed at
tens of thousands of events a second, not a few thousand (bench/dues_consume.py)."""
MAX_PARTITION_FETCH_BYTES = 4 << 20

ADMITTED = ce_type("registry.member.admitted", 1)
TRANSFERRED = ce_type("registry.member.transferred", 1)
ENDED = ce_type("registry.member.membership_ended", 1)
SANCTIONED = ce_type("registry.member.sanction_imposed", 1)
RESTORED = ce_type("registry.member.membership_restored", 1)

OPENED_BY_ADMISSION = "admission"
OPENED_BY_TRANSFER = "transfer"
CLOSED_BY_TRANSFER = "transfer"
EXCLUSION = "exclusion"
_COLUMNS = (
    "member_id, organisation_id, from_on, until_on, opened_by, closed_by, card_number,"
    " registry_position"
)


class UnorderableEvent(ValueError):
    """A member event without the registry's log position: finance cannot tell a replay from
    news without it (the consumer dead-letters it)."""


@dataclass(slots=True)
class _Stint:
    """One row, as text (ids, ISO dates): the fold only moves values around."""

    member_id: str
    organisation_id: str
    from_on: str
    until_on: str | None
    opened_by: str
    closed_by: str | None
    card_number: str
    registry_position: int
    changed: bool = False

    def close(self, on: str, by: str, position: int) -> None:
        self.until_on, self.closed_by = on, by
        self.registry_position, self.changed = position, True


def _position(event: IncomingEvent) -> int:
    position = event.data.get("position")
    if position is None:
        raise UnorderableEvent(f"{event.type} {event.id} carries no position")
    return int(position)


def _open(stints: list[_Stint]) -> _Stint | None:
    return next((s for s in reversed(stints) if s.until_on is None), None)


def fold(stints: list[_Stint], events: Sequence[IncomingEvent]) -> None:
    """Apply one member's events, in their order, to their stints (ordered by from_on); an event
    at or before the highest position already reflected is skipped."""
    last = max((s.registry_position for s in stints), default=-1)
    for event in events:
        position = _position(event)
        if position <= last:
            continue
        _apply(stints, event, position)
        last = position


def _apply(stints: list[_Stint], event: IncomingEvent, position: int) -> None:
    data, on, current = event.data, event.data["effective_on"], _open(stints)
    if event.type == ADMITTED:
        stints.append(
            _Stint(data["member_id"], data["organisation_id"], on, None, OPENED_BY_ADMISSION,
                   None, data["card_number"], position, changed=True)
        )  # fmt: skip
    elif event.type == TRANSFERRED:
        card = current.card_number if current else (stints[-1].card_number if stints else None)
        if card is None:
            raise ValueError(f"transfer {event.id}: finance knows no admission of this member")
        if current is not None:
            current.close(on, CLOSED_BY_TRANSFER, position)
        stints.append(
            _Stint(data["member_id"], data["to_organisation_id"], on, None, OPENED_BY_TRANSFER,
                   None, card, position, changed=True)
        )  # fmt: skip
    elif event.type == ENDED and current is not None:
        current.close(on, str(data["reason"]), position)
    elif event.type == SANCTIONED and data.get("kind") == "expulsion" and current is not None:
        current.close(on, EXCLUSION, position)
    elif event.type == RESTORED:
        expelled = next((s for s in reversed(stints) if s.closed_by == EXCLUSION), None)
        if expelled is not None and current is None:
            expelled.until_on = expelled.closed_by = None
            expelled.registry_position, expelled.changed = position, True


def applier(schema: str) -> Callable[[psycopg.Connection[Any], Sequence[IncomingEvent]], None]:
    """The batch handler: read the members' stints, fold, write the changed ones back."""
    spells = table(schema, TABLE)
    read = SQL(
        "SELECT member_id::text, organisation_id::text, from_on::text, until_on::text,"
        " opened_by, closed_by, card_number, registry_position FROM {}"
        " WHERE member_id = ANY(%s::uuid[]) ORDER BY member_id, from_on, registry_position"
    ).format(spells)
    write = SQL(
        "INSERT INTO {t} (" + _COLUMNS + ") SELECT * FROM unnest(%s::uuid[], %s::uuid[],"
        " %s::date[], %s::date[], %s::text[], %s::text[], %s::text[], %s::bigint[])"
        " ON CONFLICT (member_id, from_on, organisation_id) DO UPDATE SET"
        " until_on = excluded.until_on, opened_by = excluded.opened_by,"
        " closed_by = excluded.closed_by, card_number = excluded.card_number,"
        " registry_position = excluded.registry_position"
        " WHERE {t}.registry_position < excluded.registry_position"
    ).format(t=spells)

    def apply(conn: psycopg.Connection[Any], events: Sequence[IncomingEvent]) -> None:
        by_member: dict[str, list[IncomingEvent]] = {}
        for event in events:
            by_member.setdefault(event.data["member_id"], []).append(event)
        stints: dict[str, list[_Stint]] = {member: [] for member in by_member}
        for row in conn.execute(read, (list(by_member),)):
            stints[row[0]].append(_Stint(*row))
        changed: list[_Stint] = []
        for member, its_events in by_member.items():
            fold(stints[member], its_events)
            changed.extend(s for s in stints[member] if s.changed)
        if changed:
            conn.execute(write, _columns(changed))

    return apply


def _columns(stints: list[_Stint]) -> tuple[list[Any], ...]:
    return (
        [s.member_id for s in stints],
        [s.organisation_id for s in stints],
        [s.from_on for s in stints],
        [s.until_on for s in stints],
        [s.opened_by for s in stints],
        [s.closed_by for s in stints],
        [s.card_number for s in stints],
        [s.registry_position for s in stints],
    )


def handlers(schema: str) -> dict[str, Handler]:
    """The same effect one event at a time (the toolkit's path for a message alone or retried)."""
    apply = applier(schema)

    def one(conn: psycopg.Connection[Any], event: IncomingEvent) -> None:
        apply(conn, [event])

    return dict.fromkeys((ADMITTED, TRANSFERRED, ENDED, SANCTIONED, RESTORED), one)


def consumer(
    database_url: str, schema: str, bootstrap: str, *, max_poll_records: int = MAX_POLL_RECORDS
) -> Consumer:
    return consumer_for(
        CONSUMER_NAME,
        [TOPIC],
        handlers(schema) | erasures.handlers(schema),  # an erasure destroys the member's key
        database_url=database_url,
        schema=schema,
        bootstrap_servers=bootstrap,
        batch=erasures.alongside(applier(schema), schema),
        max_poll_records=max_poll_records,
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
    )


Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


@dataclass(frozen=True)
class Stint:
    """A member's time in one primary organisation: [from_on, until_on), until_on None while it
    lasts."""

    member_id: UUID
    organisation_id: UUID
    from_on: date
    until_on: date | None
    opened_by: str
    """'admission' (an entrance fee arises) or 'transfer'."""
    closed_by: str | None
    """'transfer', or the reason the membership ended ('withdrawal', 'exclusion', ...)."""
    card_number: str


class MembershipView:
    """Reads `finance_membership_spells`."""

    def __init__(self, connect: Connect, schema: str) -> None:
        self._connect = connect
        t = table(schema, TABLE)
        self._stints = SQL(
            "SELECT member_id, organisation_id, from_on, until_on, opened_by, closed_by,"
            " card_number FROM {} WHERE member_id = %s ORDER BY from_on, registry_position"
        ).format(t)
        self._by_card = SQL(
            "SELECT DISTINCT member_id FROM {} WHERE card_number = %s LIMIT 2"
        ).format(t)
        self._members_of = SQL(
            "SELECT DISTINCT member_id FROM {} WHERE organisation_id = %s AND from_on <= %s"
            " AND (until_on IS NULL OR until_on > %s) ORDER BY member_id"
        ).format(t)

    def stints(self, member_id: UUID) -> list[Stint]:
        """The member's stints, oldest first; none for a member finance has not heard of."""
        with self._connect() as conn:
            return [Stint(*row) for row in conn.execute(self._stints, (member_id,))]

    def member_by_card(self, card_number: str) -> UUID | None:
        """The member the party card was issued to (for matching a bank statement line); None
        for an unknown card, and for one found on two members (a person must decide)."""
        with self._connect() as conn:
            found = conn.execute(self._by_card, (card_number,)).fetchall()
        return found[0][0] if len(found) == 1 else None

    def members_of(self, organisation_id: UUID, on: date) -> list[UUID]:
        """The members on the PPO's roll on `on` (a stint ending on `on` no longer counts)."""
        with self._connect() as conn:
            rows = conn.execute(self._members_of, (organisation_id, on, on)).fetchall()
        return [row[0] for row in rows]
