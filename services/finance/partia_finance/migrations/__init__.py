"""The finance service's versioned schema migrations (Alembic, run by `partia migrate` and on
start), in the schema its settings name (`finance` by default). A new revision: copy the latest,
give it the next number as `revision` and the latest's as `down_revision`. Never edit one that was
released."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partia_kit.migrate import ServiceMigrations

if TYPE_CHECKING:
    from partia_finance.settings import FinanceSettings

SCRIPT_LOCATION = "partia_finance:migrations"


def service() -> ServiceMigrations:
    """The entry point `partia.migrations` names (`partia migrate --service finance`)."""
    from partia_finance.settings import FinanceSettings

    settings = FinanceSettings()
    return ServiceMigrations(
        name="finance",
        script_location=SCRIPT_LOCATION,
        schema=settings.database_schema,
        start_database=lambda: _embedded(settings),
    )


def for_schema(schema: str) -> ServiceMigrations:
    return ServiceMigrations(name="finance", script_location=SCRIPT_LOCATION, schema=schema)


def _embedded(settings: FinanceSettings) -> tuple[str, Callable[[], None]]:
    from partia_kit.postgres.embedded import start_embedded_postgres, stop_embedded_postgres

    server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    return url, lambda: stop_embedded_postgres(server)
