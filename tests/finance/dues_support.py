"""Helpers for the dues tests: primary organisations under the seeded tree, and members as
finance's membership view holds them (`finance_membership_spells`, written in production by
`adapters.memberships` from the registry's events; inserted here directly)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.sql import SQL, Identifier

from partia_finance.application import commands as c
from partia_finance.composition import Finance
from partia_kit.batches import Outcome
from tests.finance.support import ALMATY, ASTANA, seed_tree

PPO_ALMATY = UUID("00000000-0000-4000-8000-00000000a101")
PPO_ASTANA = UUID("00000000-0000-4000-8000-00000000a201")


def seed_ppos(finance: Finance) -> None:
    seed_tree(finance)
    assert finance.settings.database_url is not None
    seed_ppos_at(finance.settings.database_url, finance.settings.database_schema)


def seed_ppos_at(database_url: str, schema: str) -> None:
    """The two PPOs under the seeded branches (the tree itself seeded already)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for ppo, parent in ((PPO_ALMATY, ALMATY), (PPO_ASTANA, ASTANA)):
            conn.execute(
                SQL(
                    "INSERT INTO {} (organisation_id, parent_id, kind, registry_position)"
                    " VALUES (%s, %s, 'primary_organisation', 0)"
                ).format(Identifier(schema, "finance_organisations")),
                (ppo, parent),
            )


def seed_member(
    finance: Finance,
    *spells: tuple[UUID, date, date | None, str],
    card: str = "BQ-0012345-6",
    member_id: UUID | None = None,
) -> UUID:
    """A member with these spells (organisation, from, until, opened_by)."""
    assert finance.settings.database_url is not None
    return seed_member_at(
        finance.settings.database_url,
        finance.settings.database_schema,
        *spells,
        card=card,
        member_id=member_id,
    )


def seed_member_at(
    database_url: str,
    schema: str,
    *spells: tuple[UUID, date, date | None, str],
    card: str = "BQ-0012345-6",
    member_id: UUID | None = None,
) -> UUID:
    member = member_id or uuid4()
    with psycopg.connect(database_url, autocommit=True) as conn:
        for organisation, from_on, until_on, opened_by in spells:
            conn.execute(
                SQL(
                    "INSERT INTO {} (member_id, organisation_id, from_on, until_on, opened_by,"
                    " card_number, registry_position) VALUES (%s, %s, %s, %s, %s, %s, 0)"
                ).format(Identifier(schema, "finance_membership_spells")),
                (member, organisation, from_on, until_on, opened_by, card),
            )
    return member


def pay(finance: Finance, member: UUID | None, **given: Any) -> Outcome:
    values: dict[str, Any] = {
        "actor": "tolkyn",
        "member_id": member,
        "payment_id": uuid4(),
        "paid_on": date(2026, 3, 10),
        "amount_tiyn": 43_250,
        "channel": "cash",
        "reference": "Receipt 0042",
    }
    values.update(given)
    return finance.writer.execute(c.RecordDuesPayment(**values))


def rows(finance: Finance, name: str, member: UUID) -> list[tuple[Any, ...]]:
    with _connect(finance) as conn:
        return conn.execute(
            SQL("SELECT * FROM {} WHERE member_id = %s ORDER BY 2").format(
                Identifier(finance.settings.database_schema, name)
            ),
            (member,),
        ).fetchall()


def _connect(finance: Finance) -> psycopg.Connection[Any]:
    assert finance.settings.database_url is not None
    return psycopg.connect(finance.settings.database_url, autocommit=True)
