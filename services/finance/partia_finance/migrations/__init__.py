"""The finance service's versioned schema migrations (Alembic, run by `partia migrate` and on
start), in the schema its settings name (`finance` by default). A new revision: copy the latest,
give it the next number as `revision` and the latest's as `down_revision`. Never edit one that was
released."""

from __future__ import annotations

from partia_kit.migrate import ServiceMigrations

SCRIPT_LOCATION = "partia_finance:migrations"


def service() -> ServiceMigrations:
    """The entry point `partia.migrations` names (`partia migrate --service finance`)."""
    from partia_finance.settings import FinanceSettings

    return ServiceMigrations.of("finance", SCRIPT_LOCATION, FinanceSettings())


def for_schema(schema: str) -> ServiceMigrations:
    return ServiceMigrations(name="finance", script_location=SCRIPT_LOCATION, schema=schema)
