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
from typing import Any, Protocol
from uuid import UUID

from partia_kit.postgres.statements import RowShape, Statement
from partia_registry.domain.discipline import SanctionKind
from partia_registry.domain.members import EXCLUSION, WITHDRAWAL, Member, MemberStatus
from partia_registry.domain.organisations import Organisation

MEMBER_INDEX = "registry_member_index"
ORGANISATION_INDEX = "registry_organisation_index"
SANCTION_INDEX = "registry_sanction_index"
CASE_INDEX = "registry_case_index"
IDEMPOTENCY = "registry_idempotency"
CARD_SERIAL = "registry_card_serial"


def iin_digest(pepper: bytes, iin: str) -> bytes:
    """A keyed hash of the IIN: finds the record without storing the number (HMAC-SHA256)."""
    return hmac.new(pepper, iin.encode("ascii"), hashlib.sha256).digest()


_MEMBER_KEY = ("member_id", "uuid")
_ORGANISATION_KEY = ("organisation_id", "uuid")
_SANCTION_KEY = ("sanction_id", "uuid")
_CASE_KEY = ("case_id", "uuid")
_APPLICATION_COLUMNS = (
    ("iin_digest", "bytea"),
    ("status", "text"),
    ("organisation_id", "uuid"),
    ("sealed_name", "bytea"),
    ("applied_on", "date"),
)
_SANCTION_COLUMNS = (
    ("member_id", "uuid"),
    ("organisation_id", "uuid"),
    ("kind", "text"),
    ("decided_on", "date"),
    ("appeal_deadline", "date"),
    ("status", "text"),
)


class Shapes:
    """Every row shape the indexes are written in."""

    APPLIED = RowShape(MEMBER_INDEX, _MEMBER_KEY, _APPLICATION_COLUMNS, insert=True)
    APPLIED_AGAIN = RowShape(
        MEMBER_INDEX,
        _MEMBER_KEY,
        _APPLICATION_COLUMNS,
        also_set="card_number = NULL, admitted_on = NULL, ended_on = NULL, end_reason = NULL,"
        " residence_deadline = NULL",
    )
    STATUS = RowShape(MEMBER_INDEX, _MEMBER_KEY, (("status", "text"),))
    ADMITTED = RowShape(
        MEMBER_INDEX,
        _MEMBER_KEY,
        (
            ("status", "text"),
            ("organisation_id", "uuid"),
            ("card_number", "text"),
            ("admitted_on", "date"),
        ),
    )
    ENDED = RowShape(
        MEMBER_INDEX,
        _MEMBER_KEY,
        (("status", "text"), ("ended_on", "date"), ("end_reason", "text")),
    )
    ERASED = RowShape(
        MEMBER_INDEX, _MEMBER_KEY, (("iin_digest", "bytea"), ("sealed_name", "bytea"))
    )
    RESIDENCE = RowShape(MEMBER_INDEX, _MEMBER_KEY, (("residence_deadline", "date"),))
    ROLL = RowShape(MEMBER_INDEX, _MEMBER_KEY, (("organisation_id", "uuid"),))
    TRANSFERRED = RowShape(
        MEMBER_INDEX, _MEMBER_KEY, (("organisation_id", "uuid"), ("residence_deadline", "date"))
    )
    ORGANISATION_CREATED = RowShape(
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
    )
    RENAMED = RowShape(ORGANISATION_INDEX, _ORGANISATION_KEY, (("names", "jsonb"),))
    MOVED = RowShape(ORGANISATION_INDEX, _ORGANISATION_KEY, (("parent_id", "uuid"),))
    DISSOLVED = RowShape(ORGANISATION_INDEX, _ORGANISATION_KEY, (("dissolved_on", "date"),))
    CASE_OPENED = RowShape(
        CASE_INDEX,
        _CASE_KEY,
        (
            ("member_id", "uuid"),
            ("organisation_id", "uuid"),
            ("opened_on", "date"),
            ("reference", "text"),
        ),
        insert=True,
    )
    CASE_CLOSED = RowShape(CASE_INDEX, _CASE_KEY, (("closed_on", "date"), ("outcome", "text")))
    CASES_MOOT = RowShape(  # every case still open when the member left
        CASE_INDEX,
        ("member_id", "uuid"),
        (("closed_on", "date"), ("outcome", "text")),
        only_where="t.closed_on IS NULL",
    )
    SANCTIONED = RowShape(SANCTION_INDEX, _SANCTION_KEY, _SANCTION_COLUMNS, insert=True)
    APPEAL_FILED = RowShape(
        SANCTION_INDEX,
        _SANCTION_KEY,
        (
            ("appeal_status", "text"),
            ("appeal_filed_on", "date"),
            ("appeal_body_kind", "text"),
            ("appeal_body_organisation_id", "uuid"),
        ),
    )
    APPEAL_DECIDED = RowShape(
        SANCTION_INDEX, _SANCTION_KEY, (("status", "text"), ("appeal_status", "text"))
    )

    @classmethod
    def all(cls) -> list[RowShape]:
        return [v for v in vars(cls).values() if isinstance(v, RowShape)]


Row = tuple[RowShape, tuple[Any, ...]]


class NameSealer(Protocol):
    def __call__(self, owner_id: UUID, name: str, *, new_owner: bool) -> bytes: ...


