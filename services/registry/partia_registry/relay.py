"""`python -m partia_registry relay`: the registry's integration events onto Kafka.

The generic relay (`partia_kit.relay`) does the reading, producing and position keeping; this
module only says what the registry publishes: each stored event's contract event (the same
translation as `GET /events`, personal data left sealed) on

- `partia.registry.members.v1`, keyed by member id, and
- `partia.registry.organisations.v1`, keyed by organisation id,

so each member's and each organisation's events arrive in order.
"""

from __future__ import annotations

import argparse
import logging
from functools import cache
from typing import Any

from eventsourcing.persistence import StoredEvent

from partia_contracts.topics import REGISTRY, ce_type
from partia_kit import relay_command
from partia_kit.messages import JSON_BYTES, OutboundMessage, contract_message
from partia_kit.relay import StoredRecord, ToMessages
from partia_registry.adapters.integration_events import is_published, to_integration_event
from partia_registry.adapters.integration_messages import FastEvent, fast_integration_event
from partia_registry.adapters.postgres.event_store import RegistryEventStore
from partia_registry.settings import RegistrySettings

log = logging.getLogger(__name__)

MEMBERS_TOPIC = REGISTRY.channel("members").topic
ORGANISATIONS_TOPIC = REGISTRY.channel("organisations").topic
TOPICS = {channel.topic: channel.partitions for channel in REGISTRY.channels}
SOURCE = REGISTRY.source
RELAY_NAME = "registry"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def registry_messages(mapper: Any, *, fast_path: bool = True) -> ToMessages:
    """Stored event → its integration message; `mapper` decodes with personal data sealed.

    The common events take the fast path (`adapters.integration_messages`: the same bytes, built
    from the stored JSON); every other event, or all with `fast_path=False` (the tests' and the
    benchmark's reference), goes through the contract model."""

    def to_messages(record: StoredRecord) -> list[OutboundMessage]:
        if fast_path:
            fast = fast_integration_event(
                record.topic,
                record.state,
                str(record.originator_id),
                record.originator_version,
                record.position,
            )
            if fast is not None:
                return [_fast_message(fast, record.position)]
        event = mapper.to_domain_event(
            StoredEvent(record.originator_id, record.originator_version, record.topic, record.state)
        )
        if not is_published(event):
            return []
        contract = to_integration_event(event, record.position)
        member_event = contract.event_type.startswith("registry.member.")
        topic = MEMBERS_TOPIC if member_event else ORGANISATIONS_TOPIC
        return [contract_message(topic, contract, SOURCE, record.position)]

    return to_messages


_SOURCE_BYTES = SOURCE.encode()


@cache
def _ce_type(event_type: str, schema_version: int) -> bytes:
    return ce_type(event_type, schema_version).encode()


def _fast_message(e: FastEvent, position: int) -> OutboundMessage:
    """`integration_message(…)`'s headers, in its order, from text the fast path already has."""
    key = e.aggregate_id.encode()
    return OutboundMessage(
        topic=MEMBERS_TOPIC if e.event_type.startswith("registry.member.") else ORGANISATIONS_TOPIC,
        key=key,
        headers=[
            ("ce_specversion", b"1.0"),
            ("ce_id", e.event_id.encode()),
            ("ce_source", _SOURCE_BYTES),
            ("ce_type", _ce_type(e.event_type, e.schema_version)),
            ("ce_time", e.recorded_at.encode()),
            ("ce_subject", key),
            ("content-type", JSON_BYTES),
            ("ce_partitionkey", key),
            ("ce_logposition", str(position).encode()),
            ("ce_businessdate", e.effective_on.encode()),
        ],
        value=e.body,
    )


add_arguments = relay_command.add_arguments


def run_relay(settings: RegistrySettings, args: argparse.Namespace) -> int:
    """Relay until SIGTERM or Ctrl-C; stands by while another copy is active
    (`partia_kit.relay_command`)."""
    return relay_command.run_relay(
        settings,
        args,
        name=RELAY_NAME,
        store=RegistryEventStore,
        topics=TOPICS,
        messages=registry_messages,
    )
