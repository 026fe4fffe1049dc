"""Which topics each system publishes, keyed by what, carrying which events: the one list the
relays publish by (`partia_registry.relay`) and the AsyncAPI documents describe
(`partia_contracts.asyncapi`), so the two cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from partia_contracts.finance.v1 import FINANCE_EVENTS
from partia_contracts.notifications.v1 import NOTIFICATION_EVENTS
from partia_contracts.registry.v1 import REGISTRY_EVENTS, IntegrationEvent


@dataclass(frozen=True)
class Channel:
    """One topic: its name, partitions, what its key is, and which events it carries."""

    id: str
    topic: str
    partitions: int
    key: str
    """What the Kafka key (and `ce_subject`, `ce_partitionkey`) holds."""
    description: str
    events: tuple[type[IntegrationEvent], ...]


@dataclass(frozen=True)
class System:
    name: str
    title: str
    source: str
    """`ce_source` of its messages."""
    channels: tuple[Channel, ...]

    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)


def event_type(model: type[IntegrationEvent]) -> str:
    return str(model.model_fields["event_type"].default)


def _events(prefix: str) -> tuple[type[IntegrationEvent], ...]:
    return tuple(m for m in REGISTRY_EVENTS if event_type(m).startswith(prefix))


REGISTRY = System(
    name="registry",
    title="Partia member registry: integration events",
    source="/partia/registry",
    channels=(
        Channel(
            id="members",
            topic="partia.registry.members.v1",
            partitions=6,
            key="member id",
            description="Every member's lifecycle, in order per member: applications, "
            "admissions, transfers, sanctions, appeals, mandates, exits.",
            events=_events("registry.member."),
        ),
        Channel(
            id="organisations",
            topic="partia.registry.organisations.v1",
            partitions=1,
            key="organisation id",
            description="The party's organisational tree, in order per organisation.",
            events=_events("registry.organisation."),
        ),
    ),
)


def _finance_events(prefix: str) -> tuple[type[IntegrationEvent], ...]:
    return tuple(m for m in FINANCE_EVENTS if event_type(m).startswith(prefix))


FINANCE = System(
    name="finance",
    title="Partia finance: integration events",
    source="/partia/finance",
    channels=(
        Channel(
            id="donations",
            topic="partia.finance.donations.v1",
            partitions=3,
            key="donation id",
            description="Each donation's life, in order per donation: received, held, accepted,"
            " rejected, found impermissible. No personal data.",
            events=_finance_events("finance.donation."),
        ),
        Channel(
            id="obligations",
            topic="partia.finance.obligations.v1",
            partitions=1,
            key="obligation id",
            description="Return obligations: opened, overdue, settled.",
            events=_finance_events("finance.obligation."),
        ),
        Channel(
            id="dues",
            topic="partia.finance.dues.v1",
            partitions=3,
            key="member id (the dues account)",
            description="Each member's dues account, in order per member: payments recorded and"
            " reversed, arrears reaching the threshold. No category, no personal data.",
            events=_finance_events("finance.dues."),
        ),
    ),
)
NOTIFICATIONS = System(
    name="notifications",
    title="Partia notifications: integration events",
    source="/partia/notifications",
    channels=(
        Channel(
            id="notices",
            topic="partia.notifications.v1",
            partitions=3,
            key="notice id",
            description="What became of each notice, in order per notice: sent, failed, withheld."
            " No personal data (the recipient is a member id).",
            events=NOTIFICATION_EVENTS,
        ),
    ),
)
SYSTEMS: tuple[System, ...] = (REGISTRY, FINANCE, NOTIFICATIONS)


def cloudevent_type(model: type[IntegrationEvent]) -> str:
    """`ce_type` of a contract's messages."""
    return ce_type(event_type(model), model.model_fields["schema_version"].default)


def ce_type(event_type: str, schema_version: int) -> str:
    """`ce_type`: `partia.` + the contract's event type + its major version."""
    return f"partia.{event_type}.v{schema_version}"
