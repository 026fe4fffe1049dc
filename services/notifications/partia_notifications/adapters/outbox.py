"""What became of each notice, as integration events (`partia.notifications.v1`, issue 13 item 7,
decision 279): written to `notifications_outbox` in the transaction that records the outcome, and
published by `partia-notifications relay` (the kit's relay reads the outbox like an events table).

The relay reads in `notification_id` order and remembers the last it published, so a row must
never commit after one with a higher id: the writer takes the table's EXCLUSIVE lock just before
its batch commits (as the eventsourcing library does for its events table), which serialises
only those last moments of two senders' batches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL

from partia_contracts.event_id import derive_event_id
from partia_contracts.notifications.v1 import NoticeEvent, NoticeFailed, NoticeSent, NoticeWithheld
from partia_kit.postgres.statements import table
from partia_notifications.domain.notice import parse_recipient
from partia_notifications.domain.rendering import ALMATY

TABLE = "notifications_outbox"
RECORDED_BY = "notifications"
_EVENTS: dict[str, type[NoticeEvent]] = {
    "sent": NoticeSent,
    "failed": NoticeFailed,
    "withheld": NoticeWithheld,
}


def outcome_model(event_type: str) -> type[NoticeEvent]:
    """The contract class of an outbox row's event type."""
    return next(m for m in _EVENTS.values() if m.model_fields["event_type"].default == event_type)


def outcome_event(outcome: str, row: dict[str, Any], **fact: Any) -> NoticeEvent | None:
    """The contract event of a notice's outcome (`row`: the delivery log's row after it); None for
    a notice to no member, and for one to a party body (its `member_id` is the member it concerns,
    not its recipient, decision 303). The version counts outcomes: the first is 1, each resend's
    one more."""
    if row["member_id"] is None or parse_recipient(str(row.get("recipient") or "")) is not None:
        return None
    now = datetime.now(UTC)
    version = int(row["resends"]) + 1
    model = _EVENTS[outcome]
    return model(
        event_id=derive_event_id(row["notice_id"], version),
        aggregate_id=row["notice_id"],
        aggregate_version=version,
        position=None,
        recorded_at=now,
        recorded_by=RECORDED_BY,
        effective_on=now.astimezone(ALMATY).date(),
        notice_id=row["notice_id"],
        member_id=row["member_id"],
        template=row["template"],
        category=row["category"],
        cause_event_id=row["event_id"],
        **fact,
    )


def write(conn: psycopg.Connection[Any], schema: str, events: list[NoticeEvent]) -> None:
    """Into the outbox, just before the caller's transaction commits (see the module's note)."""
    if not events:
        return
    outbox = table(schema, TABLE)
    conn.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(outbox))
    with conn.cursor() as cursor:
        cursor.executemany(
            SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(outbox),
            [
                (UUID(str(e.aggregate_id)), e.aggregate_version, e.event_type,
                 e.model_dump_json().encode())
                for e in events
            ],
        )  # fmt: skip
