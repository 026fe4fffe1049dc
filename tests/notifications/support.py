"""Helpers of the notifications tests: registry events as the registry's relay publishes them, a
registry's contact answers held in memory (the real registry answers in tests/e2e), and a sender
wired to the test's SMTP server."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.auth.principal import Grant, Role
from partia_kit.messages import IncomingEvent, OutboundMessage, integration_message
from partia_notifications.adapters.organisations import OrganisationDirectory, handlers
from partia_notifications.adapters.smtp import SmtpMailer
from partia_notifications.application.ports import Contact, Erased, Unknown, Unreachable
from partia_notifications.application.sending import Retries, Sender
from partia_notifications.composition import Notifications
from partia_notifications.domain import rendering
from partia_notifications.settings import NotificationsSettings

PPO = "3f0e8f0e-6a55-4b6f-8b7e-1f3a2b4c5d6e"
BRANCH = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
PARTY = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"

ORGANISATIONS = (
    (PARTY, None, "party", {"kk": "Байтақ", "ru": "Байтақ", "en": "Baytaq"}),
    (BRANCH, PARTY, "regional_branch", {"kk": "Астана", "ru": "Astana", "en": "Astana"}),
    (PPO, BRANCH, "primary_organisation", {"kk": "№7 БПҰ", "ru": "ППО №7", "en": "PPO No. 7"}),
)
"""The tree the test events name, as `partia.registry.organisations.v1` would have brought it."""


def known_organisations(notifications: Notifications) -> None:
    """`ORGANISATIONS` in the service's table, through the organisation topic's own handler."""
    created = handlers(notifications.settings.database_schema)[
        "partia.registry.organisation.created.v1"
    ]
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        for position, (organisation, parent, kind, names) in enumerate(ORGANISATIONS, 1):
            data = {"organisation_id": organisation, "parent_id": parent, "kind": kind,
                    "names": names, "position": position}  # fmt: skip
            created(conn, _incoming("partia.registry.organisation.created.v1", data))


def sanction_data(member_id: UUID, *, decided_on: str = "2025-11-30") -> dict[str, Any]:
    """A `registry.member.sanction_imposed` body: an expulsion by a PPO meeting on 30 November,
    appealable up to 28 February (Ch. 5.1, as the registry computed it)."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "registry.member.sanction_imposed",
        "member_id": str(member_id),
        "sanction_id": str(uuid.uuid4()),
        "case_id": None,
        "kind": "expulsion",
        "decision": {
            "body": {"kind": "ppo_meeting", "organisation_id": PPO},
            "decided_on": decided_on,
            "reference": "Minutes 7",
        },
        "grounds": ["residence_change_not_registered"],
        "other_ground": None,
        "appeal_deadline": "2026-02-28",
        "organisation_id": PPO,
        "card_number": "0000042",
        "effective_on": decided_on,
    }


def event_message(
    topic: str, event_id: str, type_name: str, data: dict[str, Any], key: str
) -> OutboundMessage:
    return integration_message(
        topic=topic,
        key=key,
        event_id=event_id,
        source="/partia/registry",
        event_type=f"partia.{type_name}.v1",
        time=datetime(2025, 11, 30, 9, tzinfo=UTC),
        subject=key,
        body=json.dumps(data).encode(),
        position=1,
    )


@dataclass
class Contacts:
    """What the registry would answer, per member; `down` makes it unreachable."""

    people: dict[UUID, Contact | Erased] = field(default_factory=dict)
    down: bool = False
    asked: int = 0

    def contact(self, member_id: UUID) -> Contact | Erased | Unknown:
        self.asked += 1
        if self.down:
            raise Unreachable("registry: ConnectError")
        return self.people.get(member_id, Unknown())


def sender(
    notifications: Notifications,
    contacts: Contacts,
    *,
    first: float = 0.0,
    cap: float = 0.0,
    max_attempts: int = 5,
) -> Sender:
    settings = notifications.settings
    return Sender(
        deliveries=notifications.deliveries,
        contacts=contacts,
        mailer=SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from, timeout=5),
        render=rendering.render,
        organisations=OrganisationDirectory(notifications.pool, settings.database_schema),
        retries=Retries(first, cap, max_attempts),
        addresses=notifications.addresses,
    )


def _incoming(type_: str, data: dict[str, Any]) -> IncomingEvent:
    return IncomingEvent(
        topic="t", partition=0, offset=0, key=None, id=str(uuid.uuid4()), type=type_,
        source="/partia/registry", subject=None, attributes={}, data=data,
    )  # fmt: skip


def signed_by(
    settings: NotificationsSettings, issuer: LocalIssuer, directory: Path
) -> NotificationsSettings:
    """`settings` with `issuer` as the identity provider (its keys in `directory`)."""
    environment = local_issuer_environment(issuer, directory / "jwks.json")
    return settings.model_copy(
        update={
            "auth_issuer": environment["PARTIA_AUTH_ISSUER"],
            "auth_jwks_file": Path(environment["PARTIA_AUTH_JWKS_FILE"]),
        }
    )


class SignedInApi:
    """The notifications API with tokens from an identity provider of the test's own."""

    def __init__(self, client: TestClient, issuer: LocalIssuer, party: uuid.UUID) -> None:
        self.client, self.issuer, self.party = client, issuer, party

    def token(self, role: Role, member: uuid.UUID | None = None) -> dict[str, str]:
        minted = self.issuer.mint(f"{role.value}-1", [Grant(role, self.party)], member_id=member)
        return {"Authorization": f"Bearer {minted}"}


def deliveries(notifications: Notifications) -> list[dict[str, Any]]:
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url), row_factory=dict_row) as conn:
        return list(
            conn.execute(
                SQL("SELECT * FROM {} ORDER BY queued_at").format(
                    Identifier(settings.database_schema, "notifications_deliveries")
                )
            ).fetchall()
        )


def make_due(notifications: Notifications) -> None:
    """What time does for a notice waiting for its next attempt."""
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute(
            SQL("UPDATE {} SET next_attempt_at = now() WHERE status = 'queued'").format(
                Identifier(settings.database_schema, "notifications_deliveries")
            )
        )
