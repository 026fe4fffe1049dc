"""`partia-notifications relay`: the notices' outcomes onto Kafka, `partia.notifications.v1`,
keyed by notice id (decision 279). The kit's relay (`partia_kit.relay`: in order, acknowledged
before its position moves, one active copy under an advisory lock, a second one standing by) reads
`notifications_outbox`, whose rows hold each contract event's JSON."""

from __future__ import annotations

import argparse
import json
import logging

from partia_contracts.topics import NOTIFICATIONS
from partia_kit.messages import OutboundMessage, contract_message
from partia_kit.relay import Relay, RelayConfig, StoredRecord, republish_from
from partia_kit.signals import stop_event_on_signals
from partia_notifications.adapters.outbox import TABLE, outcome_model
from partia_notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)

TOPIC = NOTIFICATIONS.channel("notices").topic
TOPICS = {channel.topic: channel.partitions for channel in NOTIFICATIONS.channels}
RELAY_NAME = "notifications"


def to_messages(record: StoredRecord) -> list[OutboundMessage]:
    """An outbox row → its message (the row's `topic` column holds the event type)."""
    contract = outcome_model(record.topic).model_validate(json.loads(record.state))
    return [contract_message(TOPIC, contract, NOTIFICATIONS.source, record.position)]


def config(settings: NotificationsSettings, bootstrap: str, **more: object) -> RelayConfig:
    assert settings.database_url is not None
    return RelayConfig(
        name=RELAY_NAME,
        database_url=settings.database_url,
        schema=settings.database_schema,
        events_table=TABLE,
        bootstrap_servers=bootstrap,
        topics=TOPICS,
        **more,  # type: ignore[arg-type]
    )


def run_relay(settings: NotificationsSettings, args: argparse.Namespace) -> int:
    """Until SIGTERM or Ctrl-C; stands by while another copy is active."""
    logging.getLogger("kafka").setLevel(logging.WARNING)
    cfg = config(settings, args.bootstrap, batch_size=args.batch, idle_wait=args.idle_wait)
    if args.republish_from is not None:
        republish_from(cfg.database_url, cfg.schema, cfg.name, args.republish_from)
    stop = stop_event_on_signals()

    print(f"{RELAY_NAME} relay → {args.bootstrap} (topics: {TOPIC})", flush=True)
    Relay(cfg, to_messages).run(stop)
    return 0
