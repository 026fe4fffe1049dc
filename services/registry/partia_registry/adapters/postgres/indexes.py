"""Write-side indexes, kept in the same transaction as the events they follow from.

They answer what deciding needs and the event store cannot: which record holds this IIN (so one
person holds at most one membership even when two applications race: the digest is unique), how many
members are on a roll, which organisations sit under another. They also serve the simple reads
(an organisation's direct members). Rebuildable read models for reporting come with the read side.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any

from psycopg.sql import SQL, Composable

from partia_registry.adapters.postgres.statements import RowShape, Statement, table
from partia_registry.domain.members import WITHDRAWAL, Member, MemberStatus
from partia_registry.domain.organisations import Organisation

MEMBER_INDEX = "registry_member_index"
ORGANISATION_INDEX = "registry_organisation_index"
IDEMPOTENCY = "registry_idempotency"
CARD_SERIAL = "registry_card_serial"


def create_tables_sql(schema: str) -> list[Composable]:
    members, organisations = table(schema, MEMBER_INDEX), table(schema, ORGANISATION_INDEX)
    return [
        SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " member_id uuid PRIMARY KEY,"
            " iin_digest bytea UNIQUE,"  # NULL once erased: the person may then start afresh
            " status text NOT NULL,"
            " organisation_id uuid NOT NULL,"
            " card_number text UNIQUE,"
            " full_name text,"
            " applied_on date, admitted_on date, ended_on date, end_reason text)"
        ).format(members),
        SQL("CREATE INDEX IF NOT EXISTS {} ON {} (organisation_id, status)").format(
            SQL(MEMBER_INDEX + "_roll"), members
        ),
        SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " organisation_id uuid PRIMARY KEY, kind text NOT NULL, parent_id uuid,"
            " names jsonb NOT NULL, code text, founded_on date, dissolved_on date)"
        ).format(organisations),
        SQL("CREATE INDEX IF NOT EXISTS {} ON {} (parent_id)").format(
            SQL(ORGANISATION_INDEX + "_parent"), organisations
        ),
        SQL("CREATE INDEX IF NOT EXISTS {} ON {} (kind)").format(
            SQL(ORGANISATION_INDEX + "_kind"), organisations
        ),
        SQL(
            "CREATE TABLE IF NOT EXISTS {} (actor text NOT NULL, key text NOT NULL,"
            " fingerprint text NOT NULL, result jsonb NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor, key))"
        ).format(table(schema, IDEMPOTENCY)),
        SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(table(schema, CARD_SERIAL)),
    ]


def iin_digest(pepper: bytes, iin: str) -> bytes:
    """A keyed hash of the IIN: finds the record without storing the number (HMAC-SHA256)."""
    return hmac.new(pepper, iin.encode("ascii"), hashlib.sha256).digest()


_MEMBER_KEY = ("member_id", "uuid")
_ORGANISATION_KEY = ("organisation_id", "uuid")
_ENDED = RowShape(
    MEMBER_INDEX, _MEMBER_KEY, (("status", "text"), ("ended_on", "date"), ("end_reason", "text"))
)
_APPLICATION_COLUMNS = (
    ("iin_digest", "bytea"),
    ("status", "text"),
    ("organisation_id", "uuid"),
    ("full_name", "text"),
    ("applied_on", "date"),
)
SHAPES: dict[type[Any], RowShape] = {
    Member.ApplicationSubmitted: RowShape(
        MEMBER_INDEX, _MEMBER_KEY, _APPLICATION_COLUMNS, insert=True
    ),
    Member.NewApplicationSubmitted: RowShape(
        MEMBER_INDEX,
        _MEMBER_KEY,
        _APPLICATION_COLUMNS,
        also_set="card_number = NULL, admitted_on = NULL, ended_on = NULL, end_reason = NULL",
    ),
    Member.ApplicationRejected: RowShape(MEMBER_INDEX, _MEMBER_KEY, (("status", "text"),)),
    Member.Admitted: RowShape(
        MEMBER_INDEX,
        _MEMBER_KEY,
        (
            ("status", "text"),
            ("organisation_id", "uuid"),
            ("card_number", "text"),
            ("admitted_on", "date"),
        ),
    ),
    Member.Withdrew: _ENDED,
    Member.MembershipTerminated: _ENDED,
    Member.PersonalDataErased: RowShape(
        MEMBER_INDEX, _MEMBER_KEY, (("iin_digest", "bytea"), ("full_name", "text"))
    ),
    Organisation.Created: RowShape(
        ORGANISATION_INDEX,
        _ORGANISATION_KEY,
        (
            ("kind", "text"),
            ("parent_id", "uuid"),
            ("names", "jsonb"),
            ("code", "text"),
            ("founded_on", "date"),
        ),
        insert=True,
    ),
    Organisation.Renamed: RowShape(ORGANISATION_INDEX, _ORGANISATION_KEY, (("names", "jsonb"),)),
    Organisation.Moved: RowShape(ORGANISATION_INDEX, _ORGANISATION_KEY, (("parent_id", "uuid"),)),
    Organisation.Dissolved: RowShape(
        ORGANISATION_INDEX, _ORGANISATION_KEY, (("dissolved_on", "date"),)
    ),
}


class IndexWriter:
    """Turns new events into index rows. Order matters per record, so statements keep event order;
    consecutive events of one kind share a statement unless they touch the same record twice."""

    def __init__(self, schema: str, digest: Callable[[str], bytes]) -> None:
        self._digest = digest
        self._sql = {kind: shape.sql(schema) for kind, shape in SHAPES.items()}

    def statements(self, events: Iterable[Any]) -> list[Statement]:
        merged: list[Statement] = []
        keys_in_last: set[Any] = set()
        for event in events:
            sql = self._sql[type(event)]
            row = (event.originator_id, *self._values(event))
            if merged and merged[-1].sql is sql and event.originator_id not in keys_in_last:
                merged[-1].rows.append(row)
            else:
                merged.append(Statement(sql, [row]))
                keys_in_last = set()
            keys_in_last.add(event.originator_id)
        return merged

    def _values(self, e: Any) -> tuple[Any, ...]:
        match e:
            case Member.ApplicationSubmitted() | Member.NewApplicationSubmitted():
                return (
                    self._digest(e.personal.iin),
                    MemberStatus.APPLICANT.value,
                    e.organisation_id,
                    e.personal.full_name,
                    e.application_document.signed_on,
                )
            case Member.ApplicationRejected():
                return (MemberStatus.REJECTED.value,)
            case Member.Admitted():
                return (
                    MemberStatus.MEMBER.value,
                    e.organisation_id,
                    e.card_number,
                    e.decision.decided_on,
                )
            case Member.Withdrew():
                return (MemberStatus.FORMER_MEMBER.value, e.effective_on, WITHDRAWAL)
            case Member.MembershipTerminated():
                return (MemberStatus.FORMER_MEMBER.value, e.decision.decided_on, e.ground)
            case Member.PersonalDataErased():
                return (None, None)
            case Organisation.Created():
                return (e.kind, e.parent_id, _names(e.names), e.code, e.decision.decided_on)
            case Organisation.Renamed():
                return (_names(e.names),)
            case Organisation.Moved():
                return (e.to_parent_id,)
            case Organisation.Dissolved():
                return (e.decision.decided_on,)
        raise TypeError(f"no index row for {type(e).__qualname__}")


def _names(names: Any) -> str:
    return json.dumps({"kk": names.kk, "ru": names.ru, "en": names.en}, ensure_ascii=False)
