"""The dues tables (migration f0003): the declared categories, payments and accounts written in the
events' transaction, and finance's view of membership (`finance_membership_spells`, written by
`adapters.memberships` from the registry's events) read for the charges.

`finance_dues_categories.category` holds the rate class only (working, student, exempt) and
`evidence_reference` stays empty: the category declared and its document can reveal health or
employment, so they live sealed in the events alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL

from partia_finance.domain.dues import MembershipSpell, MemberSpells
from partia_finance.domain.dues_account import DuesAccount
from partia_kit.postgres.statements import Statement, table

SPELLS = "finance_membership_spells"
CATEGORIES = "finance_dues_categories"
PAYMENTS = "finance_dues_payments"
ACCOUNTS = "finance_dues_accounts"

_CARD = re.compile(r"^(?:[A-Z]{1,4}-)?([0-9]{7})(?:-([0-9]))?$")


def card_serial(card: str) -> tuple[str, str | None] | None:
    """A card number as written on a payment ("BQ-0012345-6", "0012345-6", "0012345"): its
    serial and check digit (None when not written), or None when it is not a card number."""
    found = _CARD.fullmatch(card.strip().upper())
    return None if found is None else (found.group(1), found.group(2))


class DuesTables:
    def __init__(self, schema: str) -> None:
        self._categories = SQL(
            "INSERT INTO {} (member_id, effective_from, category, monthly_tiyn, declared_on)"
            " SELECT * FROM unnest(%b::uuid[], %b::date[], %b::text[], %b::int8[], %b::date[])"
            " ON CONFLICT (member_id, effective_from) DO UPDATE SET category = excluded.category,"
            " monthly_tiyn = excluded.monthly_tiyn, declared_on = excluded.declared_on"
        ).format(table(schema, CATEGORIES))
        self._payments = SQL(
            "INSERT INTO {} (payment_id, member_id, organisation_id, paid_on, amount_tiyn,"
            " channel, reference, reversed_on) SELECT * FROM unnest(%b::uuid[], %b::uuid[],"
            " %b::uuid[], %b::date[], %b::int8[], %b::text[], %b::text[], %b::date[])"
            " ON CONFLICT (payment_id) DO UPDATE SET reversed_on = excluded.reversed_on"
        ).format(table(schema, PAYMENTS))
        self._accounts = SQL(
            "INSERT INTO {} (member_id, threshold_reached_on)"
            " SELECT * FROM unnest(%b::uuid[], %b::date[]) ON CONFLICT (member_id)"
            " DO UPDATE SET threshold_reached_on = excluded.threshold_reached_on"
        ).format(table(schema, ACCOUNTS))
        self._spells = SQL(
            "SELECT member_id, organisation_id, from_on, until_on, opened_by, card_number"
            " FROM {} WHERE member_id = ANY(%s::uuid[]) ORDER BY member_id, from_on"
        ).format(table(schema, SPELLS))
        self._by_serial = SQL(
            "SELECT DISTINCT member_id, card_number FROM {}"
            " WHERE substring(card_number from '[0-9]{{7}}') = %s OR card_number = %s"
        ).format(table(schema, SPELLS))

    def statements(self, accounts: Sequence[DuesAccount]) -> list[Statement]:
        """The rows of these accounts, in full (a handful each): written with their events."""
        if not accounts:
            return []
        categories = [
            (
                a.id,
                c.effective_from,
                c.rate.value,
                c.voluntary_tiyn,
                _declared_on(a, c.effective_from),
            )
            for a in accounts
            for c in a.category_spells
        ]
        payments = [
            (
                p.payment_id,
                a.id,
                p.organisation_id,
                p.paid_on,
                p.amount_tiyn,
                p.channel,
                p.reference,
                p.reversed_on,
            )
            for a in accounts
            for p in a.payments.values()
        ]
        found = [Statement(self._accounts, [(a.id, a.threshold_reached_on) for a in accounts])]
        if categories:
            found.append(Statement(self._categories, categories))
        if payments:
            found.append(Statement(self._payments, payments))
        return found

    def spells(
        self, conn: psycopg.Connection[Any], member_ids: list[UUID]
    ) -> dict[UUID, MemberSpells]:
        found: dict[UUID, MemberSpells] = {}
        for member, organisation, from_on, until_on, opened_by, card in conn.execute(
            self._spells, (member_ids,)
        ):
            entry = found.setdefault(member, MemberSpells([], []))
            entry.spells.append(MembershipSpell(organisation, from_on, until_on, opened_by))
            if card not in entry.card_numbers:
                entry.card_numbers.append(card)
        return found

    def members_with_card(self, conn: psycopg.Connection[Any], card: str) -> list[UUID]:
        """The members whose party card this is (its serial, and its check digit if written)."""
        parsed = card_serial(card)
        if parsed is None:
            return []
        serial, check = parsed
        rows = conn.execute(self._by_serial, (serial, card.strip().upper())).fetchall()
        return sorted(
            {
                member
                for member, number in rows
                if check is None or str(number).endswith(f"{serial}-{check}")
            }
        )


def _declared_on(account: DuesAccount, effective_from: date) -> date:
    return account.declared_on.get(effective_from, effective_from)
