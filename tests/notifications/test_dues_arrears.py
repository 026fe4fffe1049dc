"""Finance's dues arrears become a reminder to the member (issue 13 item 2, 'dues arrears, when
finance exists'): the event on a real broker, the dues consumer, the delivery log, a real SMTP
server. A reminder: a member who opted out of reminders does not get it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from partia_contracts.finance.v1 import DuesArrearsThresholdReached
from partia_kit.broker import Broker
from partia_kit.messages import integration_message
from partia_kit.testing import running, wait_for
from partia_notifications.adapters import dues
from partia_notifications.application.ports import Contact
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from tests.kit.support import new_topic, produce
from tests.notifications.support import Contacts, deliveries, sender


def arrears(member: uuid.UUID) -> dict[str, Any]:
    """The contract's example, about `member`: three months, 1 297,50 ₸."""
    [example] = DuesArrearsThresholdReached.EXAMPLES
    return {**example, "event_id": str(uuid.uuid4()), "aggregate_id": str(member),
            "effective_on": "2026-06-01"}  # fmt: skip


def deliver(notifications: Notifications, broker: Broker, data: dict[str, Any]) -> None:
    topic = new_topic(broker.bootstrap)
    message = integration_message(
        topic=topic, key=data["aggregate_id"], event_id=data["event_id"],
        source="/partia/finance", event_type=dues.ARREARS, time=datetime(2026, 6, 1, tzinfo=UTC),
        subject=data["aggregate_id"], body=json.dumps(data).encode(), position=1,
    )  # fmt: skip
    produce(broker.bootstrap, [message, message])  # redelivered: still one notice
    settings = notifications.settings
    follower = dues.consumer(
        str(settings.database_url), settings.database_schema, broker.bootstrap, topic
    )
    with running(follower.run, "dues consumer"):
        wait_for(lambda: len(deliveries(notifications)) == 1, what="the reminder queued")


def test_a_member_in_arrears_is_reminded_once_in_their_language_with_months_and_tenge(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    deliver(notifications, kafka_broker, arrears(member))
    contacts = Contacts({member: Contact("Ержан", "e@example.kz", "ru")})
    assert sender(notifications, contacts).send_due() == 1
    [email] = catcher.messages()
    assert email.subject == "Задолженность по членским взносам за 3 месяца"
    assert "1\xa0297,50\xa0₸" in email.text
    assert "1 июня 2026" in email.text
    [logged] = deliveries(notifications)
    assert (logged["template"], logged["category"], logged["status"]) == (
        "dues_arrears", "reminder", "sent"
    )  # fmt: skip


def test_a_member_who_opted_out_of_reminders_gets_no_arrears_reminder(
    notifications: Notifications, catcher: MailCatcher, kafka_broker: Broker
) -> None:
    member = uuid.uuid4()
    notifications.preferences.change(member, reminders=False, information=True, by="member")
    deliver(notifications, kafka_broker, arrears(member))
    contacts = Contacts({member: Contact("Ержан", "e@example.kz", "kk")})
    assert sender(notifications, contacts).send_due() == 1
    assert catcher.messages() == []
    [logged] = deliveries(notifications)
    assert (logged["status"], logged["last_error"]) == ("withheld", "opted-out:reminder")
