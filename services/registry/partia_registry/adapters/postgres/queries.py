"""Reads: a member's state and history, organisations and their direct members."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL

from partia_kit.auth import Scope
from partia_kit.postgres.statements import table
from partia_registry.adapters.postgres.indexes import (
    CASE_INDEX,
    MEMBER_INDEX,
    ORGANISATION_INDEX,
    SANCTION_INDEX,
)
from partia_registry.adapters.postgres.store import PostgresStore
from partia_registry.application.names import with_names
from partia_registry.domain.dates import effective_on
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import Organisation
from partia_registry.domain.rules import NotFound

_BOOKKEEPING = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "recorded_by",
}


class RegistryQueries:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._events = store.events
        schema = store.schema
        self._members = table(schema, MEMBER_INDEX)
        self._organisations = table(schema, ORGANISATION_INDEX)
        self._log = table(schema, self._events.recorder.events_table_name)  # type: ignore[attr-defined]
        self._facts_only = self._events.vault_mapper().without_personal_data()

    # --- members --------------------------------------------------------------------------------

    def member(self, member_id: UUID, today: date | None = None) -> dict[str, Any]:
        today = today or date.today()
        member = self._get(member_id, Member, "member")
        personal = member.personal
        return {
            "member_id": member.id,
            "status": member.status.value,
            "organisation_id": member.organisation_id,
            "card_number": member.card_number,
            "applied_on": member.applied_on,
            "admitted_on": member.admitted_on,
            "ended_on": member.ended_on,
            "end_reason": member.end_reason,
            "person": None if personal is None else _plain(personal),
            "personal_data_erased": member.erased,
            "sex": member.demographics.sex,
            "birth_year": member.demographics.birth_year,
            "version": member.version,
            **self._member_discipline(member, today),
        }

    def member_with_iin(self, iin: str) -> dict[str, Any] | None:
        """The record holding this IIN (`member_id`, `status`), found by the IIN's keyed digest
        (the number itself is stored nowhere); None for nobody, and for a person whose personal
        data was erased (their digest went with it)."""
        rows = self._store.query(
            SQL("SELECT member_id, status FROM {} WHERE iin_digest = %s").format(self._members),
            (self._store.digest(iin),),
        )
        return rows[0] if len(rows) == 1 else None

    @staticmethod
    def _member_discipline(member: Member, today: date) -> dict[str, Any]:
        """Transfers, mandates, cases and sanctions as they stand, each sanction with its appeal
        deadline (Ch. 5.1) and the residence clock with whether it has run out (Ch. 3.6)."""
        clock = None
        if member.residence_deadline is not None:
            clock = {
                "moved_on": member.moved_on,
                "registration_deadline": member.residence_deadline,
                "overdue": member.residence_overdue_on(today),
            }
        return {
            "residence_change": clock,
            "pending_transfer": _plain(member.pending_transfer),
            "mandates": [_plain(m) for m in member.mandates.values()],
            "disciplinary_cases": [_plain(c) for c in member.cases.values()],
            "sanctions": [
                {**_plain(s), "grounds": list(s.grounds)} for s in member.sanctions.values()
            ],
        }

    def member_history(self, member_id: UUID) -> list[dict[str, Any]]:
        rows = self._store.query(
            SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id FROM {} "
                "WHERE originator_id = %s ORDER BY originator_version"
            ).format(self._log),
            (member_id,),
        )
        if not rows:
            raise NotFound("member", member_id)
        history = []
        for row in rows:
            event = self._events.mapper.to_domain_event(
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
            )
            if not type(event).__qualname__.startswith("Member."):
                raise NotFound("member", member_id)
            history.append(_history_entry(event, row["notification_id"]))
        return history

    # --- organisations --------------------------------------------------------------------------

    def organisation(self, organisation_id: UUID) -> dict[str, Any]:
        rows = self._store.query(
            SQL(
                "SELECT o.*, (SELECT count(*) FROM {} m WHERE m.organisation_id = o.organisation_id"
                " AND m.status = 'member') AS member_count FROM {} o WHERE organisation_id = %s"
            ).format(self._members, self._organisations),
            (organisation_id,),
        )
        if not rows:
            raise NotFound("organisation", organisation_id)
        return _organisation_row(rows[0])

    def require_organisation(self, organisation_id: UUID) -> None:
        """NotFound unless the organisation exists (cheaper than its view: no member count)."""
        rows = self._store.query(
            SQL("SELECT 1 AS found FROM {} WHERE organisation_id = %s").format(self._organisations),
            (organisation_id,),
        )
        if not rows:
            raise NotFound("organisation", organisation_id)

    def organisations(
        self,
        *,
        kind: str | None,
        parent_id: UUID | None,
        limit: int,
        offset: int,
        within: frozenset[UUID] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """`within`: only the subtrees of these organisations (a scoped clerk's); None: all."""
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if within is not None:
            where.append(
                "organisation_id IN (WITH RECURSIVE down AS (SELECT organisation_id FROM {orgs}"
                " WHERE organisation_id = ANY(%s) UNION SELECT o.organisation_id FROM {orgs} o"
                " JOIN down d ON o.parent_id = d.organisation_id) SELECT organisation_id FROM down)"
            )
            params.append(list(within))
        if kind is not None:
            where.append("kind = %s")
            params.append(kind)
        if parent_id is not None:
            where.append("parent_id = %s")
            params.append(parent_id)
        condition = SQL(" AND ".join(where)).format(orgs=self._organisations)
        total = self._store.count(
            SQL("SELECT count(*) FROM {} WHERE {}").format(self._organisations, condition), params
        )
        rows = self._store.query(
            SQL(
                "SELECT *, NULL AS member_count FROM {} WHERE {} ORDER BY kind, names->>'en', "
                "organisation_id LIMIT %s OFFSET %s"
            ).format(self._organisations, condition),
            [*params, limit, offset],
        )
        return [_organisation_row(r) for r in rows], total

    def organisation_members(
        self, organisation_id: UUID, *, status: str, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        self.organisation(organisation_id)  # 404 for an unknown organisation
        total = self._store.count(
            SQL("SELECT count(*) FROM {} WHERE organisation_id = %s AND status = %s").format(
                self._members
            ),
            (organisation_id, status),
        )
        rows = self._store.query(
            SQL(
                "SELECT member_id, status, card_number, sealed_name, applied_on, admitted_on,"
                " ended_on, end_reason FROM {} WHERE organisation_id = %s AND status = %s"
                " ORDER BY card_number NULLS LAST, member_id LIMIT %s OFFSET %s"
            ).format(self._members),
            (organisation_id, status, limit, offset),
        )
        return self._with_names(rows), total

    def _with_names(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return with_names(
            rows,
            lambda rs: self._events.vault.open_names(
                [(r["member_id"], r["sealed_name"]) for r in rs]
            ),
        )

    # --- scope: which part of the party a clerk may see (decision 165) -------------------------

    def in_scope(self, scope: Scope, what: str, named: UUID) -> bool:
        """Whether a member's current organisation (`what` "member_id") or an organisation
        ("organisation_id") lies in `scope`, read from the write-side indexes up the tree in one
        round trip. An unknown one counts as in scope: the read itself answers 404 for it."""
        assert scope.organisations is not None
        start = (
            SQL("SELECT organisation_id FROM {} WHERE member_id = %(named)s").format(self._members)
            if what == "member_id"
            else SQL("SELECT %(named)s::uuid AS organisation_id")
        )
        rows = self._store.query(
            SQL(
                "WITH RECURSIVE start AS ({start}), up AS ("
                " SELECT o.organisation_id, o.parent_id FROM {orgs} o JOIN start USING (organisation_id)"
                " UNION ALL SELECT o.organisation_id, o.parent_id FROM {orgs} o"
                " JOIN up ON o.organisation_id = up.parent_id)"
                " SELECT NOT EXISTS (SELECT 1 FROM up)"
                " OR EXISTS (SELECT 1 FROM up WHERE organisation_id = ANY(%(scope)s)) AS covered"
            ).format(start=start, orgs=self._organisations),
            {"named": named, "scope": list(scope.organisations)},
        )
        return bool(rows[0]["covered"])

    # --- the log, for services and auditors --------------------------------------------------

    def log_page(self, after: int, limit: int) -> list[tuple[Any, int]]:
        """Stored events after a position, in log order, decoded with personal data left sealed
        (so an erased person's data is unreadable here by construction)."""
        rows = self._store.query(
            SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id FROM {}"
                " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
            ).format(self._log),
            (after, limit),
        )
        return [
            (
                self._facts_only.to_domain_event(
                    StoredEvent(
                        r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
                    )
                ),
                r["notification_id"],
            )
            for r in rows
        ]

    # --- per organisation: what its chair answers for (Ch. 4.4) -------------------------------

    def overdue_residence(
        self,
        organisation_id: UUID,
        on: date,
        *,
        subtree: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Members whose six months to register a change of residence ran out before `on`: a ground
        for exclusion (Ch. 3.6), listed for a decision, never acted on automatically. With
        `subtree`, those of every organisation below it too (a branch's view of its PPOs)."""
        self.organisation(organisation_id)
        below = SQL(
            " UNION SELECT o.organisation_id FROM {} o JOIN units u ON o.parent_id = u.organisation_id"
            if subtree
            else ""
        ).format(self._organisations)
        return self._with_names(
            self._store.query(
                SQL(
                    "WITH RECURSIVE units AS (SELECT %s::uuid AS organisation_id{})"
                    " SELECT member_id, organisation_id, card_number, sealed_name,"
                    " residence_deadline AS registration_deadline"
                    " FROM {} JOIN units USING (organisation_id) WHERE status = 'member'"
                    " AND residence_deadline < %s ORDER BY residence_deadline, member_id"
                    " LIMIT %s OFFSET %s"
                ).format(below, self._members),
                (organisation_id, on, limit, offset),
            )
        )

    def disciplinary_cases(
        self, organisation_id: UUID, *, open_only: bool, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        self.organisation(organisation_id)
        condition = SQL(" AND closed_on IS NULL" if open_only else "")
        return self._store.query(
            SQL(
                "SELECT case_id, member_id, opened_on, reference, closed_on, outcome FROM {}"
                " WHERE organisation_id = %s{} ORDER BY opened_on, case_id LIMIT %s OFFSET %s"
            ).format(table(self._store.schema, CASE_INDEX), condition),
            (organisation_id, limit, offset),
        )

    def sanctions(
        self,
        organisation_id: UUID,
        *,
        pending_appeals_only: bool,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        self.organisation(organisation_id)
        condition = SQL(" AND appeal_status = 'pending'" if pending_appeals_only else "")
        return self._store.query(
            SQL(
                "SELECT sanction_id, member_id, kind, decided_on, appeal_deadline, status,"
                " appeal_status, appeal_filed_on, appeal_body_kind, appeal_body_organisation_id"
                " FROM {} WHERE organisation_id = %s{} ORDER BY decided_on, sanction_id"
                " LIMIT %s OFFSET %s"
            ).format(table(self._store.schema, SANCTION_INDEX), condition),
            (organisation_id, limit, offset),
        )

    def _get(self, aggregate_id: UUID, cls: type[Any], what: str) -> Any:
        try:
            aggregate: Any = self._events.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(what, aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(what, aggregate_id)
        return aggregate


def _organisation_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "organisation_id": row["organisation_id"],
        "kind": row["kind"],
        "parent_id": row["parent_id"],
        "names": row["names"],
        "code": row["code"],
        "founded_on": row["founded_on"],
        "dissolved_on": row["dissolved_on"],
        "member_count": row["member_count"],
    }


def _history_entry(event: Any, position: int) -> dict[str, Any]:
    details = {k: _plain(v) for k, v in vars(event).items() if k not in _BOOKKEEPING}
    if "personal" in details and details["personal"] is None:
        details["personal"] = "erased"
    return {
        "event": type(event).__qualname__.split(".", 1)[1],
        "version": event.originator_version,
        "position": position,
        "effective_on": effective_on(event),
        "recorded_at": event.timestamp,
        "recorded_by": event.recorded_by,
        "details": details,
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


__all__ = ["Organisation", "RegistryQueries"]
