"""The registry's versioned schema migrations (Alembic, run by `partia migrate` and on start).

Each revision in `versions/` takes the schema as its argument (`upgrade(schema)`): the registry's
tables live in the schema its settings name. A new revision: copy the latest, give it the next
number as `revision` and the latest's as `down_revision`. Never edit one that was released.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partia_kit.migrate import ServiceMigrations

if TYPE_CHECKING:
    from partia_registry.settings import RegistrySettings

SCRIPT_LOCATION = "partia_registry:migrations"


def service() -> ServiceMigrations:
    """The entry point `partia.migrations` names (`partia migrate --service registry`)."""
    from partia_registry.settings import RegistrySettings

    settings = RegistrySettings()
    return ServiceMigrations(
        name="registry",
        script_location=SCRIPT_LOCATION,
        schema=settings.database_schema,
        start_database=lambda: _embedded(settings),
    )


def for_schema(schema: str) -> ServiceMigrations:
    return ServiceMigrations(name="registry", script_location=SCRIPT_LOCATION, schema=schema)


def _embedded(settings: RegistrySettings) -> tuple[str, Callable[[], None]]:
    """The embedded PostgreSQL `partia-registry bootstrap` uses when no URL is set."""
    from partia_kit.postgres.embedded import (
        start_embedded_postgres,
        stop_embedded_postgres,
    )

    server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    return url, lambda: stop_embedded_postgres(server)
