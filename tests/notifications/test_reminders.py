"""The appeal-deadline reminder against real parts (issue 13 item 5; decisions 299-301): queued
in a real PostgreSQL for its date, the registry's events on a real broker, email to a real SMTP
server; quiet hours applied by the sender with a clock of the test's own."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from partia_kit.broker import Broker
from partia_kit.testing import running, wait_for
from partia_notifications.adapters.events import follow, handlers
from partia_notifications.adapters.smtp import SmtpMailer
from partia_notifications.api.app import create_app
from partia_notifications.application.ports import Contact
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from partia_notifications.domain.policies.quiet_hours import parse_quiet_hours
from partia_notifications.domain.rendering import ALMATY
from partia_notifications.settings import NotificationsSettings
from tests.kit.support import new_topic, produce
from tests.notifications.support import (
    PPO,
    Contacts,
    _incoming,
    deliveries,
    event_message,
    make_due,
    sanction_data,
    sender,
)

SANCTION = "registry.member.sanction_imposed"
FILED = "registry.member.appeal_filed"
SUBMITTED = "registry.member.application_submitted"
ARREARS = "partia.finance.dues.arrears_threshold_reached.v1"
REMINDER = "appeal_deadline_reminder"
AUDITOR = {"Authorization": "Bearer auditor-token"}


def sanction_now(member: UUID) -> dict[str, Any]:
    """An expulsion decided today (the real today: the consumer reads the real clock),
    appealable for ninety days more: its reminder is still to come."""
    today = datetime.now(UTC).date()
    data = sanction_data(member, decided_on=today.isoformat())
    data["appeal_deadline"] = (today + timedelta(days=90)).isoformat()
    return data


def reminded_at(data: dict[str, Any]) -> datetime:
    """Fourteen days before the last day to appeal, 10:00 in Almaty (decision 299)."""
    deadline = date.fromisoformat(data["appeal_deadline"])
    return datetime.combine(deadline - timedelta(days=14), datetime.min.time(), ALMATY).replace(
        hour=10
    )


def appeal(data: dict[str, Any]) -> dict[str, Any]:
    """The member appeals the sanction `data` imposed (registry.member.appeal_filed)."""
    return {
        "event_id": str(uuid.uuid4()), "member_id": data["member_id"],
        "sanction_id": data["sanction_id"], "appeal_id": str(uuid.uuid4()),
        "filed_on": data["decision"]["decided_on"], "effective_on": data["decision"]["decided_on"],
        "body": {"kind": "branch_bureau", "organisation_id": PPO},
        "document_reference": "Appeal No. 3",
    }  # fmt: skip


def submitted(member: UUID) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "member_id": str(member), "organisation_id": PPO,
            "effective_on": "2025-03-01", "application_document": None}  # fmt: skip


def apply(notifications: Notifications, type_: str, data: dict[str, Any]) -> str:
    """What the consumer does with one event; the event's id."""
    handler = handlers(notifications.settings.database_schema)[type_]
    event = _incoming(type_, data)
    with psycopg.connect(str(notifications.settings.database_url)) as conn:
        handler(conn, event)
    return event.id


def by_template(notifications: Notifications) -> dict[str, dict[str, Any]]:
    return {d["template"]: d for d in deliveries(notifications)}


def consume_until(
    notifications: Notifications,
    broker: Broker,
    topic: str,
    done: Callable[[list[dict[str, Any]]], bool],
    what: str,
) -> None:
    """A consumer of a group of its own (so reading the topic from its start) until `done`."""
    settings = notifications.settings
    name = f"notifications_{uuid.uuid4().hex[:8]}"

    def run(stop: threading.Event) -> None:
        follow(str(settings.database_url), settings.database_schema, broker.bootstrap, stop,
               [topic], name)  # fmt: skip

    with running(run, "consumer"):
        wait_for(lambda: done(deliveries(notifications)), what=what)


