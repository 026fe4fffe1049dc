"""The finance service's store on PostgreSQL: units of work over its event store
(`partia_kit.postgres.unit_of_work`), with the donation and obligation indexes written in the
events' transaction, and the questions the handlers ask (the organisation tree, a donor's total)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from psycopg.sql import SQL
from psycopg_pool import ConnectionPool

from partia_finance.adapters.erasures import erased_on
from partia_finance.adapters.organisations import OrganisationTree
from partia_finance.adapters.postgres.dues import DuesTables
from partia_finance.adapters.postgres.event_store import FinanceEventStore
from partia_finance.domain.donations import Donation
from partia_finance.domain.dues import MemberSpells
from partia_finance.domain.dues_account import DuesAccount
from partia_finance.domain.funds import Purpose
from partia_finance.domain.obligations import ReturnObligation
from partia_kit.idempotency import IdempotencyKey, StoredOutcome
from partia_kit.postgres.idempotency import stored_outcomes, stored_outcomes_query
from partia_kit.postgres.statements import Statement, table
from partia_kit.postgres.unit_of_work import EventUnitOfWork
from partia_kit.rules import NotFound

IDEMPOTENCY = "finance_idempotency"
DONATION_INDEX = "finance_donation_index"
OBLIGATION_INDEX = "finance_obligation_index"
CAP_CLAIMS = "finance_cap_claims"  # made by migration f0007
DONOR_DIGEST_LABEL = b"partia/finance/donor-digest/v1"
FINGERPRINT_LABEL = b"partia/finance/request-fingerprint/v1"

_DONATION_COLUMNS = (
    ("donation_id", "uuid"),
    ("organisation_id", "uuid"),
    ("fund", "text"),
    ("donor_kind", "text"),
    ("donor_digest", "bytea"),
    ("amount_tiyn", "int8"),
    ("accepted_tiyn", "int8"),
    ("status", "text"),
    ("credited_on", "date"),
    ("decided_on", "date"),
    ("rule", "text"),
    ("flagged_on", "date"),
    ("clause", "text"),
    ("found_on", "date"),
    ("donor_name_sealed", "bytea"),
    ("donor_name", "text"),
)
_OBLIGATION_COLUMNS = (
    ("obligation_id", "uuid"),
    ("donation_id", "uuid"),
    ("organisation_id", "uuid"),
    ("fund", "text"),
    ("amount_tiyn", "int8"),
    ("cause", "text"),
    ("rule", "text"),
    ("clause", "text"),
    ("disposition", "text"),
    ("opened_on", "date"),
    ("deadline", "date"),
    ("settled_on", "date"),
    ("payment_reference", "text"),
    ("overdue_on", "date"),
)


def _upsert(schema: str, name: str, columns: tuple[tuple[str, str], ...]) -> SQL | Any:
    names = [column for column, _ in columns]
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
    updates = ", ".join(f"{column} = excluded.{column}" for column in names[1:])
    return SQL(
        "INSERT INTO {} ({}) SELECT * FROM unnest({}) ON CONFLICT ({}) DO UPDATE SET {}"
    ).format(table(schema, name), SQL(", ".join(names)), SQL(arrays), SQL(names[0]), SQL(updates))


class FinanceStore:
    def __init__(self, events: FinanceEventStore, pool: ConnectionPool[Any]) -> None:
        self.events = events
        self.schema = events.schema
        self.pool = pool
        self._digest_key = events.vault.derived_secret(DONOR_DIGEST_LABEL)
        self._fingerprint_key = events.vault.derived_secret(FINGERPRINT_LABEL)
        self.organisations = OrganisationTree(pool.connection, self.schema)
        self._upsert_donations = _upsert(self.schema, DONATION_INDEX, _DONATION_COLUMNS)
        self._upsert_obligations = _upsert(self.schema, OBLIGATION_INDEX, _OBLIGATION_COLUMNS)
        self.dues = DuesTables(self.schema)

    def digest(self, identification_number: str) -> bytes:
        """Keys a donor's totals across branches without keeping the IIN in the clear."""
        return hmac.new(self._digest_key, identification_number.encode(), hashlib.sha256).digest()

    def request_fingerprint(self, request: bytes) -> str:
        return hmac.new(self._fingerprint_key, request, hashlib.sha256).hexdigest()

    def unit_of_work(self) -> FinanceUnitOfWork:
        return FinanceUnitOfWork(self)

    def catch_up(self) -> bool:
        """Nothing is cached between batches: every unit of work reads the records afresh."""
        return False

    def stored_outcomes(
        self, keys: Sequence[IdempotencyKey]
    ) -> dict[tuple[str, str], StoredOutcome]:
        sql, params = stored_outcomes_query(self.schema, IDEMPOTENCY, keys)
        with self.pool.connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params)
            columns = [d.name for d in curs.description or ()]
            return stored_outcomes([dict(zip(columns, row, strict=True)) for row in curs])

    def index_statements(
        self, aggregates: Sequence[Any], rejected_by: dict[UUID, str], received: set[UUID]
    ) -> list[Statement]:
        """Rows for the records these events changed; `rejected_by`: donation -> the rule that
        refused it, from this batch's events; `received`: the donations new in this batch (their
        names are sealed with the key their events will be)."""
        donations = [
            self._donation_row(a, rejected_by.get(a.id), new=a.id in received)
            for a in aggregates
            if isinstance(a, Donation)
        ]
        obligations = [
            self._obligation_row(a) for a in aggregates if isinstance(a, ReturnObligation)
        ]
        found = []
        if donations:
            found.append(Statement(self._upsert_donations, donations))
        if obligations:
            found.append(Statement(self._upsert_obligations, obligations))
        found += self.dues.statements([a for a in aggregates if isinstance(a, DuesAccount)])
        return found

    def _donation_row(self, d: Donation, rule: str | None, *, new: bool) -> tuple[Any, ...]:
        number = d.identification_number
        personal = d.personal
        sealed = (
            None
            if personal is None
            else self.events.vault.seal_name(d.id, personal.full_name, new_owner=new)
        )
        return (
            d.id,
            d.organisation_id,
            d.purpose.key,
            d.donor.kind.value,
            None if number is None else self.digest(number),
            d.amount.tiyn,
            d.accepted_tiyn,
            d.status.value,
            d.credited_on,
            d.decided_on,
            d.rule or rule,
            d.flagged_undecided_on,
            d.clause,
            d.found_on,
            sealed,
            getattr(d.donor, "name", None),  # an organisation's or foreign entity's: not personal
        )

    @staticmethod
    def _obligation_row(o: ReturnObligation) -> tuple[Any, ...]:
        return (
            o.id,
            o.donation_id,
            o.organisation_id,
            o.purpose.key,
            o.amount.tiyn,
            o.cause.value,
            o.rule,
            o.clause,
            o.disposition.value,
            o.opened_on,
            o.deadline,
            o.settled_on,
            o.payment_reference,
            o.overdue_on,
        )


