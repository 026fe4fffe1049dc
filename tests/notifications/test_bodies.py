"""Notices to party bodies (issue 13 item 2): where a body's mail goes (configured over the API),
what the service keeps of members to word them, a national deputy's mandate at stake to the party
Bureau at once, the residence clock (Ch. 3.6, 5.2) to the member's PPO and branch, queued for its
dates and called off by a transfer; all against the real PostgreSQL, the residence clock also on a
real broker, the mail to a real SMTP server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_kit.auth.principal import Role
from partia_kit.broker import Broker
from partia_kit.testing import running, wait_for
from partia_notifications.adapters.events import consumer, handlers
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from partia_notifications.domain.rendering import ALMATY
from tests.kit.support import new_topic, produce
from tests.notifications.support import (
    BRANCH,
    PARTY,
    PPO,
    Contacts,
    SignedInApi,
    _incoming,
    deliveries,
    event_message,
    make_due,
    sanction_data,
    sender,
)

OTHER_PPO = "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"
CARD = "0000042"


def apply(notifications: Notifications, type_name: str, data: dict[str, Any]) -> None:
    """What the members' consumer does with one event (`adapters/events.py`)."""
    ce_type = f"partia.{type_name}.v1"
    event = _incoming(ce_type, {"event_id": str(uuid.uuid4()), **data})
    with notifications.pool.connection() as conn, conn.transaction():
        handlers(notifications.settings.database_schema)[ce_type](conn, event)


def admitted(member: UUID, organisation: str = PPO) -> dict[str, Any]:
    return {
        "event_type": "registry.member.admitted",
        "member_id": str(member),
        "organisation_id": organisation,
        "card_number": CARD,
        "decision": {"body": {"kind": "ppo_meeting", "organisation_id": organisation},
                     "decided_on": "2025-01-10", "reference": "Minutes 1"},
        "effective_on": "2025-01-10",
    }  # fmt: skip


def residence(member: UUID) -> dict[str, Any]:
    return {
        "event_type": "registry.member.residence_change_reported",
        "member_id": str(member),
        "moved_on": "2025-04-01",
        "registration_deadline": "2025-10-01",
        "effective_on": "2025-04-01",
    }


def transferred(member: UUID, *, closes: bool = True) -> dict[str, Any]:
    return {
        "event_type": "registry.member.transferred",
        "member_id": str(member),
        "from_organisation_id": PPO,
        "to_organisation_id": OTHER_PPO,
        "decision": {"body": {"kind": "ppo_bureau", "organisation_id": OTHER_PPO},
                     "decided_on": "2025-04-20", "reference": "Minutes 4"},
        "closes_residence_clock": closes,
        "effective_on": "2025-04-20",
    }  # fmt: skip


def mandate_at_stake(member: UUID, mandate: UUID) -> dict[str, Any]:
    return {
        "event_type": "registry.member.national_mandate_at_stake",
        "member_id": str(member),
        "mandate_id": str(mandate),
        "reason": "exclusion",
        "effective_on": "2025-11-30",
    }


def mandate_recorded(member: UUID, mandate: UUID) -> dict[str, Any]:
    return {
        "event_type": "registry.member.mandate_recorded",
        "member_id": str(member), "mandate_id": str(mandate), "kind": "mazhilis",
        "territory": "Republic of Kazakhstan", "level": None, "started_on": "2023-03-29",
        "ended_on": None, "effective_on": "2023-03-29",
    }  # fmt: skip


def configure(notifications: Notifications, organisation: str, role: str, email: str,
              language: str) -> None:  # fmt: skip
    notifications.addresses.put(UUID(organisation), role, email=email, language=language, by="test")


def body_rows(notifications: Notifications) -> list[dict[str, Any]]:
    return [row for row in deliveries(notifications) if row["recipient"].startswith("body:")]


# --- where a body's mail goes: the API --------------------------------------------------------


def test_a_clerk_configures_where_a_bodys_notices_go_and_in_which_language(
    api: SignedInApi,
) -> None:
    clerk = api.token(Role.CLERK)
    url = f"/bodies/{PPO}/addresses/bureau"
    body = {"email": "bureau.ppo7@baytaq.kz", "language": "kk"}
    first = api.client.put(url, json=body, headers=clerk)
    assert first.status_code == 200, first.text
    again = api.client.put(url, json=body, headers=clerk)  # a PUT repeated: the same state
    assert again.json()["email"] == "bureau.ppo7@baytaq.kz"
    read = api.client.get(url, headers=api.token(Role.AUDITOR)).json()
    assert (read["email"], read["language"], read["role"]) == ("bureau.ppo7@baytaq.kz", "kk",
                                                               "bureau")  # fmt: skip
    every = api.client.get(f"/bodies/{PPO}/addresses", headers=clerk).json()["items"]
    assert [item["role"] for item in every] == ["bureau"]
    assert api.client.delete(url, headers=clerk).status_code == 204
    gone = api.client.get(url, headers=clerk)
    assert (gone.status_code, gone.json()["rule"]) == (404, "no-address-configured")
    assert api.client.delete(url, headers=clerk).status_code == 404