def test_a_sanction_queues_the_appeal_reminder_for_its_date_and_it_is_not_sent_before(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """Ch. 5.1: the member is reminded two weeks before the last day to appeal, not at once."""
    member = uuid.uuid4()
    data = sanction_now(member)
    apply(notifications, f"partia.{SANCTION}.v1", data)
    reminder = by_template(notifications)[REMINDER]
    assert (reminder["status"], reminder["attempts"]) == ("queued", 0)
    assert reminder["next_attempt_at"] == reminded_at(data)
    assert reminder["cancel_key"] == f"appeal-deadline:{data['sanction_id']}"
    assert reminder["category"] == "decision"

    contacts = Contacts({member: Contact("Aruzhan", "a@example.kz", "en")})
    mail = sender(notifications, contacts)
    assert mail.send_due() == 1  # the sanction's own notice; the reminder is not due
    assert mail.send_due() == 0
    [sanction_email] = catcher.messages()
    assert "Reminder" not in sanction_email.subject
    assert by_template(notifications)[REMINDER]["status"] == "queued"


def test_the_appeal_reminder_is_sent_when_its_day_comes_with_the_last_day_and_the_body(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    member = uuid.uuid4()
    data = sanction_now(member)
    apply(notifications, f"partia.{SANCTION}.v1", data)
    contacts = Contacts({member: Contact("Ержан", "e@example.kz", "ru")})
    mail = sender(notifications, contacts)
    mail.send_due()
    make_due(notifications)  # what time does: its day has come
    assert mail.send_due() == 1
    reminder_email = catcher.messages()[-1]
    deadline = date.fromisoformat(data["appeal_deadline"])
    assert reminder_email.subject.startswith("Напоминание: последний день обжалования")
    assert "осталось 14 дней" in reminder_email.text
    assert f"{deadline.day} " in reminder_email.text
    assert "Бюро Политического совета филиала (Astana)" in reminder_email.text
    assert "юридически значимое уведомление" in reminder_email.text
    sent = by_template(notifications)[REMINDER]
    assert (sent["status"], sent["language"]) == ("sent", "ru")


def test_a_filed_appeal_cancels_its_deadline_reminder_and_a_redelivered_sanction_does_not_revive_it(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    """Ch. 5.1 (the issue's test 'reminder cancelled by a filed appeal'): once appealed, no
    reminder to appeal; Kafka redelivering the sanction, or replaying the whole topic, does not
    queue it again."""
    member, other = uuid.uuid4(), uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data, filed, last = sanction_now(member), None, submitted(other)
    filed = appeal(data)
    sanction = event_message(topic, data["event_id"], SANCTION, data, str(member))
    produce(kafka_broker.bootstrap, [
        sanction,
        event_message(topic, filed["event_id"], FILED, filed, str(member)),
        sanction,  # redelivered after the appeal
        event_message(topic, last["event_id"], SUBMITTED, last, str(other)),
    ])  # fmt: skip

    def read(logged: list[dict[str, Any]]) -> bool:
        return any(d["member_id"] == other for d in logged)

    consume_until(notifications, kafka_broker, topic, read, "the events read")
    reminders = [d for d in deliveries(notifications) if d["template"] == REMINDER]
    [cancelled] = reminders
    assert cancelled["status"] == "cancelled"
    assert cancelled["last_error"] == f"cancelled-by:partia.{FILED}:{filed['event_id']}"

    # a replay: another consumer group reads the topic from its first offset
    later = submitted(uuid.uuid4())
    produce(kafka_broker.bootstrap,
            [event_message(topic, later["event_id"], SUBMITTED, later, "k")])  # fmt: skip

    def replayed(logged: list[dict[str, Any]]) -> bool:
        return any(d["member_id"] == UUID(later["member_id"]) for d in logged)

    consume_until(notifications, kafka_broker, topic, replayed, "the topic read again")
    [still] = [d for d in deliveries(notifications) if d["template"] == REMINDER]
    assert (still["notice_id"], still["status"]) == (cancelled["notice_id"], "cancelled")

    make_due(notifications)  # even on its day
    contacts = Contacts({member: Contact("Test", "appealed@example.kz", "en")})
    sender(notifications, contacts).send_due()
    to_member = [m for m in catcher.messages() if m.rcpt_to == ["appealed@example.kz"]]
    assert [m.subject.startswith("Party sanction") for m in to_member] == [True]


def test_an_appeal_against_another_sanction_leaves_this_ones_reminder(
    notifications: Notifications,
) -> None:
    member = uuid.uuid4()
    first, second = sanction_now(member), sanction_now(member)
    first["kind"] = "warning"
    apply(notifications, f"partia.{SANCTION}.v1", first)
    apply(notifications, f"partia.{SANCTION}.v1", second)
    apply(notifications, f"partia.{FILED}.v1", appeal(first))
    statuses = {
        d["cancel_key"]: d["status"] for d in deliveries(notifications) if d["template"] == REMINDER
    }
    assert statuses == {
        f"appeal-deadline:{first['sanction_id']}": "cancelled",
        f"appeal-deadline:{second['sanction_id']}": "queued",
    }


def test_a_member_who_withdraws_is_no_longer_reminded_to_appeal_but_an_expelled_one_is(
    notifications: Notifications,
) -> None:
    """Ch. 5.1 is a member's right; Ch. 3.6: leaving ends the membership. A reprimand's reminder
    is called off by the withdrawal that follows it (and the log says by what); another member's
    expulsion, which ends the membership itself, keeps its reminder."""
    leaving, expelled = uuid.uuid4(), uuid.uuid4()
    reprimand, expulsion = sanction_now(leaving), sanction_now(expelled)
    reprimand["kind"] = "reprimand"
    apply(notifications, f"partia.{SANCTION}.v1", reprimand)
    apply(notifications, f"partia.{SANCTION}.v1", expulsion)
    ended = {"event_id": str(uuid.uuid4()), "member_id": str(leaving), "organisation_id": PPO,
             "card_number": "BQ-0000001-5", "reason": "withdrawal",
             "effective_on": datetime.now(UTC).date().isoformat()}  # fmt: skip
    ended_id = apply(notifications, "partia.registry.member.membership_ended.v1", ended)
    reminders = {
        d["member_id"]: (d["status"], d["last_error"])
        for d in deliveries(notifications)
        if d["template"] == REMINDER
    }
    assert reminders == {
        leaving: ("cancelled", f"cancelled-by:partia.registry.member.membership_ended:{ended_id}"),
        expelled: ("queued", None),
    }


def test_opting_out_of_reminders_stops_the_arrears_reminder_but_never_the_appeal_deadline_one(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """Ch. 5.1 (the issue's test 'opt-out respected for reminders, not for sanctions'): the
    last day to appeal is legally significant; dues arrears are a reminder the member refused."""
    member = uuid.uuid4()
    notifications.preferences.change(member, reminders=False, information=True, by="member")
    apply(notifications, f"partia.{SANCTION}.v1", sanction_now(member))
    apply(notifications, ARREARS, {"event_id": str(uuid.uuid4()), "aggregate_id": str(member),
          "months_owed": 3, "amount_tiyn": 129_750, "effective_on": "2026-06-01"})  # fmt: skip
    make_due(notifications)  # the reminder's day has come
    contacts = Contacts({member: Contact("Aruzhan", "a@example.kz", "en")})
    assert sender(notifications, contacts).send_due() == 3
    logged = by_template(notifications)
    assert (logged["dues_arrears"]["status"], logged["dues_arrears"]["last_error"]) == (
        "withheld", "opted-out:reminder"
    )  # fmt: skip
    assert logged[REMINDER]["status"] == "sent"
    assert logged["sanction_imposed"]["status"] == "sent"
    [reminder_email] = [m for m in catcher.messages() if m.subject.startswith("Reminder")]
    assert "it is always sent, even if you have opted out of reminders" in reminder_email.text


def test_at_night_a_reminder_waits_for_the_morning_while_a_sanction_goes_at_once(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    """Quiet hours 22:00-08:00 in Almaty (decision 300); Ch. 5.1: a sanction is never held."""
    member = uuid.uuid4()
    apply(notifications, f"partia.{SANCTION}.v1", sanction_data(member))
    apply(notifications, ARREARS, {"event_id": str(uuid.uuid4()), "aggregate_id": str(member),
          "months_owed": 3, "amount_tiyn": 129_750, "effective_on": "2026-06-01"})  # fmt: skip
    contacts = Contacts({member: Contact("Ержан", "e@example.kz", "ru")})
    night = sender(notifications, contacts)
    night.quiet = parse_quiet_hours("22:00-08:00")
    night.clock = lambda: datetime(2026, 6, 1, 23, 30, tzinfo=ALMATY)
    assert night.send_due() == 2
    [sanction_email] = catcher.messages()
    assert "взыскание" in sanction_email.subject.lower()
    held = by_template(notifications)["dues_arrears"]
    assert (held["status"], held["attempts"], held["last_error"]) == ("queued", 0, "quiet-hours")
    assert held["next_attempt_at"] == datetime(2026, 6, 2, 8, 0, tzinfo=ALMATY)
    assert contacts.asked == 1  # the held reminder did not even ask the registry

    morning = sender(notifications, contacts)
    morning.quiet = night.quiet
    morning.clock = lambda: datetime(2026, 6, 2, 8, 0, tzinfo=ALMATY)
    assert morning.send_due() == 1  # its moment (a past one, for this clock) has come
    assert len(catcher.messages()) == 2
    sent = by_template(notifications)["dues_arrears"]
    assert (sent["status"], sent["attempts"], sent["last_error"]) == ("sent", 1, None)


@pytest.fixture
def client(
    notifications_settings: NotificationsSettings, notifications: Notifications
) -> Iterator[TestClient]:
    with TestClient(create_app(notifications_settings)) as opened:
        yield opened


def test_an_auditor_sees_the_reminder_queued_for_its_date_and_then_what_cancelled_it(
    client: TestClient, notifications: Notifications
) -> None:
    member = uuid.uuid4()
    data = sanction_now(member)
    sanction_event = apply(notifications, f"partia.{SANCTION}.v1", data)
    path = f"/members/{member}/deliveries"
    queued = {i["template"]: i for i in client.get(path, headers=AUDITOR).json()["items"]}
    reminder = queued[REMINDER]
    assert reminder["status"] == "queued"
    assert datetime.fromisoformat(reminder["next_attempt_at"]) == reminded_at(data)
    assert reminder["cancel_key"] == f"appeal-deadline:{data['sanction_id']}"
    by_event = client.get(f"/events/{sanction_event}/deliveries", headers=AUDITOR).json()
    assert {i["template"] for i in by_event["items"]} == {"sanction_imposed", REMINDER}

    filed_event = apply(notifications, f"partia.{FILED}.v1", appeal(data))
    after = {i["template"]: i for i in client.get(path, headers=AUDITOR).json()["items"]}
    assert after[REMINDER]["status"] == "cancelled"
    assert after[REMINDER]["last_error"] == f"cancelled-by:partia.{FILED}:{filed_event}"
    assert after["sanction_imposed"]["status"] == "queued"  # the sanction's notice still goes
    one = client.get(f"/deliveries/{reminder['notice_id']}", headers=AUDITOR).json()
    assert one["status"] == "cancelled"
    metrics = client.get("/metrics").text
    assert 'partia_notifications_deliveries{status="cancelled"} 1.0' in metrics


@pytest.mark.parametrize(
    "subject",
    [
        "Напоминание: последний день обжалования взыскания (выговор) — 28 февраля 2027\u202fг.",
        "Партийное взыскание: предупреждение. Обжаловать можно до 28 февраля 2027\u202fг.",
        "Еске салу: жазаға (сөгіс) шағым берудің соңғы күні — 2027\u202fж. 28 ақпан",
    ],
)
def test_a_long_subject_in_cyrillic_arrives_with_every_space(
    notifications_settings: NotificationsSettings, catcher: MailCatcher, subject: str
) -> None:
    """Decision 301: folded by Python's header folder, the first two lost a space at the fold."""
    settings = notifications_settings
    mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from, timeout=5)
    try:
        mailer.send("a@example.kz", subject, "text\n", notice_id="n-1", language="ru")
    finally:
        mailer.close()
    [email] = catcher.messages()
    assert email.subject == subject
