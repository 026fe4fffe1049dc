"""What the dues API and the clock read: one member's spells, categories and payments from the
dues tables, turned into a statement of account or arrears by the pure domain
(`partia_finance.domain.dues`), so every figure here is the one decision 216 defines."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from psycopg.sql import SQL

from partia_finance.adapters.erasures import erased_on
from partia_finance.adapters.postgres.dues import CATEGORIES, PAYMENTS
from partia_finance.adapters.postgres.dues_reports import DuesReports
from partia_finance.adapters.postgres.store import FinanceStore
from partia_finance.domain.dues import (
    Arrears,
    CategorySpell,
    DuesPayment,
    MemberSpells,
    StatementOfAccount,
    arrears_on,
    statement_of_account,
)
from partia_finance.domain.mci import MciTable
from partia_finance.domain.policies.dues import RateClass
from partia_kit.auth import Scope
from partia_kit.postgres.statements import table
from partia_kit.rules import NotFound


class DuesQueries:
    def __init__(self, store: FinanceStore, mci: MciTable) -> None:
        self._store = store
        self._mci = mci
        schema = store.schema
        self._categories = SQL(
            "SELECT member_id, effective_from, category, monthly_tiyn FROM {}"
            " WHERE member_id = ANY(%s::uuid[])"
        ).format(table(schema, CATEGORIES))
        self._payments = SQL(
            "SELECT member_id, payment_id, paid_on, amount_tiyn, reversed_on, channel, reference,"
            " organisation_id FROM {} WHERE member_id = ANY(%s::uuid[])"
        ).format(table(schema, PAYMENTS))

    def statement(self, scope: Scope, member_id: UUID, on: date) -> dict[str, Any]:
        membership, categories, payments = self._member(scope, member_id)
        account = statement_of_account(membership.spells, categories, payments, self._mci, on)
        with self._store.pool.connection() as conn:
            erased = erased_on(conn, self._store.schema, member_id)
        return {
            **_statement_json(member_id, account, self._payment_details(member_id)),
            "personal_data_erased_on": erased,
        }

    def arrears(self, scope: Scope, member_id: UUID, on: date) -> dict[str, Any]:
        membership, categories, payments = self._member(scope, member_id)
        found = arrears_on(membership.spells, categories, payments, self._mci, on)
        return {"member_id": member_id, **_arrears_json(found)}

    def threshold_changes(self, on: date, threshold_months: int) -> list[UUID]:
        """The members whose arrears on `on` stand on the other side of the threshold from what
        their account last recorded (the clock's work list; the handler decides again with the
        domain's figures). Taken from the positions the reports read (decision 235, held equal
        to the domain by a test): one statement for the whole party, not a fold per member.
        Only members on that day are noticed: a former member's arrears stay visible in the
        reports but call for no notice."""
        return DuesReports(self._store.pool, self._store.schema).threshold_candidates(
            on, threshold_months
        )

    def _member(
        self, scope: Scope, member_id: UUID
    ) -> tuple[MemberSpells, list[CategorySpell], list[DuesPayment]]:
        spells, categories, payments = self._load([member_id])
        membership = spells.get(member_id)
        if membership is None or not self._in_scope(scope, membership):
            raise NotFound("member", member_id, field="member_id")
        return membership, categories.get(member_id, []), payments.get(member_id, [])

    def _in_scope(self, scope: Scope, membership: MemberSpells) -> bool:
        organisations = {s.organisation_id for s in membership.spells}
        chains = self._store.organisations.chains(organisations)
        return any(scope.covers(chain) for chain in chains.values())

    def _load(
        self, members: list[UUID]
    ) -> tuple[
        dict[UUID, MemberSpells], dict[UUID, list[CategorySpell]], dict[UUID, list[DuesPayment]]
    ]:
        categories: dict[UUID, list[CategorySpell]] = {}
        payments: dict[UUID, list[DuesPayment]] = {}
        with self._store.pool.connection() as conn:
            spells = self._store.dues.spells(conn, members)
            for member, effective_from, rate, monthly in conn.execute(self._categories, (members,)):
                categories.setdefault(member, []).append(
                    CategorySpell(effective_from, RateClass(rate), monthly)
                )
            for member, payment, paid_on, tiyn, reversed_on, *_ in conn.execute(
                self._payments, (members,)
            ):
                payments.setdefault(member, []).append(
                    DuesPayment(payment, paid_on, tiyn, reversed_on)
                )
        return spells, categories, payments

    def _payment_details(self, member_id: UUID) -> dict[UUID, dict[str, Any]]:
        with self._store.pool.connection() as conn:
            rows = conn.execute(self._payments, ([member_id],)).fetchall()
        return {
            row[1]: {"channel": row[5], "reference": row[6], "organisation_id": row[7]}
            for row in rows
        }


def _arrears_json(found: Arrears) -> dict[str, Any]:
    return {
        "as_of": found.on,
        "months_owed": found.months_owed,
        "amount_tiyn": found.amount_tiyn,
        "oldest_unpaid": found.oldest_unpaid,
    }


def _statement_json(
    member_id: UUID, account: StatementOfAccount, details: dict[UUID, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "as_of": account.on,
        "charges": [
            {
                "kind": line.charge.kind.value,
                "month": line.charge.month.strftime("%Y-%m"),
                "due_on": line.charge.due_on,
                "organisation_id": line.charge.organisation_id,
                "rate_class": line.charge.rate.value,
                "mci_kzt": line.charge.mci_kzt,
                "amount_tiyn": line.charge.amount_tiyn,
                "paid_tiyn": line.paid_tiyn,
                "owed_tiyn": line.owed_tiyn,
            }
            for line in account.lines
        ],
        "payments": [
            {
                "payment_id": p.payment_id,
                "paid_on": p.paid_on,
                "amount_tiyn": p.amount_tiyn,
                **details.get(p.payment_id, {}),
            }
            for p in account.payments
        ],
        "allocations": [
            {
                "payment_id": a.payment_id,
                "kind": a.kind.value,
                "month": a.month.strftime("%Y-%m"),
                "tiyn": a.tiyn,
            }
            for a in account.allocations
        ],
        "charged_tiyn": account.charged_tiyn,
        "paid_tiyn": account.paid_tiyn,
        "credit_tiyn": account.credit_tiyn,
        "balance_tiyn": account.balance_tiyn,
        "arrears": _arrears_json(account.arrears),
    }
