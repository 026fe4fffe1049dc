"""The notifications service's versioned schema migrations (Alembic, run by `partia migrate` and on
start), in the schema its settings name (`notifications` by default). A new revision: copy the
latest, give it the next number as `revision` and the latest's as `down_revision`. Never edit one
that was released."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partia_kit.migrate import ServiceMigrations

if TYPE_CHECKING:
    from partia_notifications.settings import NotificationsSettings

SCRIPT_LOCATION = "partia_notifications:migrations"


def service() -> ServiceMigrations:
    """The entry point `partia.migrations` names (`partia migrate --service notifications`)."""
    from partia_notifications.settings import NotificationsSettings

    settings = NotificationsSettings()
    return ServiceMigrations(
        name="notifications",
        script_location=SCRIPT_LOCATION,
        schema=settings.database_schema,
        start_database=lambda: _embedded(settings),
    )


def for_schema(schema: str) -> ServiceMigrations:
    return ServiceMigrations(name="notifications", script_location=SCRIPT_LOCATION, schema=schema)


def _embedded(settings: NotificationsSettings) -> tuple[str, Callable[[], None]]:
    from partia_kit.postgres.embedded import start_embedded_postgres, stop_embedded_postgres

    server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    return url, lambda: stop_embedded_postgres(server)