def test_only_a_clerk_or_operations_changes_a_bodys_address_and_bad_input_is_named(
    api: SignedInApi,
) -> None:
    url = f"/bodies/{PPO}/addresses/treasurer"
    body = {"email": "treasurer@baytaq.kz", "language": "ru"}
    auditor = api.client.put(url, json=body, headers=api.token(Role.AUDITOR))
    assert (auditor.status_code, auditor.json()["rule"]) == (403, "permission-required")
    assert api.client.put(url, json=body).status_code == 401
    clerk = api.token(Role.CLERK)
    for bad, field in (
        ({"email": "not an address", "language": "ru"}, "email"),
        ({"email": "treasurer@baytaq.kz", "language": "de"}, "language"),
    ):
        refused = api.client.put(url, json=bad, headers=clerk)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text
    no_such_role = api.client.put(f"/bodies/{PPO}/addresses/president", json=body, headers=clerk)
    assert no_such_role.status_code == 422
    assert no_such_role.headers["content-type"] == "application/problem+json"
    assert api.client.get(url, headers=clerk).status_code == 404  # nothing was stored


# --- what the service keeps of members, and the mandate at stake --------------------------------


def test_a_deputys_mandate_at_stake_goes_at_once_to_the_party_bureau_in_its_language_saying_it_is_legally_significant(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """The party Bureau must consider the mandate of a national deputy who left the party: at
    once, never in a digest, whatever anyone's reminder settings; the card number and the
    representative body come from what the service kept of the admission and the mandate."""
    member, mandate = uuid.uuid4(), uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    apply(notifications, "registry.member.mandate_recorded", mandate_recorded(member, mandate))
    apply(notifications, "registry.member.national_mandate_at_stake",
          mandate_at_stake(member, mandate))  # fmt: skip
    [row] = body_rows(notifications)
    assert row["recipient"] == f"body:{PARTY}:bureau"
    assert (row["category"], row["digest"], row["member_id"]) == ("decision", False, member)
    configure(notifications, PARTY, "bureau", "bureau@baytaq.kz", "ru")
    sender(notifications, Contacts()).send_due()  # (the member's own notice of admission too)
    [email] = catcher.messages()
    assert email.rcpt_to == ["bureau@baytaq.kz"]
    assert email.language == "ru"
    assert f"билет {CARD}" in email.subject
    assert "Мажилис Парламента" in email.text
    assert "юридически значимое" in email.text
    [logged] = body_rows(notifications)
    assert (logged["status"], logged["language"]) == ("sent", "ru")


def test_a_body_notice_without_a_configured_address_fails_named_and_goes_once_one_is_configured(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    member, mandate = uuid.uuid4(), uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    apply(notifications, "registry.member.mandate_recorded", mandate_recorded(member, mandate))
    apply(notifications, "registry.member.national_mandate_at_stake",
          mandate_at_stake(member, mandate))  # fmt: skip
    mail = sender(notifications, Contacts())
    mail.send_due()
    [failed] = body_rows(notifications)
    assert (failed["status"], failed["last_error"]) == ("failed", "no-address-configured")
    assert catcher.messages() == []
    configure(notifications, PARTY, "bureau", "bureau@baytaq.kz", "en")
    with notifications.pool.connection() as conn, conn.transaction():
        notifications.deliveries.resend(conn, failed["notice_id"])
    assert mail.send_due() == 1
    [email] = catcher.messages()
    assert (email.rcpt_to, email.language) == (["bureau@baytaq.kz"], "en")


def test_the_service_keeps_card_and_ppo_from_member_events_and_forgets_them_on_erasure(
    notifications: Notifications,
) -> None:
    member = uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    apply(notifications, "registry.member.transferred", transferred(member))
    assert kept(notifications, member) == (CARD, UUID(OTHER_PPO), True)
    ended = {"member_id": str(member), "organisation_id": OTHER_PPO, "card_number": CARD,
             "reason": "withdrawal", "effective_on": "2025-05-01"}  # fmt: skip
    apply(notifications, "registry.member.membership_ended", ended)
    assert kept(notifications, member) == (CARD, UUID(OTHER_PPO), False)
    apply(notifications, "registry.member.personal_data_erased", {"member_id": str(member)})
    assert kept(notifications, member) is None


def kept_mandates(notifications: Notifications) -> int:
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url)) as conn:
        row = conn.execute(
            SQL("SELECT count(*) FROM {}").format(
                Identifier(settings.database_schema, "notifications_mandates")
            )
        ).fetchone()
    return int(row[0]) if row else 0