class IndexWriter:
    """Turns new events into index rows. Order matters per record, so statements keep event order;
    consecutive rows of one shape share a statement unless they touch the same record twice."""

    def __init__(self, schema: str, digest: Callable[[str], bytes], seal_name: NameSealer) -> None:
        self._digest = digest
        self._seal_name = seal_name
        self._sql = {shape: shape.sql(schema) for shape in Shapes.all()}

    def statements(self, events: Iterable[Any]) -> list[Statement]:
        merged: list[Statement] = []
        last_shape: RowShape | None = None
        keys_in_last: set[Any] = set()
        for event in events:
            for shape, row in self.rows(event):
                if merged and shape is last_shape and row[0] not in keys_in_last:
                    merged[-1].rows.append(row)
                else:
                    merged.append(Statement(self._sql[shape], [row]))
                    last_shape, keys_in_last = shape, set()
                keys_in_last.add(row[0])
        return merged

    def rows(self, e: Any) -> list[Row]:
        me = e.originator_id
        match e:
            case Member.ApplicationSubmitted() | Member.NewApplicationSubmitted():
                shape = (
                    Shapes.APPLIED
                    if isinstance(e, Member.ApplicationSubmitted)
                    else Shapes.APPLIED_AGAIN
                )
                return [
                    (
                        shape,
                        (
                            me,
                            self._digest(e.personal.iin),
                            MemberStatus.APPLICANT.value,
                            e.organisation_id,
                            self._seal_name(
                                me, e.personal.full_name, new_owner=e.originator_version == 1
                            ),
                            e.application_document.signed_on,
                        ),
                    )
                ]
            case Member.ApplicationRejected():
                return [(Shapes.STATUS, (me, MemberStatus.REJECTED.value))]
            case Member.Admitted():
                return [
                    (
                        Shapes.ADMITTED,
                        (
                            me,
                            MemberStatus.MEMBER.value,
                            e.organisation_id,
                            e.card_number,
                            e.decision.decided_on,
                        ),
                    )
                ]
            case Member.Withdrew():
                return [
                    (
                        Shapes.ENDED,
                        (me, MemberStatus.FORMER_MEMBER.value, e.effective_on, WITHDRAWAL),
                    ),
                    (Shapes.CASES_MOOT, (me, e.effective_on, "membership ended")),
                ]
            case Member.MembershipTerminated():
                return [
                    (
                        Shapes.ENDED,
                        (me, MemberStatus.FORMER_MEMBER.value, e.decision.decided_on, e.ground),
                    ),
                    (Shapes.CASES_MOOT, (me, e.decision.decided_on, "membership ended")),
                ]
            case Member.PersonalDataErased():
                return [(Shapes.ERASED, (me, None, None))]
            case Member.ResidenceChangeReported():
                return [(Shapes.RESIDENCE, (me, e.registration_deadline))]
            case Member.Transferred() if e.closes_residence_clock:
                return [(Shapes.TRANSFERRED, (me, e.to_organisation_id, None))]
            case Member.Transferred():  # for another reason: an open residence clock keeps running
                return [(Shapes.ROLL, (me, e.to_organisation_id))]
            case Member.DisciplinaryCaseOpened():
                return [
                    (
                        Shapes.CASE_OPENED,
                        (e.case_id, me, e.organisation_id, e.opened_on, e.reference),
                    )
                ]
            case Member.DisciplinaryCaseDismissed():
                return [(Shapes.CASE_CLOSED, (e.case_id, e.decision.decided_on, "dismissed"))]
            case Member.SanctionImposed():
                rows: list[Row] = [
                    (
                        Shapes.SANCTIONED,
                        (
                            e.sanction_id,
                            me,
                            e.organisation_id,
                            e.kind,
                            e.decision.decided_on,
                            e.appeal_deadline,
                            "in_force",
                        ),
                    )
                ]
                if e.case_id is not None:
                    rows.append((Shapes.CASE_CLOSED, (e.case_id, e.decision.decided_on, e.kind)))
                if e.kind == SanctionKind.EXPULSION:
                    rows.append(
                        (
                            Shapes.ENDED,
                            (
                                me,
                                MemberStatus.FORMER_MEMBER.value,
                                e.decision.decided_on,
                                EXCLUSION,
                            ),
                        )
                    )
                    rows.append(
                        (Shapes.CASES_MOOT, (me, e.decision.decided_on, "membership ended"))
                    )
                return rows
            case Member.AppealFiled():
                return [
                    (
                        Shapes.APPEAL_FILED,
                        (
                            e.sanction_id,
                            "pending",
                            e.filed_on,
                            e.body.kind.value,
                            e.body.organisation_id,
                        ),
                    )
                ]
            case Member.AppealDecided():
                status = {"upheld": "in_force", "annulled": "annulled", "replaced": "replaced"}
                return [(Shapes.APPEAL_DECIDED, (e.sanction_id, status[e.outcome], e.outcome))]
            case Member.MembershipRestored():
                return [(Shapes.ENDED, (me, MemberStatus.MEMBER.value, None, None))]
            case (
                Member.TransferRequested()
                | Member.MandateRecorded()
                | Member.MandateEnded()
                | Member.NationalMandateAtStake()
                | Member.PreferredLanguageChanged()
            ):
                return []
            case Organisation.Created():
                return [
                    (
                        Shapes.ORGANISATION_CREATED,
                        (me, e.kind, e.parent_id, _names(e.names), e.code, e.decision.decided_on),
                    )
                ]
            case Organisation.Renamed():
                return [(Shapes.RENAMED, (me, _names(e.names)))]
            case Organisation.Moved():
                return [(Shapes.MOVED, (me, e.to_parent_id))]
            case Organisation.Dissolved():
                return [(Shapes.DISSOLVED, (me, e.decision.decided_on))]
        raise TypeError(f"no index rows for {type(e).__qualname__}")


def _names(names: Any) -> str:
    return json.dumps({"kk": names.kk, "ru": names.ru, "en": names.en}, ensure_ascii=False)
