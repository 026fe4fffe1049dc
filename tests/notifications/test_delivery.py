"""The delivery path against real parts: the registry's events on a real broker, the delivery log
in a real PostgreSQL, email to a real SMTP server (aiosmtpd). Only the registry's contact answers
are held in memory here (the real registry answers in tests/e2e/test_notifications_service.py)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from partia_kit.broker import Broker
from partia_kit.messages import IncomingEvent
from partia_kit.testing import running, wait_for
from partia_notifications.adapters.events import follow, handlers
from partia_notifications.adapters.smtp import SmtpMailer
from partia_notifications.application.ports import Contact, Erased
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from tests.kit.support import new_topic, produce
from tests.notifications.support import (
    Contacts,
    deliveries,
    event_message,
    make_due,
    sanction_data,
    sender,
)

SANCTION = "registry.member.sanction_imposed"


def consume(notifications: Notifications, broker: Broker, topic: str, expected: int) -> None:
    """Run the consumer until `expected` notices are in the log."""
    settings = notifications.settings
    name = f"notifications_{uuid.uuid4().hex[:8]}"

    def run(stop: threading.Event) -> None:
        follow(
            str(settings.database_url),
            settings.database_schema,
            broker.bootstrap,
            stop,
            [topic],
            name,
        )

    with running(run, "consumer"):
        wait_for(lambda: len(deliveries(notifications)) >= expected, what="the notices queued")


def test_an_expulsion_on_kafka_becomes_one_email_stating_the_appeal_deadline_even_when_redelivered(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    """Ch. 5.1: the member is told the last day to appeal and to whom. Kafka delivers the event
    three times (a relay republishing, a consumer crash before its commit): one notice, one email."""
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    event_id = data["event_id"]
    message = event_message(topic, event_id, SANCTION, data, str(member))
    produce(kafka_broker.bootstrap, [message, message, message])
    consume(notifications, kafka_broker, topic, 1)
    # and a consumer of another group reading the topic again from the start (a replay)
    consume(notifications, kafka_broker, topic, 1)
    assert len(deliveries(notifications)) == 1

    contacts = Contacts({member: Contact("Mover Test", "mover@example.kz", "ru")})
    mail = sender(notifications, contacts)
    assert mail.send_due() == 1
    assert mail.send_due() == 0
    [email] = catcher.messages()
    assert email.rcpt_to == ["mover@example.kz"]
    assert email.language == "ru"  # the language the registry answered for the person
    assert "28 февраля 2026" in email.text  # the deadline, in the person's Russian
    assert "Бюро Политического совета филиала (Astana)" in email.text  # the body, named
    assert "ППО №7" in email.text  # the deciding organisation, in Russian
    [logged] = deliveries(notifications)
    assert (logged["status"], logged["attempts"], logged["language"]) == ("sent", 1, "ru")
    assert logged["event_id"] == event_id
    assert email.notice == str(logged["notice_id"])


def test_the_delivery_log_keeps_no_address_and_no_name(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    produce(kafka_broker.bootstrap, [event_message(topic, data["event_id"], SANCTION, data, "k")])
    consume(notifications, kafka_broker, topic, 1)
    contacts = Contacts({member: Contact("Zhanar Secretname", "zhanar@secret.kz", "kk")})
    sender(notifications, contacts).send_due()
    assert len(catcher.messages()) == 1
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url)) as conn:
        dump = repr(
            conn.execute(
                SQL("SELECT * FROM {}").format(
                    Identifier(settings.database_schema, "notifications_deliveries")
                )
            ).fetchall()
        )
    assert "secret" not in dump.lower()


def test_with_the_mail_server_down_a_notice_is_retried_and_delivered_later_and_logged(
    notifications: Notifications, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    produce(kafka_broker.bootstrap, [event_message(topic, data["event_id"], SANCTION, data, "k")])
    consume(notifications, kafka_broker, topic, 1)
    contacts = Contacts({member: Contact("Test", "down@example.kz", "en")})
    mail = sender(notifications, contacts, first=3600, cap=7200)

    assert mail.send_due() == 1  # nobody listens on the SMTP port
    [waiting] = deliveries(notifications)
    assert (waiting["status"], waiting["attempts"]) == ("queued", 1)
    assert waiting["last_error"].startswith("smtp:")
    assert mail.send_due() == 0  # not due again for an hour (the backoff)

    catcher = MailCatcher("127.0.0.1", notifications.settings.smtp_port).start()
    try:
        make_due(notifications)
        assert mail.send_due() == 1
        [email] = catcher.messages()
    finally:
        catcher.stop()
    assert "February 28, 2026" in email.text  # in the person's English
    [sent] = deliveries(notifications)
    assert (sent["status"], sent["attempts"], sent["last_error"]) == ("sent", 2, None)


def test_a_notice_that_keeps_failing_is_marked_failed_with_the_reason(
    notifications: Notifications, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    produce(kafka_broker.bootstrap, [event_message(topic, data["event_id"], SANCTION, data, "k")])
    consume(notifications, kafka_broker, topic, 1)
    contacts = Contacts(down=True)
    mail = sender(notifications, contacts, max_attempts=3)
    for _ in range(3):
        make_due(notifications)
        mail.send_due()
    [failed] = deliveries(notifications)
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert failed["last_error"] == "registry: ConnectError"
    make_due(notifications)
    assert mail.send_due() == 0


def test_an_erased_person_gets_nothing(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    """DOMAIN §8: nothing goes to a person whose data was erased, and nothing about them is kept."""
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    produce(kafka_broker.bootstrap, [event_message(topic, data["event_id"], SANCTION, data, "k")])
    consume(notifications, kafka_broker, topic, 1)
    sender(notifications, Contacts({member: Erased()})).send_due()
    assert catcher.messages() == []
    [withheld] = deliveries(notifications)
    assert (withheld["status"], withheld["last_error"]) == ("withheld", "personal-data-erased")


def test_an_erasure_on_kafka_withholds_what_was_still_queued_for_the_person(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    erased = {"member_id": str(member), "legal_basis": "the person's request"}
    produce(
        kafka_broker.bootstrap,
        [
            event_message(topic, data["event_id"], SANCTION, data, str(member)),
            event_message(
                topic,
                str(uuid.uuid4()),
                "registry.member.personal_data_erased",
                erased,
                str(member),
            ),
        ],
    )
    consume(notifications, kafka_broker, topic, 1)
    wait_for(lambda: deliveries(notifications)[0]["status"] == "withheld", what="withheld")
    contacts = Contacts({member: Contact("Gone", "gone@example.kz", "ru")})
    assert sender(notifications, contacts).send_due() == 0
    assert catcher.messages() == []


def test_two_senders_at_once_send_each_notice_once(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    topic = new_topic(kafka_broker.bootstrap)
    members = [uuid.uuid4() for _ in range(30)]
    messages = []
    for member in members:
        data = sanction_data(member)
        messages.append(event_message(topic, data["event_id"], SANCTION, data, str(member)))
    produce(kafka_broker.bootstrap, messages)
    consume(notifications, kafka_broker, topic, 30)
    contacts = Contacts({m: Contact("Test", f"{m}@example.kz", "kk") for m in members})
    senders = [sender(notifications, contacts), sender(notifications, contacts)]
    for one in senders:
        one.batch = 3
    stop = threading.Event()
    threads = [threading.Thread(target=s.run, args=(stop, 0.05)) for s in senders]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(catcher.messages()) >= 30, what="30 emails")
        wait_for(
            lambda: all(d["status"] == "sent" for d in deliveries(notifications)), what="all sent"
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    recipients = sorted(r for m in catcher.messages() for r in m.rcpt_to)
    assert recipients == sorted(f"{m}@example.kz" for m in members)


def test_a_mail_server_that_requires_auth_gets_the_configured_user_and_a_wrong_password_is_retried(
    notifications: Notifications, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    topic = new_topic(kafka_broker.bootstrap)
    data = sanction_data(member)
    produce(kafka_broker.bootstrap, [event_message(topic, data["event_id"], SANCTION, data, "k")])
    consume(notifications, kafka_broker, topic, 1)
    contacts = Contacts({member: Contact("Test", "auth@example.kz", "ru")})
    settings = notifications.settings
    catcher = MailCatcher("127.0.0.1", settings.smtp_port, credentials=("partia", "s3cret"))
    catcher.start()
    try:
        wrong = sender(notifications, contacts)
        wrong.mailer = SmtpMailer(
            settings.smtp_host, settings.smtp_port, settings.mail_from, username="partia",
            password="wrong", timeout=5,
        )  # fmt: skip
        wrong.send_due()
        [waiting] = deliveries(notifications)
        assert (waiting["status"], waiting["last_error"]) == (
            "queued",
            "smtp: authentication refused (535)",
        )
        assert catcher.messages() == []
        right = sender(notifications, contacts)
        right.mailer = SmtpMailer(
            settings.smtp_host, settings.smtp_port, settings.mail_from, username="partia",
            password="s3cret", timeout=5,
        )  # fmt: skip
        make_due(notifications)
        right.send_due()
        [email] = catcher.messages()
    finally:
        catcher.stop()
    assert email.rcpt_to == ["auth@example.kz"]
    assert deliveries(notifications)[0]["status"] == "sent"


def test_a_notice_that_fails_unexpectedly_waits_and_does_not_hold_up_the_others(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    broken, fine = uuid.uuid4(), uuid.uuid4()
    schema = notifications.settings.database_schema
    for member in (broken, fine):
        data = sanction_data(member)
        event = IncomingEvent(
            "partia.registry.members.v1", 0, 0, None, data["event_id"], f"partia.{SANCTION}.v1",
            "/partia/registry", str(member), {}, data,
        )  # fmt: skip
        with notifications.pool.connection() as conn, conn.transaction():
            handlers(schema)[event.type](conn, event)

    class Surprising(Contacts):
        def contact(self, member_id: uuid.UUID) -> Any:
            if member_id == broken:
                raise ValueError("the registry answered something odd")
            return super().contact(member_id)

    contacts = Surprising({fine: Contact("Fine", "fine@example.kz", "en")})
    assert sender(notifications, contacts, first=3600, cap=3600).send_due() == 2
    assert [m.rcpt_to for m in catcher.messages()] == [["fine@example.kz"]]
    statuses = {d["member_id"]: (d["status"], d["last_error"]) for d in deliveries(notifications)}
    assert statuses[broken] == ("queued", "unexpected: ValueError")
    assert statuses[fine] == ("sent", None)
