"""The composition root: the one place that builds the notifications service from its settings."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import ConnectionPool

from partia_kit import migrate as migrations
from partia_kit.idempotency import derive_fingerprint_key
from partia_kit.postgres import preparing
from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.postgres.preparing import installing
from partia_notifications.adapters.bodies import AddressBook
from partia_notifications.adapters.deliveries import DeliveryLog
from partia_notifications.adapters.organisations import OrganisationDirectory
from partia_notifications.adapters.preferences import Preferences
from partia_notifications.adapters.registry import RegistryContacts
from partia_notifications.adapters.smtp import SmtpMailer
from partia_notifications.application.sending import Retries, Sender
from partia_notifications.domain import rendering
from partia_notifications.migrations import for_schema
from partia_notifications.settings import NotificationsSettings


@dataclass
class Notifications:
    settings: NotificationsSettings
    pool: ConnectionPool[Any]
    deliveries: DeliveryLog
    preferences: Preferences
    fingerprint_key: bytes
    embedded_server: Any = None
    addresses: AddressBook = field(init=False)
    """Where the party bodies' notices go (decision 303)."""

    def __post_init__(self) -> None:
        self.addresses = AddressBook(self.pool, self.settings.database_schema)

    def request_fingerprint(self, request: bytes) -> str:
        return hmac.new(self.fingerprint_key, request, hashlib.sha256).hexdigest()

    def close(self) -> None:
        self.pool.close()
        if self.embedded_server is not None:
            self.embedded_server.cleanup()


def open_notifications(settings: NotificationsSettings, *, start: bool = True) -> Notifications:
    """Connect (starting the embedded PostgreSQL when no database URL is set) and bring the
    notifications schema up to date."""
    server = None
    url = settings.database_url
    if url is None:
        server, url = start_embedded_postgres(settings.data_dir / "pgdata")
    with installing(url, settings.database_schema):
        migrations.upgrade(url, for_schema(settings.database_schema))
    pool: ConnectionPool[Any] = ConnectionPool(
        url, kwargs={"autocommit": True}, min_size=1, max_size=4, open=False
    )
    if start:
        pool.open()
    key = derive_fingerprint_key(settings.master_key_bytes())
    schema = settings.database_schema
    return Notifications(
        settings, pool, DeliveryLog(pool, schema), Preferences(pool, schema), key, server
    )


def sender(notifications: Notifications) -> Sender:
    """The sender of `partia-notifications send`: the registry for contacts, SMTP for mail."""
    settings = notifications.settings
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return Sender(
        deliveries=notifications.deliveries,
        contacts=RegistryContacts(
            settings.registry_url,
            settings.registry_token.get_secret_value(),
            settings.registry_timeout,
            settings.default_language,
        ),
        mailer=SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout,
            ca_file=None if settings.smtp_ca_file is None else str(settings.smtp_ca_file),
        ),
        render=rendering.render,
        organisations=OrganisationDirectory(notifications.pool, settings.database_schema),
        retries=Retries(
            settings.retry_first_seconds, settings.retry_max_seconds, settings.max_attempts
        ),
        batch=settings.send_batch,
        quiet=settings.quiet(),
        addresses=notifications.addresses,
        digest_hour=settings.digest_hour,
    )


def prepare_database(settings: NotificationsSettings) -> tuple[Any, NotificationsSettings]:
    """Once per start, before any worker: the embedded PostgreSQL if no URL is set and the
    notifications schema migrated (`partia_kit.postgres.preparing`)."""
    return preparing.prepare_database(
        settings, lambda ready: open_notifications(ready, start=False).close()
    )