def kept(notifications: Notifications, member: UUID) -> tuple[Any, ...] | None:
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url)) as conn:
        return conn.execute(
            SQL("SELECT card_number, organisation_id, active FROM {} WHERE member_id = %s").format(
                Identifier(settings.database_schema, "notifications_members")
            ),
            (member,),
        ).fetchone()


# --- the residence clock (Ch. 3.6, 5.2) -----------------------------------------------------------


def follow_members(
    notifications: Notifications,
    broker: Broker,
    messages: list[Any],
    topic: str,
    until: Callable[[list[dict[str, Any]]], bool],
) -> None:
    """Run the members' consumer over `messages` until the body notices satisfy `until`."""
    produce(broker.bootstrap, messages)
    settings = notifications.settings
    follower = consumer(str(settings.database_url), settings.database_schema, broker.bootstrap,
                        [topic], f"notifications_{uuid.uuid4().hex[:8]}")  # fmt: skip
    with running(follower.run, "members consumer"):
        wait_for(lambda: until(body_rows(notifications)), what="the body notices")


def message(topic: str, member: UUID, data: dict[str, Any]) -> Any:
    event_id = str(uuid.uuid4())
    type_name = data["event_type"]
    return event_message(topic, event_id, type_name, {"event_id": event_id, **data}, str(member))


def test_a_reported_move_tells_the_ppo_and_its_branch_at_five_months_and_the_day_after_the_deadline(
    notifications: Notifications, kafka_broker: Broker
) -> None:
    """Ch. 5.2 / 3.6: six months to register at the new place. The PPO's and the branch's
    bureaus hear at five months (1 September, in their daily digest) and, if nothing
    happened, the day after the deadline (2 October, alone)."""
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    follow_members(notifications, kafka_broker,
                   [message(topic, member, admitted(member)), message(topic, member, residence(member))],
                   topic, lambda rows: len(rows) == 4)  # fmt: skip
    rows = {(r["template"], r["recipient"]): r for r in body_rows(notifications)}
    assert set(rows) == {
        (template, f"body:{body}:bureau")
        for template in ("residence_clock_five_months", "residence_clock_overdue")
        for body in (PPO, BRANCH)
    }
    five = rows[("residence_clock_five_months", f"body:{PPO}:bureau")]
    assert five["next_attempt_at"] == datetime(2025, 9, 1, tzinfo=ALMATY)
    assert five["digest"] is True
    overdue = rows[("residence_clock_overdue", f"body:{BRANCH}:bureau")]
    assert overdue["next_attempt_at"] == datetime(2025, 10, 2, 9, tzinfo=ALMATY)
    assert overdue["digest"] is False
    assert five["context"]["card_number"] == CARD
    assert {r["status"] for r in rows.values()} == {"queued"}


def test_a_transfer_that_registers_the_member_at_the_new_place_calls_the_residence_clock_off(
    notifications: Notifications, kafka_broker: Broker
) -> None:
    member, other = uuid.uuid4(), uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    follow_members(notifications, kafka_broker, [
        message(topic, member, admitted(member)), message(topic, member, residence(member)),
        message(topic, other, admitted(other)), message(topic, other, residence(other)),
        message(topic, member, transferred(member)),
        # a transfer for another reason leaves the clock running (Ch. 5.2)
        message(topic, other, transferred(other, closes=False)),
        # the last event on the partition: once applied, both transfers were
        message(topic, member, mandate_recorded(member, uuid.uuid4())),
    ], topic, lambda _: kept_mandates(notifications) == 1)  # fmt: skip
    rows = body_rows(notifications)
    assert {r["status"] for r in rows if r["member_id"] == member} == {"cancelled"}
    assert {r["status"] for r in rows if r["member_id"] == other} == {"queued"}
    assert all(
        r["last_error"].startswith("cancelled-by:partia.registry.member.transferred")
        for r in rows
        if r["member_id"] == member
    )


def test_the_membership_ending_calls_the_residence_clock_off(
    notifications: Notifications,
) -> None:
    member = uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    apply(notifications, "registry.member.residence_change_reported", residence(member))
    expelled = sanction_data(member)
    apply(notifications, "registry.member.sanction_imposed", expelled)
    assert {r["status"] for r in body_rows(notifications)} == {"cancelled"}


