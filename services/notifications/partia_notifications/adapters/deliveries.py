"""The delivery log in PostgreSQL (`notifications_deliveries`): every notice, queued by the
consumer in the causing event's transaction, claimed by a sender with `FOR UPDATE SKIP LOCKED`
(two senders never take the same notice), and what became of it: sent, failed with the reason,
withheld. No personal data: the recipient is a member id; the language and the SMTP Message-ID
are kept, the address and name never."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL
from psycopg_pool import ConnectionPool

from partia_contracts.notifications.v1 import NoticeEvent
from partia_kit.postgres.statements import table
from partia_notifications.adapters import outbox
from partia_notifications.application.ports import Due

TABLE = "notifications_deliveries"
PREFERENCES = "notifications_preferences"
DIGESTS = "notifications_digests"
DIGEST_LOCK = 0x0D16E57
"""The advisory lock one digest round holds: a second sender waits its turn, never doubles."""
QUEUED, SENT, FAILED, WITHHELD, CANCELLED = "queued", "sent", "failed", "withheld", "cancelled"

COLUMNS = (
    "notice_id, event_id, event_type, template, recipient, member_id, category, context,"
    " status, attempts, resends, next_attempt_at, last_error, language, message_id,"
    " queued_at, sent_at, updated_at, cancel_key, digest"
)


class Claim:
    """The notices one sender holds in one open transaction, and what it records of each."""

    def __init__(self, conn: psycopg.Connection[Any], schema: str, due: list[Due]) -> None:
        self._conn = conn
        self._schema = schema
        self._table = table(schema, TABLE)
        self.due = due
        self.outcomes: list[NoticeEvent] = []
        """The integration events of this batch's outcomes, for the outbox at commit."""
        self._sent: list[tuple[UUID, str, str]] = []

    def sent(self, notice_id: UUID, language: str, message_id: str) -> None:
        """Recorded with the batch's other sent notices in one statement before the commit (one
        round trip per batch, not per notice: decision 292)."""
        self._sent.append((notice_id, language, message_id))

    def _record_sent(self) -> None:
        if not self._sent:
            return
        notices, languages, message_ids = (list(column) for column in zip(*self._sent, strict=True))
        self._sent = []
        with self._conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                SQL(
                    "UPDATE {} d SET status = 'sent', attempts = d.attempts + 1, sent_at = now(),"
                    " last_error = NULL, language = s.language, message_id = s.message_id,"
                    " updated_at = now()"
                    " FROM unnest(%s::uuid[], %s::text[], %s::text[])"
                    "  AS s(notice_id, language, message_id)"
                    " WHERE d.notice_id = s.notice_id"
                    " RETURNING d.notice_id, d.member_id, d.template, d.category, d.event_id,"
                    " d.resends, d.recipient, s.language"
                ).format(self._table),
                (notices, languages, message_ids),
            )
            for row in cursor.fetchall():
                self._outcome("sent", row, language=row.pop("language"))

    def retry(self, notice_id: UUID, reason: str, delay: float) -> None:
        """Tried and failed; tried again in `delay` seconds."""
        self._update(
            "attempts = attempts + 1, last_error = %s,"
            " next_attempt_at = now() + make_interval(secs => %s)",
            (reason, delay),
            notice_id,
        )

    def failed(self, notice_id: UUID, reason: str) -> None:
        """Given up on (too many attempts, or a refusal no retry mends): an operator may resend."""
        row = self._update(
            "status = 'failed', attempts = attempts + 1, last_error = %s", (reason,), notice_id
        )
        self._outcome("failed", row, reason=reason)

    def withheld(self, notice_id: UUID, reason: str) -> None:
        """Not to be sent at all (the person was erased, has no address on file, or opted out)."""
        row = self._update("status = 'withheld', last_error = %s", (reason,), notice_id)
        self._outcome("withheld", row, reason=reason)

    def hold(self, notice_id: UUID, until: datetime, reason: str) -> None:
        """Not now (quiet hours): it stays queued, due at `until`; no attempt was made."""
        self._update("next_attempt_at = %s, last_error = %s", (until, reason), notice_id)

    def publish(self) -> None:
        """The sent notices recorded and the batch's outcomes into the outbox: the last thing
        before the commit."""
        self._record_sent()
        outbox.write(self._conn, self._schema, self.outcomes)

    def _outcome(self, outcome: str, row: dict[str, Any] | None, **fact: Any) -> None:
        event = None if row is None else outbox.outcome_event(outcome, row, **fact)
        if event is not None:
            self.outcomes.append(event)

    def _update(
        self, assignments: str, values: tuple[Any, ...], notice_id: UUID
    ) -> dict[str, Any] | None:
        with self._conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                SQL(
                    "UPDATE {} SET " + assignments + ", updated_at = now() WHERE notice_id = %s"
                    " RETURNING notice_id, member_id, template, category, event_id, resends,"
                    " recipient"
                ).format(self._table),
                (*values, notice_id),
            )
            return cursor.fetchone()


class DigestClaim(Claim):
    """The routine items (`digest`) due by now of the bodies without a digest today, locked."""

    def groups(self) -> dict[str, list[Due]]:
        grouped: dict[str, list[Due]] = {}
        for due in self.due:
            grouped.setdefault(due.recipient, []).append(due)
        return grouped

    def digested(self, recipient: str, day: date, message_id: str, items: int) -> None:
        """This body's digest of `day` went: no other that day."""
        self._conn.execute(
            SQL(
                "INSERT INTO {} (recipient, day, message_id, items) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (recipient, day) DO NOTHING"
            ).format(table(self._schema, DIGESTS)),
            (recipient, day, message_id, items),
        )


