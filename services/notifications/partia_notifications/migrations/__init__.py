"""The notifications service's versioned schema migrations (Alembic, run by `partia migrate` and on
start), in the schema its settings name (`notifications` by default). A new revision: copy the
latest, give it the next number as `revision` and the latest's as `down_revision`. Never edit one
that was released."""

from __future__ import annotations

from partia_kit.migrate import ServiceMigrations

SCRIPT_LOCATION = "partia_notifications:migrations"


def service() -> ServiceMigrations:
    """The entry point `partia.migrations` names (`partia migrate --service notifications`)."""
    from partia_notifications.settings import NotificationsSettings

    return ServiceMigrations.of("notifications", SCRIPT_LOCATION, NotificationsSettings())


def for_schema(schema: str) -> ServiceMigrations:
    return ServiceMigrations(name="notifications", script_location=SCRIPT_LOCATION, schema=schema)
