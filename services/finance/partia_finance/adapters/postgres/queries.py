"""What the finance API reads: the donation and obligation indexes kept with the events, within
the reader's scope, and one donation's history from its events (personal data opened)."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed

from partia_finance.adapters.organisations import TABLE as ORGANISATIONS
from partia_finance.adapters.postgres.store import DONATION_INDEX, OBLIGATION_INDEX, FinanceStore
from partia_finance.domain.donations import Donation
from partia_finance.domain.donors import PersonDonor
from partia_kit.auth import Scope
from partia_kit.postgres.statements import table
from partia_kit.rules import NotFound

RECEIPT_TOTALS = "finance_receipt_totals"
"""Receipts pre-summed per month, organisation, fund and donor kind (migration f0004)."""

_STILL_ACCEPTED = "decided_on <= %s AND (found_on IS NULL OR found_on > %s)"
"""Accepted by a date and not found impermissible by then (two parameters: that date, twice)."""


@dataclass(frozen=True, slots=True)
class DonorName:
    name: str | None
    personal_from: UUID | None
    """The donation whose sealed personal data gave the name (None: an organisation's name)."""


class FinanceQueries:
    def __init__(self, store: FinanceStore) -> None:
        self._store = store
        schema = store.schema
        self._subtree = SQL(
            "WITH RECURSIVE down(id) AS (SELECT unnest(%s::uuid[])"
            " UNION SELECT o.organisation_id FROM {t} o JOIN down ON o.parent_id = down.id)"
            " SELECT id FROM down"
        ).format(t=table(schema, ORGANISATIONS))
        self._donations = table(schema, DONATION_INDEX)
        self._obligations = table(schema, OBLIGATION_INDEX)
        self._totals = table(schema, RECEIPT_TOTALS)

    def in_scope(self, scope: Scope, organisation_id: UUID) -> bool:
        chain = self._store.organisations.chain(organisation_id)
        return chain is not None and scope.covers(chain)

    def donations(
        self,
        scope: Scope,
        *,
        first: date | None,
        last: date | None,
        organisation_id: UUID | None,
        decision: str | None,
    ) -> list[dict[str, Any]]:
        conditions, params = self._scoped(scope)
        for clause, value in (
            ("credited_on >= %s", first),
            ("credited_on <= %s", last),
            ("organisation_id = %s", organisation_id),
            ("status = %s", decision),
        ):
            if value is not None:
                conditions.append(SQL(clause))
                params.append(value)
        sql = SQL(
            "SELECT donation_id, organisation_id, fund, donor_kind, amount_tiyn, accepted_tiyn,"
            " status, credited_on, decided_on, rule FROM {} WHERE {}"
            " ORDER BY credited_on, donation_id LIMIT 10000"
        ).format(self._donations, SQL(" AND ").join(conditions))
        return self._rows(sql, params)

    def obligations(self, scope: Scope, *, as_of: date, status: str | None) -> list[dict[str, Any]]:
        conditions, params = self._scoped(scope)
        sql = SQL(
            "SELECT *, CASE WHEN settled_on IS NOT NULL AND settled_on <= %s THEN 'settled'"
            " WHEN deadline < %s THEN 'overdue' ELSE 'open' END AS status FROM {}"
            " WHERE opened_on <= %s AND {} ORDER BY deadline, obligation_id"
        ).format(self._obligations, SQL(" AND ").join(conditions))
        rows = self._rows(sql, [as_of, as_of, as_of, *params])
        return [r for r in rows if status is None or r["status"] == status]

    def donation(self, scope: Scope, donation_id: UUID) -> dict[str, Any]:
        """The donation and its history, or NotFound (also for one outside the scope)."""
        events = list(self._store.events.events.get(donation_id))
        if not events or not isinstance(events[0], Donation.Received):
            raise NotFound("donation", donation_id)
        received = events[0]
        if not self.in_scope(scope, received.organisation_id):
            raise NotFound("donation", donation_id)
        donation: Donation = self._store.events.repository.get(donation_id)
        return {
            "donation_id": donation_id,
            "status": donation.status.value,
            "amount_tiyn": received.amount.tiyn,
            "currency": received.amount.currency,
            "credited_on": received.credited_on,
            "bank_document": received.bank_document,
            "organisation_id": received.organisation_id,
            "purpose": {"kind": received.purpose.kind.value, "election": received.purpose.election},
            "donor": _donor(donation),
            "evidence": [asdict(d) for d in donation.evidence.documents],
            "history": [h for h in map(_history_entry, events[1:]) if h is not None],
            "recorded_by": received.recorded_by,
            "recorded_at": received.timestamp,
        }

    def annual_statement(self, scope: Scope, year: int, as_of: date) -> list[dict[str, Any]]:
        """Receipts of `year` by fund and source (donor kind), as decided on or before `as_of`:
        accepted amounts, and what was refused (Ch. 12.10: the statement is published). Read
        from the pre-summed totals less what was decided after `as_of` (decision 245): the
        figures of `annual_statement_scanned`, row for row."""
        receipts, params = self._receipts_as_of(
            scope, date(year, 1, 1), date(year, 12, 31), as_of, ("fund", "donor_kind")
        )
        sql = SQL(
            "SELECT fund, donor_kind, sum(accepted)::bigint AS accepted,"
            " sum(accepted_tiyn)::bigint AS accepted_tiyn, sum(rejected)::bigint AS rejected,"
            " sum(rejected_tiyn)::bigint AS rejected_tiyn FROM ({}) r GROUP BY fund, donor_kind"
            " HAVING sum(decided) > 0 ORDER BY fund, donor_kind"
        ).format(receipts)
        return self._rows(sql, params)

    def annual_statement_scanned(
        self, scope: Scope, year: int, as_of: date
    ) -> list[dict[str, Any]]:
        """The annual statement summed from every donation of the year: what the totals must
        equal (the tests hold them to it)."""
        conditions, params = self._scoped(scope)
        sql = SQL(
            "SELECT fund, donor_kind,"
            " count(*) FILTER (WHERE accepted_tiyn > 0 AND " + _STILL_ACCEPTED + ") AS accepted,"
            " coalesce(sum(accepted_tiyn) FILTER (WHERE " + _STILL_ACCEPTED + "), 0)::bigint"
            " AS accepted_tiyn,"
            " count(*) FILTER (WHERE status = 'rejected') AS rejected,"
            " coalesce(sum(amount_tiyn) FILTER (WHERE status = 'rejected'), 0)::bigint"
            " AS rejected_tiyn"
            " FROM {} WHERE credited_on BETWEEN %s AND %s AND decided_on <= %s AND {}"
            " GROUP BY fund, donor_kind ORDER BY fund, donor_kind"
        ).format(self._donations, SQL(" AND ").join(conditions))
        first, last = date(year, 1, 1), date(year, 12, 31)
        return self._rows(sql, [as_of, as_of, as_of, as_of, first, last, as_of, *params])

    def _receipts_as_of(
        self, scope: Scope, first: date, last: date, as_of: date, keys: tuple[str, ...]
    ) -> tuple[Composed, list[Any]]:
        """Rows of (keys..., decided, accepted, accepted_tiyn, rejected, rejected_tiyn) whose
        sums per key are the receipts credited in [first, last] (whole months) as of `as_of`:
        the totals as of the end of time (kept by triggers, migration f0004) plus, for each
        donation decided or found impermissible after `as_of`, its share then less its share
        now. Only those donations are read: none for a year whose decisions are all in."""
        conditions, params = self._scoped(scope)
        scoped = SQL(" AND ").join(conditions)
        still = "decided_on <= p.d AND (found_on IS NULL OR found_on > p.d)"
        from_index = {
            "credited_month": "date_trunc('month', credited_on::timestamp)::date",
        }
        sql = SQL(
            "SELECT {keys}, decided, accepted, accepted_tiyn, rejected, rejected_tiyn FROM {totals}"
            " WHERE credited_month BETWEEN %s AND %s AND {scoped}"
            " UNION ALL SELECT {index_keys}, (decided_on <= p.d)::int - 1,"
            f" (accepted_tiyn > 0 AND {still})::int - (accepted_tiyn > 0 AND found_on IS NULL)::int,"
            f" CASE WHEN {still} THEN accepted_tiyn ELSE 0 END"
            " - CASE WHEN found_on IS NULL THEN accepted_tiyn ELSE 0 END,"
            " (status = 'rejected' AND decided_on <= p.d)::int - (status = 'rejected')::int,"
            " CASE WHEN status = 'rejected' AND decided_on <= p.d THEN amount_tiyn ELSE 0 END"
            " - CASE WHEN status = 'rejected' THEN amount_tiyn ELSE 0 END"
            " FROM {donations}, (SELECT %s::date AS d) p"
            " WHERE credited_on BETWEEN %s AND %s AND (decided_on > p.d OR found_on > p.d)"
            " AND {scoped}"
        ).format(
            keys=SQL(", ").join(SQL(k) for k in keys),
            index_keys=SQL(", ").join(SQL(f"{from_index.get(k, k)} AS {k}") for k in keys),
            totals=self._totals,
            donations=self._donations,
            scoped=scoped,
        )
        return sql, [first, last, *params, as_of, first, last, *params]

    def monthly_receipts(
        self, scope: Scope, first: date, last: date, as_of: date
    ) -> list[dict[str, Any]]:
        """Ch. 12.4: accepted receipts per regional branch (a local branch's count for its
        region; the central office's under none), month and fund, credited in [first, last] and
        accepted on or before `as_of` (not yet found impermissible by then). Whole months are
        read from the pre-summed totals (decision 245); a period cut mid-month from every
        donation in it."""
        if first.day != 1 or last.day != monthrange(last.year, last.month)[1]:
            return self.monthly_receipts_scanned(scope, first, last, as_of)
        receipts, params = self._receipts_as_of(
            scope, first, last, as_of, ("organisation_id", "credited_month", "fund")
        )
        monthly = SQL(
            "SELECT organisation_id, credited_month AS month, fund, sum(accepted) AS accepted,"
            " sum(accepted_tiyn) AS accepted_tiyn FROM ({}) r GROUP BY 1, 2, 3"
            " HAVING sum(accepted) > 0"
        ).format(receipts)
        return self._rows(self._per_region(monthly), params)

    def monthly_receipts_scanned(
        self, scope: Scope, first: date, last: date, as_of: date
    ) -> list[dict[str, Any]]:
        """The monthly receipts summed from every donation of the period (any two dates)."""
        conditions, params = self._scoped(scope)
        monthly = SQL(
            "SELECT organisation_id,"
            " date_trunc('month', credited_on::timestamp)::date AS month, fund,"
            " count(*) AS accepted, sum(accepted_tiyn) AS accepted_tiyn FROM {donations}"
            " WHERE credited_on BETWEEN %s AND %s AND accepted_tiyn > 0 AND "
            + _STILL_ACCEPTED
            + " AND {scoped} GROUP BY 1, 2, 3"
        ).format(donations=self._donations, scoped=SQL(" AND ").join(conditions))
        return self._rows(self._per_region(monthly), [first, last, as_of, as_of, *params])

    def _per_region(self, monthly: Composed) -> Composed:
        """`monthly` (per organisation, month and fund; summed first: a few thousand rows)
        summed per regional branch."""
        return SQL(
            "WITH RECURSIVE up(organisation_id, at_id, at_kind) AS ("
            " SELECT organisation_id, organisation_id, kind FROM {orgs}"
            " UNION ALL SELECT up.organisation_id, p.organisation_id, p.kind FROM up"
            " JOIN {orgs} o ON o.organisation_id = up.at_id"
            " JOIN {orgs} p ON p.organisation_id = o.parent_id"
            " WHERE up.at_kind <> 'regional_branch'),"
            " region AS (SELECT organisation_id, at_id AS regional_branch_id FROM up"
            " WHERE at_kind = 'regional_branch'),"
            " monthly AS ({monthly})"
            " SELECT r.regional_branch_id, m.month, m.fund, sum(m.accepted)::bigint AS accepted,"
            " sum(m.accepted_tiyn)::bigint AS accepted_tiyn"
            " FROM monthly m LEFT JOIN region r USING (organisation_id)"
            " GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 2, 3"
        ).format(orgs=table(self._store.schema, ORGANISATIONS), monthly=monthly)

    def donor_totals(
        self,
        scope: Scope,
        year: int,
        as_of: date,
        *,
        fund: str | None,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        """Per identified donor (the digest of the IIN or BIN) and fund, for the donors who gave
        in `year`: what they gave and what was accepted as of `as_of`, in the year and over the
        fund's life (a cap counts one or the other, `application.reports`)."""
        conditions, params = self._scoped(scope)
        if fund is not None:
            conditions.append(SQL("fund = %s"))
            params.append(fund)
        first, last = date(year, 1, 1), date(year, 12, 31)
        in_year = "credited_on BETWEEN %s AND %s"
        accepted = _STILL_ACCEPTED
        sql = SQL(
            "SELECT fund, donor_digest, min(donor_kind) AS donor_kind,"
            f" count(*) FILTER (WHERE {in_year}) AS donations,"
            f" coalesce(sum(amount_tiyn) FILTER (WHERE {in_year}), 0)::bigint AS received_tiyn,"
            f" coalesce(sum(accepted_tiyn) FILTER (WHERE {in_year} AND {accepted}), 0)::bigint"
            " AS year_accepted_tiyn,"
            f" coalesce(sum(accepted_tiyn) FILTER (WHERE {accepted}), 0)::bigint"
            " AS life_accepted_tiyn,"
            f" coalesce(sum(amount_tiyn - accepted_tiyn) FILTER (WHERE {in_year} AND {accepted}),"
            " 0)::bigint AS returned_excess_tiyn"
            " FROM {} WHERE donor_digest IS NOT NULL AND credited_on <= %s AND {}"
            f" GROUP BY fund, donor_digest HAVING bool_or({in_year})"
            " ORDER BY fund, donor_digest LIMIT %s OFFSET %s"
        ).format(self._donations, SQL(" AND ").join(conditions))
        values = [
            first, last,
            first, last,
            first, last, as_of, as_of,
            as_of, as_of,
            first, last, as_of, as_of,
            last,
            *params,
            first, last,
            limit, offset,
        ]  # fmt: skip
        return self._rows(sql, values)

    def donor_names(self, scope: Scope, digests: list[bytes]) -> dict[bytes, DonorName]:
        """For each donor digest, the name on the newest donation in the reader's scope that
        still has one: a person's opened from its seal (None if its key is gone), with the
        donation it came from (for the access log); an organisation's as recorded."""
        if not digests:
            return {}
        conditions, params = self._scoped(scope)
        sql = SQL(
            "SELECT DISTINCT ON (donor_digest) donor_digest, donation_id, donor_name_sealed,"
            " donor_name FROM {} WHERE donor_digest = ANY(%s)"
            " AND (donor_name_sealed IS NOT NULL OR donor_name IS NOT NULL) AND {}"
            " ORDER BY donor_digest, credited_on DESC, donation_id DESC"
        ).format(self._donations, SQL(" AND ").join(conditions))
        rows = self._rows(sql, [digests, *params])
        opened = self._store.events.vault.open_names(
            [(r["donation_id"], r["donor_name_sealed"]) for r in rows]
        )
        return {
            bytes(r["donor_digest"]): DonorName(
                r["donor_name"] if r["donor_name_sealed"] is None else name,
                r["donation_id"] if r["donor_name_sealed"] is not None and name else None,
            )
            for r, name in zip(rows, opened, strict=True)
        }

    def refused_donations(
        self, scope: Scope, first: date, last: date, as_of: date, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Donations credited in [first, last] refused on or before `as_of`, or accepted and found
        impermissible by then, with the rule and clause (Law Art. 18(2))."""
        conditions, params = self._scoped(scope)
        sql = SQL(
            "SELECT donation_id, organisation_id, fund, donor_kind, amount_tiyn, credited_on,"
            " CASE WHEN status = 'rejected' THEN 'rejected' ELSE 'found_impermissible' END"
            " AS decision, CASE WHEN status = 'rejected' THEN decided_on ELSE found_on END"
            " AS decided_on, CASE WHEN status = 'rejected' THEN amount_tiyn ELSE accepted_tiyn"
            " END AS returned_tiyn, rule, clause FROM {}"
            " WHERE status IN ('rejected', 'found_impermissible') AND credited_on BETWEEN %s AND %s"
            " AND ((status = 'rejected' AND decided_on <= %s) OR found_on <= %s) AND {}"
            " ORDER BY credited_on, donation_id LIMIT %s OFFSET %s"
        ).format(self._donations, SQL(" AND ").join(conditions))
        return self._rows(sql, [first, last, as_of, as_of, *params, limit, offset])

    def late_obligations(self, on: date) -> list[UUID]:
        sql = SQL(
            "SELECT obligation_id FROM {} WHERE settled_on IS NULL AND overdue_on IS NULL"
            " AND deadline < %s ORDER BY deadline"
        ).format(self._obligations)
        return [row["obligation_id"] for row in self._rows(sql, [on])]

    def undecided_donations(self) -> list[UUID]:
        sql = SQL(
            "SELECT donation_id FROM {} WHERE status IN ('received', 'held')"
            " AND flagged_on IS NULL ORDER BY credited_on"
        ).format(self._donations)
        return [row["donation_id"] for row in self._rows(sql, [])]

    def _scoped(self, scope: Scope) -> tuple[list[Composed | SQL], list[Any]]:
        if scope.organisations is None:
            return [SQL("true")], []
        return [SQL("organisation_id IN ({})").format(self._subtree)], [list(scope.organisations)]

    def _rows(self, sql: Composed, params: list[Any]) -> list[dict[str, Any]]:
        with self._store.pool.connection() as conn, conn.cursor(row_factory=dict_row) as curs:
            # never a generic plan: how much of the index a date selects decides the plan
            curs.execute(sql, params, prepare=False)
            return list(curs.fetchall())


def _donor(donation: Donation) -> dict[str, Any]:
    donor = donation.donor
    found: dict[str, Any] = {"kind": donor.kind.value}
    found.update({k: v for k, v in asdict(donor).items() if k != "declarations"})
    declarations = getattr(donor, "declarations", None)
    if declarations is not None:
        found.update(asdict(declarations))
    if isinstance(donor, PersonDonor):
        personal = donation.personal
        found["personal_data_erased"] = personal is None
        if personal is not None:
            found.update(asdict(personal))
    return found


def _history_entry(event: Any) -> dict[str, Any] | None:
    kinds = {
        Donation.Held: "held",
        Donation.Accepted: "accepted",
        Donation.Rejected: "rejected",
        Donation.FoundImpermissible: "found_impermissible",
        Donation.EvidenceAdded: "evidence_added",
    }
    kind = kinds.get(type(event))
    if kind is None:
        return None
    on = getattr(event, "decided_on", None) or getattr(event, "found_on", None)
    return {
        "kind": kind,
        "on": on or event.added_on,
        "rule_set": getattr(event, "rule_set", None),
        "rule": getattr(event, "rule", None),
        "clause": getattr(event, "clause", None),
        "checks": [asdict(c) for c in getattr(event, "checks", ())],
        "accepted_tiyn": getattr(event, "accepted_tiyn", None),
        "excess_tiyn": getattr(event, "excess_tiyn", None),
        "obligation_id": getattr(event, "obligation_id", None),
        "recorded_by": event.recorded_by,
        "recorded_at": event.timestamp,
    }
