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

from psycopg.sql import SQL, Composable, Composed

from partia_registry.adapters.postgres.statements import Statement, table
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


class IndexWriter:
    """Turns new events into index rows. Order matters per record, so statements keep event order
    and only consecutive statements of the same shape are merged into one executemany."""

    def __init__(self, schema: str, digest: Callable[[str], bytes]) -> None:
        self._digest = digest
        m, o = table(schema, MEMBER_INDEX), table(schema, ORGANISATION_INDEX)
        self._sql: dict[type[Any], Composed] = {
            Member.ApplicationSubmitted: SQL(
                "INSERT INTO {} (member_id, iin_digest, status, organisation_id, full_name, applied_on)"
                " VALUES (%s, %s, %s, %s, %s, %s)"
            ).format(m),
            Member.NewApplicationSubmitted: SQL(
                "UPDATE {} SET iin_digest = %s, status = %s, organisation_id = %s, full_name = %s,"
                " applied_on = %s, card_number = NULL, admitted_on = NULL, ended_on = NULL,"
                " end_reason = NULL WHERE member_id = %s"
            ).format(m),
            Member.ApplicationRejected: SQL(
                "UPDATE {} SET status = %s WHERE member_id = %s"
            ).format(m),
            Member.Admitted: SQL(
                "UPDATE {} SET status = %s, organisation_id = %s, card_number = %s, admitted_on = %s"
                " WHERE member_id = %s"
            ).format(m),
            Member.Withdrew: SQL(
                "UPDATE {} SET status = %s, ended_on = %s, end_reason = %s WHERE member_id = %s"
            ).format(m),
            Member.PersonalDataErased: SQL(
                "UPDATE {} SET iin_digest = NULL, full_name = NULL WHERE member_id = %s"
            ).format(m),
            Organisation.Created: SQL(
                "INSERT INTO {} (organisation_id, kind, parent_id, names, code, founded_on)"
                " VALUES (%s, %s, %s, %s::jsonb, %s, %s)"
            ).format(o),
            Organisation.Renamed: SQL(
                "UPDATE {} SET names = %s::jsonb WHERE organisation_id = %s"
            ).format(o),
            Organisation.Moved: SQL(
                "UPDATE {} SET parent_id = %s WHERE organisation_id = %s"
            ).format(o),
            Organisation.Dissolved: SQL(
                "UPDATE {} SET dissolved_on = %s WHERE organisation_id = %s"
            ).format(o),
        }
        self._sql[Member.MembershipTerminated] = self._sql[Member.Withdrew]

    def statements(self, events: Iterable[Any]) -> list[Statement]:
        merged: list[Statement] = []
        for event in events:
            kind = type(event)
            row = self._row(event)
            sql = self._sql[kind]
            if merged and merged[-1].sql is sql:
                merged[-1].rows.append(row)
            else:
                merged.append(Statement(sql, [row]))
        return merged

    def _row(self, e: Any) -> tuple[Any, ...]:
        match e:
            case Member.ApplicationSubmitted():
                return (
                    e.originator_id,
                    self._digest(e.personal.iin),
                    MemberStatus.APPLICANT.value,
                    e.organisation_id,
                    e.personal.full_name,
                    e.application_document.signed_on,
                )
            case Member.NewApplicationSubmitted():
                return (
                    self._digest(e.personal.iin),
                    MemberStatus.APPLICANT.value,
                    e.organisation_id,
                    e.personal.full_name,
                    e.application_document.signed_on,
                    e.originator_id,
                )
            case Member.ApplicationRejected():
                return (MemberStatus.REJECTED.value, e.originator_id)
            case Member.Admitted():
                return (
                    MemberStatus.MEMBER.value,
                    e.organisation_id,
                    e.card_number,
                    e.decision.decided_on,
                    e.originator_id,
                )
            case Member.Withdrew():
                return (
                    MemberStatus.FORMER_MEMBER.value,
                    e.effective_on,
                    WITHDRAWAL,
                    e.originator_id,
                )
            case Member.MembershipTerminated():
                return (
                    MemberStatus.FORMER_MEMBER.value,
                    e.decision.decided_on,
                    e.ground,
                    e.originator_id,
                )
            case Member.PersonalDataErased():
                return (e.originator_id,)
            case Organisation.Created():
                return (
                    e.originator_id,
                    e.kind,
                    e.parent_id,
                    _names(e.names),
                    e.code,
                    e.decision.decided_on,
                )
            case Organisation.Renamed():
                return (_names(e.names), e.originator_id)
            case Organisation.Moved():
                return (e.to_parent_id, e.originator_id)
            case Organisation.Dissolved():
                return (e.decision.decided_on, e.originator_id)
        raise TypeError(f"no index row for {type(e).__qualname__}")


def _names(names: Any) -> str:
    return json.dumps({"kk": names.kk, "ru": names.ru, "en": names.en}, ensure_ascii=False)