class FinanceUnitOfWork(EventUnitOfWork):
    def __init__(self, store: FinanceStore) -> None:
        super().__init__(store.events, IDEMPOTENCY)
        self._store = store
        self._erased: list[UUID] = []
        self._chains: dict[UUID, list[UUID] | None] = {}  # asked once per batch
        self._claims: dict[tuple[bytes, str, date], int] = {}  # capped total -> version read

    def prefetch(self, record_ids: Iterable[UUID]) -> None:
        """The chains of the organisations the batch's commands name, in one round trip."""
        self._load_chains([i for i in record_ids if i not in self._chains])

    def donation(self, donation_id: UUID) -> Donation:
        return self._get(donation_id, Donation, "donation")

    def obligation(self, obligation_id: UUID) -> ReturnObligation:
        return self._get(obligation_id, ReturnObligation, "obligation")

    def dues_account(self, member_id: UUID) -> DuesAccount:
        return self._get(member_id, DuesAccount, "dues account")

    def membership(self, member_id: UUID) -> MemberSpells:
        """The member's spells as finance knows them; NotFound for a person finance has never
        seen as a member."""
        with self._store.pool.connection() as conn:
            found = self._store.dues.spells(conn, [member_id]).get(member_id)
        if found is None:
            raise NotFound("member", member_id, field="member_id")
        return found

    def members_with_card(self, card_number: str) -> list[UUID]:
        with self._store.pool.connection() as conn:
            return self._store.dues.members_with_card(conn, card_number)

    def personal_data_erased(self, member_id: UUID) -> bool:
        with self._store.pool.connection() as conn:
            return erased_on(conn, self._store.schema, member_id) is not None

    def organisation_chain(self, organisation_id: UUID) -> list[UUID] | None:
        if organisation_id not in self._chains:
            self._load_chains([organisation_id])
        return self._chains[organisation_id]

    def _load_chains(self, organisation_ids: list[UUID]) -> None:
        """Ids that are not organisations (a donation named by its command) are remembered as
        unknown, which they are."""
        if not organisation_ids:
            return
        found = self._store.organisations.chains(organisation_ids)
        for organisation_id in organisation_ids:
            self._chains[organisation_id] = found.get(organisation_id)

    def accepted_total(
        self, identification_number: str, purpose: Purpose, period: tuple[date, date] | None
    ) -> int:
        """The donor's accepted total in the fund and period, with its version (decision 312):
        the commit claims the next version, so a second writer that read this same total fails
        its commit as a conflict and decides again on the total this one leaves."""
        digest = self._store.digest(identification_number)
        first, last = period or (date.min, date.max)
        sql = SQL(
            "SELECT coalesce((SELECT sum(accepted_tiyn) FROM {} WHERE donor_digest = %s"
            " AND fund = %s AND status = 'accepted' AND credited_on BETWEEN %s AND %s), 0),"
            " coalesce((SELECT max(version) FROM {} WHERE donor_digest = %s AND fund = %s"
            " AND period_start = %s), 0)"
        ).format(table(self._store.schema, DONATION_INDEX), table(self._store.schema, CAP_CLAIMS))
        with self._store.pool.connection() as conn:
            row = conn.execute(
                sql, (digest, purpose.key, first, last, digest, purpose.key, first)
            ).fetchone()
        total, version = (int(row[0]), int(row[1])) if row else (0, 0)
        self._claims.setdefault((digest, purpose.key, first), version)  # the first read counts
        pending = sum(
            a.accepted_tiyn
            for a in self._aggregates.values()
            if isinstance(a, Donation)
            and a.is_decided
            and a.purpose == purpose
            and a.pending_events
            and a.identification_number == identification_number
        )
        return total + pending

    def _claimed(self) -> list[Statement]:
        """The next version of every capped total read, in key order so that two writers
        claiming several take their locks in the same order and cannot deadlock."""
        if not self._claims:
            return []
        rows = sorted((*key, version + 1) for key, version in self._claims.items())
        sql = SQL(
            "INSERT INTO {} (donor_digest, fund, period_start, version)"
            " SELECT * FROM unnest(%b::bytea[], %b::text[], %b::date[], %b::int8[])"
        ).format(table(self._store.schema, CAP_CLAIMS))
        return [Statement(sql, rows)]

    def _alongside(self, events: Sequence[Any]) -> list[Statement]:
        changed = {e.originator_id for e in events}
        self._erased = [
            e.originator_id for e in events if isinstance(e, Donation.PersonalDataErased)
        ]
        destroyed = [self._store.events.vault.destroy(owner) for owner in self._erased]
        rejected_by = {e.originator_id: e.rule for e in events if isinstance(e, Donation.Rejected)}
        received = {e.originator_id for e in events if isinstance(e, Donation.Received)}
        indexed = self._store.index_statements(
            [a for a in self._aggregates.values() if a.id in changed], rejected_by, received
        )
        return [*self._claimed(), *destroyed, *indexed]

    def _committed(self, aggregates: list[Any], positions: list[int]) -> None:
        for owner in self._erased:  # the donation's key is gone: so is its copy in memory
            self._store.events.vault.forget(owner)
