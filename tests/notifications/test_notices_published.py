"""What became of each notice, as integration events on `partia.notifications.v1` (issue 13
item 7, decision 279): the outcome is written to the outbox with the delivery log's row, and the
relay publishes it; no personal data travels."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from partia_contracts.notifications.v1 import NoticeSent, NoticeWithheld
from partia_kit.broker import Broker
from partia_kit.relay import Relay
from partia_kit.testing import read_topic, running, wait_for
from partia_notifications import relay
from partia_notifications.application.ports import Contact, Erased
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from tests.notifications.support import Contacts, sanction_data, sender
from tests.notifications.test_preferences import SANCTION, apply


def outbox(notifications: Notifications) -> list[dict[str, Any]]:
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url)) as conn:
        rows = conn.execute(
            SQL("SELECT topic, state FROM {} ORDER BY notification_id").format(
                Identifier(settings.database_schema, "notifications_outbox")
            )
        ).fetchall()
    return [json.loads(bytes(state)) for _, state in rows]


def test_a_sent_and_a_withheld_notice_are_each_one_event_with_no_address_or_name(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    told, erased = uuid.uuid4(), uuid.uuid4()
    apply(notifications, SANCTION, sanction_data(told))
    apply(notifications, SANCTION, sanction_data(erased))
    contacts = Contacts({told: Contact("Secretname", "secret@example.kz", "kk"), erased: Erased()})
    assert sender(notifications, contacts).send_due() == 2
    events = {e["member_id"]: e for e in outbox(notifications)}
    sent = NoticeSent.model_validate(events[str(told)])
    assert (sent.template, sent.category, sent.language) == ("sanction_imposed", "decision", "kk")
    assert sent.aggregate_version == 1
    withheld = NoticeWithheld.model_validate(events[str(erased)])
    assert withheld.reason == "personal-data-erased"
    assert "secret" not in json.dumps(list(events.values())).lower()


def test_the_relay_publishes_each_outcome_keyed_by_notice(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    apply(notifications, SANCTION, sanction_data(member))
    sender(notifications, Contacts({member: Contact("A", "a@example.kz", "en")})).send_due()
    [written] = outbox(notifications)
    config = relay.config(notifications.settings, kafka_broker.bootstrap)
    published = Relay(config, relay.to_messages)

    def run(stop: threading.Event) -> None:
        published.run(stop)

    with running(run, "relay"):
        wait_for(lambda: published.published >= 1, what="the outcome published")
    found = [
        r
        for r in read_topic(kafka_broker.bootstrap, relay.TOPIC, quiet=0.5)
        if r.headers["ce_id"].decode() == written["event_id"]
    ]
    [message] = found
    assert message.key == written["notice_id"].encode()
    assert message.headers["ce_type"] == b"partia.notifications.notice.sent.v1"