def test_the_overdue_residence_notice_goes_to_each_bureau_in_its_own_language(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    member = uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    apply(notifications, "registry.member.residence_change_reported", residence(member))
    configure(notifications, PPO, "bureau", "ppo7@baytaq.kz", "kk")
    configure(notifications, BRANCH, "bureau", "astana@baytaq.kz", "en")
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute(
            SQL("UPDATE {} SET next_attempt_at = now() WHERE template = %s").format(
                Identifier(settings.database_schema, "notifications_deliveries")
            ),
            ("residence_clock_overdue",),
        )
    sender(notifications, Contacts()).send_due()
    by_address = {email.rcpt_to[0]: email for email in catcher.messages()}
    assert by_address["ppo7@baytaq.kz"].language == "kk"
    assert "2025 ж. 1 қазан" in by_address["ppo7@baytaq.kz"].text.replace("\u202f", " ")
    assert "№7 БПҰ" in by_address["ppo7@baytaq.kz"].text  # the PPO, named in Kazakh
    assert "October 1, 2025" in by_address["astana@baytaq.kz"].text
    assert CARD in by_address["astana@baytaq.kz"].subject
    # the five-months items wait for the digest, never go alone
    assert {r["status"] for r in body_rows(notifications)
            if r["template"] == "residence_clock_five_months"} == {"queued"}  # fmt: skip
    make_due(notifications)
    sender(notifications, Contacts()).send_due()
    assert len(catcher.messages()) == 2


# --- appeals pending (Ch. 5.1) --------------------------------------------------------------------


def appeal_filed(member: UUID, sanction_id: str, appeal: UUID) -> dict[str, Any]:
    return {
        "event_type": "registry.member.appeal_filed",
        "member_id": str(member), "sanction_id": sanction_id, "appeal_id": str(appeal),
        "filed_on": "2025-12-10", "effective_on": "2025-12-10",
        "body": {"kind": "branch_bureau", "organisation_id": BRANCH},
        "document_reference": "Appeal No. 3",
    }  # fmt: skip


def test_an_appeal_pending_a_month_reminds_the_body_appealed_to_until_it_is_decided(
    notifications: Notifications,
) -> None:
    """Ch. 5.1 sets no period to decide an appeal: the service reads two months and reminds the
    body appealed to after one (decision 307), in its daily digest; the decision calls it off."""
    member, appeal = uuid.uuid4(), uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    sanction = sanction_data(member)
    apply(notifications, "registry.member.sanction_imposed", sanction)
    apply(notifications, "registry.member.appeal_filed",
          appeal_filed(member, sanction["sanction_id"], appeal))  # fmt: skip
    [pending] = body_rows(notifications)
    assert (pending["template"], pending["recipient"]) == ("appeal_pending",
                                                           f"body:{BRANCH}:bureau")  # fmt: skip
    assert pending["next_attempt_at"] == datetime(2026, 1, 9, tzinfo=ALMATY)  # filed + 30 days
    assert pending["digest"] is True
    context = pending["context"]
    assert (context["sanction"], context["card_number"], context["decide_by"],
            context["days_left"]) == ("expulsion", CARD, "2026-02-08", 30)  # fmt: skip
    decided = {"member_id": str(member), "sanction_id": sanction["sanction_id"],
               "appeal_id": str(appeal), "outcome": "upheld", "replacement": None,
               "decision": {"body": {"kind": "branch_bureau", "organisation_id": BRANCH},
                            "decided_on": "2025-12-20", "reference": "Minutes 9"},
               "effective_on": "2025-12-20"}  # fmt: skip
    apply(notifications, "registry.member.appeal_decided", decided)
    [called_off] = body_rows(notifications)
    assert called_off["status"] == "cancelled"
    assert called_off["last_error"].startswith("cancelled-by:partia.registry.member.appeal_decided")


def test_a_notice_to_a_body_is_not_published_as_if_the_member_had_been_told(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """`partia.notifications.v1` names the member a notice was addressed to: a body's notice
    about a member must not appear there as the member's own."""
    member, mandate = uuid.uuid4(), uuid.uuid4()
    apply(notifications, "registry.member.mandate_recorded", mandate_recorded(member, mandate))
    apply(notifications, "registry.member.national_mandate_at_stake",
          mandate_at_stake(member, mandate))  # fmt: skip
    configure(notifications, PARTY, "bureau", "bureau@baytaq.kz", "kk")
    sender(notifications, Contacts()).send_due()
    assert [r["status"] for r in body_rows(notifications)] == ["sent"]
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url)) as conn:
        published = conn.execute(
            SQL("SELECT count(*) FROM {}").format(
                Identifier(settings.database_schema, "notifications_outbox")
            )
        ).fetchone()
    assert published == (0,)
