"""Finance's return obligations on Kafka (`partia.finance.obligations.v1`): the treasurer of the
receiving organisation is reminded before the deadline and told when it passed; settling calls
both off (issue 13 item 2, decision 306). Queued like the registry's notices
(`adapters/events.py`): once per event, template and recipient, in the transaction that records
the event as applied; what the notices say of an obligation is kept by `adapters/bodies.py`."""

from __future__ import annotations

from partia_contracts.topics import FINANCE
from partia_kit.consumer import Consumer
from partia_notifications.adapters import events
from partia_notifications.domain import bodies

TOPIC = FINANCE.channel("obligations").topic
CONSUMER_NAME = "notifications_obligations"


TYPES = tuple(
    f"{name}.v1"
    for name in (bodies.OBLIGATION_OPENED, bodies.OBLIGATION_OVERDUE, bodies.OBLIGATION_SETTLED)
)


def consumer(database_url: str, schema: str, bootstrap: str, topic: str = TOPIC) -> Consumer:
    return events.consumer(database_url, schema, bootstrap, [topic], CONSUMER_NAME, TYPES)
