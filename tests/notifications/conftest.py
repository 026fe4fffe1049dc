"""Fixtures of the notifications tests: a fresh notifications schema per test in the session's
PostgreSQL, and a real SMTP server (aiosmtpd) on a port of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from partia_kit.auth.issuer import LocalIssuer
from partia_kit.auth.scope import party_root
from partia_kit.testing import free_port, new_master_key, new_schema
from partia_notifications.api.app import create_app
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications, open_notifications
from partia_notifications.settings import NotificationsSettings
from tests.notifications.support import SignedInApi, known_organisations, signed_by


@pytest.fixture
def notifications_settings(database_url: str) -> NotificationsSettings:
    return NotificationsSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        api_tokens="aigerim=auditor-token",
        data_dir=Path("/nonexistent"),
        smtp_port=free_port(),
    )


@pytest.fixture
def notifications(notifications_settings: NotificationsSettings) -> Iterator[Notifications]:
    opened = open_notifications(notifications_settings)
    known_organisations(opened)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def catcher(notifications_settings: NotificationsSettings) -> Iterator[MailCatcher]:
    """The mail server the settings send to, running."""
    server = MailCatcher("127.0.0.1", notifications_settings.smtp_port).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(
    notifications_settings: NotificationsSettings, notifications: Notifications, tmp_path: Path
) -> Iterator[SignedInApi]:
    issuer = LocalIssuer.generate()
    settings = signed_by(notifications_settings, issuer, tmp_path)
    with TestClient(create_app(settings)) as client:
        yield SignedInApi(client, issuer, party_root(settings.party))
