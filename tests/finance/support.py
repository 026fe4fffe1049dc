"""Helpers for the finance tests that use the database: the organisation tree finance learns from
the registry's events (`adapters.organisations`; its consumer is tested against a real broker in
tests/finance/adapters), seeded here directly as that consumer leaves it."""

from __future__ import annotations

from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_finance.composition import Finance
from partia_kit.auth.scope import bootstrapped_organisation_id, party_root

PARTY = party_root("baytaq")
ALMATY = bootstrapped_organisation_id("baytaq", "almaty-city")
ASTANA = bootstrapped_organisation_id("baytaq", "astana")


def seed_tree(finance: Finance) -> None:
    assert finance.settings.database_url is not None
    seed_tree_at(finance.settings.database_url, finance.settings.database_schema)


def seed_tree_at(database_url: str, schema: str) -> None:
    rows: list[tuple[UUID, UUID | None, str]] = [
        (PARTY, None, "party"),
        (ALMATY, PARTY, "regional_branch"),
        (ASTANA, PARTY, "regional_branch"),
    ]
    with psycopg.connect(database_url, autocommit=True) as conn:
        for organisation, parent, kind in rows:
            conn.execute(
                SQL(
                    "INSERT INTO {} (organisation_id, parent_id, kind, registry_position)"
                    " VALUES (%s, %s, %s, 0)"
                ).format(Identifier(schema, "finance_organisations")),
                (organisation, parent, kind),
            )
