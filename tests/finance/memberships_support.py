"""The registry's member events as its relay publishes them (contract models, CloudEvents
messages keyed by member, log positions), for the tests of finance's membership view; and what
that view holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import psycopg
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from psycopg.sql import SQL, Identifier

from partia_contracts.event_id import derive_event_id
from partia_contracts.registry import v1
from partia_finance.adapters.memberships import TABLE, TOPIC
from partia_kit.messages import OutboundMessage, contract_message

SOURCE = "/partia/registry"
PPO_A = UUID("c4e5f6a7-b8c9-4dae-8bf0-0123456789ab")
PPO_B = UUID("d5f6a7b8-c9da-4ebf-9c01-123456789abc")


def _decision(on: date, ppo: UUID = PPO_A) -> v1.Decision:
    return v1.Decision(
        body=v1.DecidingBody(kind=v1.BodyKind.PPO_MEETING, organisation_id=ppo),
        decided_on=on,
        reference="Minutes 1",
    )


@dataclass
class History:
    """Builds one registry's member events in log order (a position each, versions per member)."""

    messages: list[OutboundMessage] = field(default_factory=list)
    position: int = 100
    versions: dict[UUID, int] = field(default_factory=dict)

    def _add(self, model: type[v1.IntegrationEvent], member: UUID, on: date, **body: Any) -> None:
        self.position += 1
        version = self.versions[member] = self.versions.get(member, 1) + 1
        contract = model(
            event_id=derive_event_id(member, version),
            aggregate_id=member,
            aggregate_version=version,
            position=self.position,
            recorded_at=datetime(2026, 11, 1, tzinfo=UTC),
            recorded_by="registrar",
            effective_on=on,
            member_id=member,
            **body,
        )
        self.messages.append(contract_message(TOPIC, contract, SOURCE, self.position))

    def admitted(self, member: UUID, on: date, ppo: UUID = PPO_A, card: str = "0012345") -> None:
        self._add(
            v1.MemberAdmitted, member, on, organisation_id=ppo, card_number=card,
            decision=_decision(on, ppo),
        )  # fmt: skip

    def transferred(self, member: UUID, on: date, from_: UUID, to: UUID) -> None:
        self._add(
            v1.MemberTransferred, member, on, from_organisation_id=from_, to_organisation_id=to,
            decision=_decision(on, to), closes_residence_clock=False,
        )  # fmt: skip

    def withdrew(self, member: UUID, on: date, ppo: UUID = PPO_A, card: str = "0012345") -> None:
        statement = v1.ApplicationDocument(form="paper", reference="Statement 1", signed_on=on)
        self._add(
            v1.MembershipEnded, member, on, organisation_id=ppo, card_number=card,
            reason=v1.MembershipEndReason.WITHDRAWAL, decision=None,
            application_document=statement, formalised_by=_decision(on, ppo),
        )  # fmt: skip

    def ended(self, member: UUID, on: date, reason: v1.MembershipEndReason) -> None:
        self._add(
            v1.MembershipEnded, member, on, organisation_id=PPO_A, card_number="0012345",
            reason=reason, decision=_decision(on), application_document=None,
        )  # fmt: skip

    def expelled(self, member: UUID, on: date, sanction: UUID) -> None:
        self._add(
            v1.SanctionImposed, member, on, sanction_id=sanction, case_id=None,
            kind=v1.SanctionKind.EXPULSION, decision=_decision(on),
            grounds=[v1.ExclusionGround.DISCREDITING_THE_PARTY], other_ground=None,
            appeal_deadline=date(on.year + 1, 1, 1), organisation_id=PPO_A,
            card_number="0012345",
        )  # fmt: skip

    def reprimanded(self, member: UUID, on: date) -> None:
        self._add(
            v1.SanctionImposed, member, on, sanction_id=uuid.uuid4(), case_id=None,
            kind=v1.SanctionKind.REPRIMAND, decision=_decision(on), grounds=[],
            other_ground=None, appeal_deadline=date(on.year + 1, 1, 1), organisation_id=PPO_A,
            card_number="0012345",
        )  # fmt: skip

    def restored(self, member: UUID, on: date, sanction: UUID) -> None:
        self._add(v1.MembershipRestored, member, on, sanction_id=sanction)


def create_topic(bootstrap: str, topic: str = TOPIC) -> None:
    """As the registry's relay creates it: the members' topic has six partitions, keyed by
    member; the organisations' one."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 6 if topic == TOPIC else 1, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def publish(bootstrap: str, messages: list[OutboundMessage]) -> None:
    for topic in {m.topic for m in messages}:
        create_topic(bootstrap, topic)
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_in_flight_requests_per_connection=1
    )
    try:
        for m in messages:
            producer.send(m.topic, key=m.key, value=m.value, headers=m.headers)
        producer.flush(30)
    finally:
        producer.close()


Row = tuple[UUID, UUID, date, date | None, str, str | None, str]


def spells(database_url: str, schema: str) -> list[Row]:
    """Every stint, without the positions (an order of their own)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            SQL(
                "SELECT member_id, organisation_id, from_on, until_on, opened_by, closed_by,"
                " card_number FROM {} ORDER BY member_id, from_on, organisation_id"
            ).format(Identifier(schema, TABLE))
        ).fetchall()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def applied_offsets(database_url: str, schema: str) -> int:
    """How many messages of the topic the members consumer has applied (or passed), by its
    stored offsets."""
    with psycopg.connect(database_url) as conn:
        exists = conn.execute(
            "SELECT to_regclass(%s)", (f'"{schema}".finance_members_consumer_offsets',)
        ).fetchone()
        if exists is None or exists[0] is None:
            return 0
        row = conn.execute(
            SQL("SELECT coalesce(sum(next_offset), 0) FROM {}").format(
                Identifier(schema, "finance_members_consumer_offsets")
            )
        ).fetchone()
    return int(row[0]) if row else 0
