"""Finance's dues events on Kafka (`partia.finance.dues.v1`): a member whose unpaid months reached
the party's threshold gets the `dues_arrears` reminder (issue 13 item 2; a reminder, so a member
may opt out of it). Queued like the registry's notices (`adapters/events.py`): once per event,
template and recipient, in the transaction that records the event as applied."""

from __future__ import annotations

from partia_contracts.topics import FINANCE, ce_type
from partia_kit.consumer import Consumer
from partia_notifications.adapters import events

TOPIC = FINANCE.channel("dues").topic
CONSUMER_NAME = "notifications_dues"
ARREARS = ce_type("finance.dues.arrears_threshold_reached", 1)


def consumer(database_url: str, schema: str, bootstrap: str, topic: str = TOPIC) -> Consumer:
    return events.consumer(database_url, schema, bootstrap, [topic], CONSUMER_NAME, [ARREARS])
