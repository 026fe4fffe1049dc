"""The registry's versioned schema migrations (Alembic, run by `partia migrate` and on start).

Each revision in `versions/` takes the schema as its argument (`upgrade(schema)`): the registry's
tables live in the schema its settings name. A new revision: copy the latest, give it the next
number as `revision` and the latest's as `down_revision`. Never edit one that was released.
"""

from __future__ import annotations

from partia_kit.migrate import ServiceMigrations

SCRIPT_LOCATION = "partia_registry:migrations"


def service() -> ServiceMigrations:
    """The entry point `partia.migrations` names (`partia migrate --service registry`)."""
    from partia_registry.settings import RegistrySettings

    return ServiceMigrations.of("registry", SCRIPT_LOCATION, RegistrySettings())


def for_schema(schema: str) -> ServiceMigrations:
    return ServiceMigrations(name="registry", script_location=SCRIPT_LOCATION, schema=schema)
