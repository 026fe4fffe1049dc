"""The delivery log over HTTP (issue 13 item 7): per member and per causing event for auditors,
a failed notice resent once however often the request is retried, refusals as problem+json."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from partia_kit.auth.issuer import LocalIssuer
from partia_kit.auth.principal import Grant, Role
from partia_kit.auth.scope import party_root
from partia_kit.messages import IncomingEvent
from partia_notifications.adapters.events import handlers
from partia_notifications.api.app import create_app
from partia_notifications.composition import Notifications
from partia_notifications.settings import NotificationsSettings
from tests.notifications.support import sanction_data, signed_by

SANCTION = "partia.registry.member.sanction_imposed.v1"
AUDITOR = {"Authorization": "Bearer auditor-token"}


def queue_sanction(notifications: Notifications, member: UUID) -> str:
    """What the consumer does with a sanction_imposed event; its event id."""
    data = sanction_data(member)
    event = IncomingEvent(
        "partia.registry.members.v1", 0, 0, None, data["event_id"], SANCTION,
        "/partia/registry", str(member), {}, data,
    )  # fmt: skip
    with notifications.pool.connection() as conn, conn.transaction():
        handlers(notifications.settings.database_schema)[SANCTION](conn, event)
    return str(data["event_id"])


def fail_all(notifications: Notifications) -> None:
    with notifications.deliveries.claim(100) as claim:
        for due in claim.due:
            claim.failed(due.notice_id, "smtp: refused (550)")


@pytest.fixture
def client(
    notifications_settings: NotificationsSettings, notifications: Notifications
) -> Iterator[TestClient]:
    with TestClient(create_app(notifications_settings)) as opened:
        yield opened


def resend(client: TestClient, notice: str, key: str | None = None) -> Any:
    headers = {**AUDITOR, "Idempotency-Key": key or str(uuid.uuid4())}
    return client.post(f"/deliveries/{notice}/resend", headers=headers)


def test_an_auditor_sees_whether_when_and_how_a_member_was_told(
    client: TestClient, notifications: Notifications
) -> None:
    member = uuid.uuid4()
    event_id = queue_sanction(notifications, member)
    queue_sanction(notifications, uuid.uuid4())  # someone else's
    by_member = client.get(f"/members/{member}/deliveries", headers=AUDITOR)
    assert by_member.status_code == 200, by_member.text
    [item] = by_member.json()["items"]
    assert (item["template"], item["status"], item["event_id"]) == (
        "sanction_imposed",
        "queued",
        event_id,
    )
    assert item["context"]["appeal_deadline"] == "2026-02-28"
    assert item["recipient"] == f"member:{member}"
    by_event = client.get(f"/events/{event_id}/deliveries", headers=AUDITOR).json()["items"]
    assert [i["notice_id"] for i in by_event] == [item["notice_id"]]
    one = client.get(f"/deliveries/{item['notice_id']}", headers=AUDITOR)
    assert one.json()["member_id"] == str(member)


def test_a_failed_notice_is_queued_again_once_however_often_the_resend_is_retried(
    client: TestClient, notifications: Notifications
) -> None:
    member = uuid.uuid4()
    queue_sanction(notifications, member)
    fail_all(notifications)
    [failed] = client.get(f"/members/{member}/deliveries", headers=AUDITOR).json()["items"]
    assert (failed["status"], failed["last_error"]) == ("failed", "smtp: refused (550)")

    first = resend(client, failed["notice_id"], key="resend-1")
    assert first.status_code == 200, first.text
    assert first.json() == {"notice_id": failed["notice_id"], "status": "queued"}
    again = resend(client, failed["notice_id"], key="resend-1")
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
    [queued] = client.get(f"/members/{member}/deliveries", headers=AUDITOR).json()["items"]
    assert (queued["status"], queued["attempts"], queued["resends"]) == ("queued", 0, 1)


def test_a_notice_that_did_not_fail_is_not_resent(
    client: TestClient, notifications: Notifications
) -> None:
    member = uuid.uuid4()
    queue_sanction(notifications, member)
    [queued] = client.get(f"/members/{member}/deliveries", headers=AUDITOR).json()["items"]
    refused = resend(client, queued["notice_id"])
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["rule"] == "notice-not-failed"
    unknown = resend(client, str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["rule"]) == (404, "unknown-notice")
    no_key = client.post(f"/deliveries/{queued['notice_id']}/resend", headers=AUDITOR)
    assert (no_key.status_code, no_key.json()["rule"]) == (400, "idempotency-key-required")


def test_the_delivery_log_is_refused_without_a_token_and_to_a_treasurer(
    notifications_settings: NotificationsSettings, tmp_path: Path
) -> None:
    issuer = LocalIssuer.generate()
    settings = signed_by(notifications_settings, issuer, tmp_path)
    party = party_root(settings.party)
    treasurer = issuer.mint("tolkyn", [Grant(Role.TREASURER, party)])
    auditor = issuer.mint("aigerim", [Grant(Role.AUDITOR, party)])
    path = f"/members/{uuid.uuid4()}/deliveries"
    with TestClient(create_app(settings)) as client:
        assert client.get(path).status_code == 401
        denied = client.get(path, headers={"Authorization": f"Bearer {treasurer}"})
        assert denied.status_code == 403
        assert denied.headers["content-type"] == "application/problem+json"
        allowed = client.get(path, headers={"Authorization": f"Bearer {auditor}"})
        assert allowed.status_code == 200


def test_metrics_count_the_notices_by_status_and_ready_checks_the_database(
    client: TestClient, notifications: Notifications
) -> None:
    queue_sanction(notifications, uuid.uuid4())
    queue_sanction(notifications, uuid.uuid4())
    fail_all(notifications)
    queue_sanction(notifications, uuid.uuid4())
    text = client.get("/metrics").text
    assert 'partia_notifications_deliveries{status="queued"} 1.0' in text
    assert 'partia_notifications_deliveries{status="failed"} 2.0' in text
    ready = client.get("/ready")
    assert (ready.status_code, ready.json()["checks"]["database"]["ok"]) == (200, True)
