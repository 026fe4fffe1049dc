"""The organisation names notices use, from the registry's organisation events (decision 276),
in the service's own table in a real PostgreSQL."""

from __future__ import annotations

import uuid
from uuid import UUID

import psycopg

from partia_notifications.adapters.events import handlers as member_handlers
from partia_notifications.adapters.organisations import OrganisationDirectory, handlers
from partia_notifications.application.ports import Contact
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from tests.notifications.support import (
    BRANCH,
    PPO,
    Contacts,
    _incoming,
    deliveries,
    make_due,
    sender,
)

RENAMED = "partia.registry.organisation.renamed.v1"
CREATED = "partia.registry.organisation.created.v1"


def apply(notifications: Notifications, type_: str, data: dict[str, object]) -> None:
    handler = handlers(notifications.settings.database_schema)[type_]
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        handler(conn, _incoming(type_, data))


def directory(notifications: Notifications) -> OrganisationDirectory:
    return OrganisationDirectory(notifications.pool, notifications.settings.database_schema)


def test_a_renaming_changes_the_name_and_an_older_event_redelivered_does_not_undo_it(
    notifications: Notifications,
) -> None:
    names = {"kk": "Жаңа", "ru": "Новое", "en": "New"}
    apply(notifications, RENAMED, {"organisation_id": PPO, "names": names, "position": 100})
    old = {"kk": "Ескі", "ru": "Старое", "en": "Old"}
    apply(notifications, RENAMED, {"organisation_id": PPO, "names": old, "position": 50})
    [ppo, branch, party] = directory(notifications).chain(UUID(PPO))
    assert ppo.names == names
    assert (branch.organisation_id, branch.kind) == (UUID(BRANCH), "regional_branch")
    assert party.kind == "party"


def test_a_notice_naming_an_organisation_not_heard_of_yet_waits_and_goes_once_it_is(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """The member and organisation topics are read apart: a member's event may come first."""
    member, new_ppo = uuid.uuid4(), str(uuid.uuid4())
    submitted = "partia.registry.member.application_submitted.v1"
    data = {"member_id": str(member), "organisation_id": new_ppo, "effective_on": "2025-03-01",
            "application_document": {"signed_on": "2025-03-01"}}  # fmt: skip
    apply_member = member_handlers(notifications.settings.database_schema)[submitted]
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        apply_member(conn, _incoming(submitted, data))
    mail = sender(notifications, Contacts({member: Contact("Aruzhan", "a@example.kz", "kk")}))
    assert mail.send_due() == 1
    [waiting] = deliveries(notifications)
    assert (waiting["status"], waiting["last_error"]) == (
        "queued", f"organisation {new_ppo} not known yet"
    )  # fmt: skip
    assert catcher.messages() == []

    names = {"kk": "№9 БПҰ", "ru": "ППО №9", "en": "PPO No. 9"}
    apply(notifications, CREATED, {"organisation_id": new_ppo, "parent_id": BRANCH,
          "kind": "primary_organisation", "names": names, "position": 7})  # fmt: skip
    make_due(notifications)
    assert mail.send_due() == 1
    [email] = catcher.messages()
    assert "№9 БПҰ" in email.text
    assert deliveries(notifications)[0]["status"] == "sent"
