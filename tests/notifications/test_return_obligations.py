"""Finance's return obligations become notices to the treasurer of the organisation that received
the donation (issue 13 item 2, decision 306): a reminder a week before the deadline (in the
treasurer's daily digest), the overdue notice at once and alone, settling calls them off. On a
real broker, through the obligations consumer `project` starts, to a real SMTP server."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from partia_contracts.finance.v1 import ObligationOpened
from partia_kit.broker import Broker
from partia_kit.messages import OutboundMessage, integration_message
from partia_kit.testing import running, wait_for
from partia_notifications.adapters import obligations
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from partia_notifications.domain.rendering import ALMATY
from tests.kit.support import new_topic, produce
from tests.notifications.support import BRANCH, Contacts, deliveries, sender


def opened(obligation: UUID, deadline: str = "2026-04-01") -> dict[str, Any]:
    """The contract's example: 50 000 ₸ from a foreign legal entity, received by the branch."""
    [example] = ObligationOpened.EXAMPLES
    return {**example, "event_id": str(uuid.uuid4()), "aggregate_id": str(obligation),
            "organisation_id": BRANCH, "deadline": deadline,
            "effective_on": "2026-03-02"}  # fmt: skip


def later(obligation: UUID, fact: str, **payload: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": f"finance.obligation.{fact}",
            "schema_version": 1, "aggregate_id": str(obligation), "aggregate_version": 2,
            **payload}  # fmt: skip


def message(topic: str, data: dict[str, Any]) -> OutboundMessage:
    return integration_message(
        topic=topic, key=data["aggregate_id"], event_id=data["event_id"],
        source="/partia/finance", event_type=f"partia.{data['event_type']}.v1",
        time=datetime(2026, 3, 2, tzinfo=UTC), subject=data["aggregate_id"],
        body=json.dumps(data).encode(), position=1,
    )  # fmt: skip


def follow(notifications: Notifications, broker: Broker, events: list[dict[str, Any]],
           until: int) -> None:  # fmt: skip
    """The obligations consumer over `events` until `until` notices are in the log and every
    settlement was applied."""
    topic = new_topic(broker.bootstrap)
    produce(broker.bootstrap, [message(topic, data) for data in events])
    settings = notifications.settings
    follower = obligations.consumer(
        str(settings.database_url), settings.database_schema, broker.bootstrap, topic
    )

    with running(follower.run, "obligations consumer"):
        wait_for(lambda: len(deliveries(notifications)) >= until, what="the treasurer's notices")
        wait_for(lambda: _settled(notifications, events), what="every event applied")


def _settled(notifications: Notifications, events: list[dict[str, Any]]) -> bool:
    """Every settled event's cancellation is visible."""
    settled = {e["aggregate_id"] for e in events if e["event_type"].endswith("settled")}
    rows = deliveries(notifications)
    return all(
        all(r["status"] == "cancelled" for r in rows if r["cancel_key"].endswith(obligation))
        for obligation in settled
    )


def test_the_treasurer_is_reminded_a_week_before_a_return_deadline_in_the_daily_digest(
    notifications: Notifications, kafka_broker: Broker
) -> None:
    obligation = uuid.uuid4()
    follow(notifications, kafka_broker, [opened(obligation)], 1)
    [row] = deliveries(notifications)
    assert (row["template"], row["recipient"]) == ("return_obligation_due",
                                                   f"body:{BRANCH}:treasurer")  # fmt: skip
    assert row["next_attempt_at"] == datetime(2026, 3, 25, tzinfo=ALMATY)  # 1 April - 7 days
    assert row["digest"] is True
    assert (row["context"]["days_left"], row["context"]["amount_tiyn"]) == (7, 5_000_000)


def test_a_settled_obligation_calls_its_reminder_off_and_one_past_its_deadline_goes_at_once(
    notifications: Notifications, kafka_broker: Broker, catcher: MailCatcher
) -> None:
    settled, overdue = uuid.uuid4(), uuid.uuid4()
    events = [
        opened(settled), later(settled, "settled", payment_reference="PP-9001", late=False),
        opened(overdue), later(overdue, "overdue", deadline="2026-04-01",
                               effective_on="2026-04-02"),
    ]  # fmt: skip
    follow(notifications, kafka_broker, events, 3)
    rows = {(r["template"], r["cancel_key"].split(":")[1]): r for r in deliveries(notifications)}
    assert rows[("return_obligation_due", str(settled))]["status"] == "cancelled"
    # past the deadline, the reminder before it has nothing left to say
    assert rows[("return_obligation_due", str(overdue))]["status"] == "cancelled"
    late = rows[("return_obligation_overdue", str(overdue))]
    assert (late["status"], late["digest"], late["context"]["days_overdue"]) == ("queued", False, 1)

    notifications.addresses.put(
        UUID(BRANCH), "treasurer", email="treasurer.astana@baytaq.kz", language="ru", by="test"
    )
    sender(notifications, Contacts()).send_due()
    [email] = catcher.messages()
    assert email.rcpt_to == ["treasurer.astana@baytaq.kz"]
    assert "просрочен на 1 день" in email.subject
    assert "50\xa0000,00\xa0₸" in email.text
    assert "1 апреля 2026" in email.text
