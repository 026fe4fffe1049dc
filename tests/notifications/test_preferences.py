"""A member's choices per category of notice (issue 13 item 5): reminders and information may be
switched off, by the member on their own record or by a clerk; decisions, sanctions and appeal
deadlines always go and say so (Ch. 5.1)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from partia_kit.auth.principal import Role
from partia_notifications.adapters.events import handlers
from partia_notifications.application.ports import Contact
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from tests.notifications.support import (
    PPO,
    Contacts,
    SignedInApi,
    _incoming,
    deliveries,
    sanction_data,
    sender,
)


def put_preferences(api: SignedInApi, member: uuid.UUID, body: Any, headers: dict[str, str]) -> Any:
    return api.client.put(f"/members/{member}/preferences", json=body, headers=headers)


SUBMITTED = "partia.registry.member.application_submitted.v1"
SANCTION = "partia.registry.member.sanction_imposed.v1"
ERASED = "partia.registry.member.personal_data_erased.v1"


def apply(notifications: Notifications, type_: str, data: dict[str, Any]) -> None:
    handler = handlers(notifications.settings.database_schema)[type_]
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        handler(conn, _incoming(type_, data))


def test_a_member_opts_out_of_reminders_on_their_own_record_and_reads_it_back(
    api: SignedInApi,
) -> None:
    member = uuid.uuid4()
    own = api.token(Role.MEMBER, member)
    before = api.client.get(f"/members/{member}/preferences", headers=own)
    assert before.status_code == 200, before.text
    assert (before.json()["reminders"], before.json()["information"]) == (True, True)
    changed = put_preferences(api, member, {"reminders": False, "information": True}, own)
    assert changed.status_code == 200, changed.text
    assert changed.json()["reminders"] is False
    assert changed.json()["always_sent"] == ["decision"]
    again = api.client.get(f"/members/{member}/preferences", headers=own).json()
    assert (again["reminders"], again["information"]) == (False, True)


def test_only_the_member_or_a_clerk_changes_the_choices_and_bad_input_is_named(
    api: SignedInApi,
) -> None:
    member, other = uuid.uuid4(), uuid.uuid4()
    body = {"reminders": False, "information": False}
    someone_else = put_preferences(api, member, body, api.token(Role.MEMBER, other))
    assert someone_else.status_code == 404  # as for a record that does not exist
    auditor = put_preferences(api, member, body, api.token(Role.AUDITOR))
    assert (auditor.status_code, auditor.json()["rule"]) == (403, "permission-required")
    assert put_preferences(api, member, body, api.token(Role.CLERK)).status_code == 200
    bad = put_preferences(
        api, member, {"reminders": "sometimes", "information": True}, api.token(Role.CLERK)
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert "reminders" in bad.text
    no_legal_switch = put_preferences(
        api, member, {**body, "decisions": False}, api.token(Role.CLERK)
    )
    assert no_legal_switch.status_code == 422  # legally significant notices cannot be refused
    assert api.client.put(f"/members/{member}/preferences", json=body).status_code == 401


def test_an_opt_out_withholds_information_but_never_a_sanction_which_says_it_always_goes(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """Ch. 5.1: the last day to appeal reaches the member whatever they chose."""
    member = uuid.uuid4()
    notifications.preferences.change(member, reminders=False, information=False, by="clerk")
    apply(notifications, SUBMITTED, {"member_id": str(member), "organisation_id": PPO,
          "effective_on": "2025-03-01", "application_document": None})  # fmt: skip
    apply(notifications, SANCTION, sanction_data(member))
    contacts = Contacts({member: Contact("Aruzhan", "a@example.kz", "en")})
    assert sender(notifications, contacts).send_due() == 2
    by_template = {d["template"]: d for d in deliveries(notifications)}
    received = by_template["application_received"]
    assert (received["status"], received["last_error"]) == ("withheld", "opted-out:information")
    assert by_template["sanction_imposed"]["status"] == "sent"
    [email] = catcher.messages()
    assert "Last day to appeal: February 28, 2026" in email.text
    assert "it is always sent, even if you have opted out" in email.text
    assert contacts.asked == 1  # the withheld notice did not even ask the registry


def test_an_erased_person_s_choices_are_forgotten(notifications: Notifications) -> None:
    member = uuid.uuid4()
    notifications.preferences.change(member, reminders=False, information=True, by="clerk")
    apply(notifications, ERASED, {"member_id": str(member), "legal_basis": "Art. 18"})
    assert notifications.preferences.of(member)["updated_at"] is None