class DeliveryLog:
    def __init__(self, pool: ConnectionPool[Any], schema: str) -> None:
        self._pool = pool
        self._schema = schema
        self._table = table(schema, TABLE)

    @contextmanager
    def claim(self, limit: int) -> Iterator[Claim]:
        """Up to `limit` notices due now, locked until the block ends (then committed); another
        sender skips them, and takes them up if this one dies before committing."""
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                SQL(
                    "SELECT d.notice_id, d.event_id, d.template, d.member_id, d.context,"
                    " d.attempts, d.category, array_remove(ARRAY["
                    "  CASE WHEN NOT p.reminders THEN 'reminder' END,"
                    "  CASE WHEN NOT p.information THEN 'information' END], NULL),"
                    " d.recipient"
                    # a member's choices stop notices to them, never a body's notice about them
                    " FROM {} d LEFT JOIN {} p"
                    "  ON p.member_id = d.member_id AND d.recipient LIKE 'member:%%'"
                    " WHERE d.status = 'queued' AND NOT d.digest AND d.next_attempt_at <= now()"
                    " ORDER BY d.next_attempt_at LIMIT %s FOR UPDATE OF d SKIP LOCKED"
                ).format(self._table, table(self._schema, PREFERENCES)),
                (limit,),
            ).fetchall()
            due = [
                Due(notice, event, template, member, context, attempts, category, tuple(out), to)
                for notice, event, template, member, context, attempts, category, out, to in rows
            ]
            claim = Claim(conn, self._schema, due)
            yield claim
            claim.publish()

    @contextmanager
    def claim_digests(self, day: date, moment: datetime, limit: int) -> Iterator[DigestClaim]:
        """Every routine item due by `moment` of up to `limit` bodies that had no digest on
        `day`, locked until the block ends; one digest round at a time (an advisory lock)."""
        with self._pool.connection() as conn, conn.transaction():
            mine = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (DIGEST_LOCK,)).fetchone()
            rows = [] if not (mine and mine[0]) else conn.execute(
                SQL(
                    "WITH bodies AS (SELECT DISTINCT d.recipient FROM {t} d"
                    "  WHERE d.status = 'queued' AND d.digest AND d.next_attempt_at <= %s"
                    "  AND NOT EXISTS (SELECT 1 FROM {g} g"
                    "   WHERE g.recipient = d.recipient AND g.day = %s)"
                    "  ORDER BY d.recipient LIMIT %s)"
                    " SELECT d.notice_id, d.event_id, d.template, d.member_id, d.context,"
                    " d.attempts, d.category, d.recipient FROM {t} d JOIN bodies USING (recipient)"
                    " WHERE d.status = 'queued' AND d.digest AND d.next_attempt_at <= %s"
                    " ORDER BY d.recipient, d.next_attempt_at, d.queued_at FOR UPDATE OF d"
                ).format(t=self._table, g=table(self._schema, DIGESTS)),
                (moment, day, limit, moment),
            ).fetchall()  # fmt: skip
            due = [
                Due(notice, event, template, member, context, attempts, category, (), to)
                for notice, event, template, member, context, attempts, category, to in rows
            ]
            claim = DigestClaim(conn, self._schema, due)
            yield claim
            claim.publish()

    def of_member(self, member_id: UUID) -> list[dict[str, Any]]:
        return self._select("member_id = %s ORDER BY queued_at, template", member_id)

    def of_event(self, event_id: str) -> list[dict[str, Any]]:
        return self._select("event_id = %s ORDER BY queued_at, template", event_id)

    def one(self, notice_id: UUID) -> dict[str, Any] | None:
        found = self._select("notice_id = %s", notice_id)
        return found[0] if found else None

    def resend(self, conn: psycopg.Connection[Any], notice_id: UUID) -> str | None:
        """Queue a failed notice again, due now, with a fresh count of attempts; its status
        before (None: no such notice). Only a failed notice is queued again."""
        row = conn.execute(
            SQL("SELECT status FROM {} WHERE notice_id = %s FOR UPDATE").format(self._table),
            (notice_id,),
        ).fetchone()
        if row is None:
            return None
        if row[0] == FAILED:
            conn.execute(
                SQL(
                    "UPDATE {} SET status = 'queued', attempts = 0, resends = resends + 1,"
                    " next_attempt_at = now(), updated_at = now() WHERE notice_id = %s"
                ).format(self._table),
                (notice_id,),
            )
        return str(row[0])

    def counts(self) -> dict[str, int]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                SQL("SELECT status, count(*) FROM {} GROUP BY status").format(self._table)
            ).fetchall()
        return {str(status): int(n) for status, n in rows}

    def _select(self, where: str, value: Any) -> list[dict[str, Any]]:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                SQL("SELECT " + COLUMNS + " FROM {} WHERE " + where).format(self._table),
                (value,),
            )
            return [_row(r) for r in cursor.fetchall()]


def _row(row: dict[str, Any]) -> dict[str, Any]:
    context = row["context"]
    return {**row, "context": json.loads(context) if isinstance(context, str) else context}
