"""`python -m partia_finance relay`: the finance service's integration events onto Kafka
(`partia_kit.relay`, `partia_kit.relay_command`): each stored event's contract event, personal
data left sealed, on
- `partia.finance.donations.v1`, keyed by donation id, and
- `partia.finance.obligations.v1`, keyed by obligation id,
- `partia.finance.dues.v1`, keyed by member id (the dues account),
so each donation's, each obligation's and each member's dues events arrive in order."""

from __future__ import annotations

import argparse

from eventsourcing.persistence import StoredEvent

from partia_contracts.topics import FINANCE
from partia_finance.adapters.integration_events import to_integration_event
from partia_finance.adapters.postgres.event_store import FinanceEventStore
from partia_finance.settings import FinanceSettings
from partia_kit import relay_command
from partia_kit.messages import OutboundMessage, contract_message
from partia_kit.relay import StoredRecord, ToMessages
from partia_kit.vault import SealingMapper

DONATIONS_TOPIC = FINANCE.channel("donations").topic
OBLIGATIONS_TOPIC = FINANCE.channel("obligations").topic
DUES_TOPIC = FINANCE.channel("dues").topic
TOPICS = {channel.topic: channel.partitions for channel in FINANCE.channels}
RELAY_NAME = "finance"


def finance_messages(mapper: SealingMapper) -> ToMessages:
    """Stored event → its integration message (none for an unpublished one)."""

    def to_messages(record: StoredRecord) -> list[OutboundMessage]:
        event = mapper.to_domain_event(
            StoredEvent(record.originator_id, record.originator_version, record.topic, record.state)
        )
        contract = to_integration_event(event, record.position)
        if contract is None:
            return []
        topic = _topic(contract.event_type)
        return [contract_message(topic, contract, FINANCE.source, record.position)]

    return to_messages


def _topic(event_type: str) -> str:
    if event_type.startswith("finance.donation."):
        return DONATIONS_TOPIC
    if event_type.startswith("finance.dues."):
        return DUES_TOPIC
    return OBLIGATIONS_TOPIC


def run_relay(settings: FinanceSettings, args: argparse.Namespace) -> int:
    return relay_command.run_relay(
        settings,
        args,
        name=RELAY_NAME,
        store=FinanceEventStore,
        topics=TOPICS,
        messages=finance_messages,
    )
