"""What the relay publishes, byte for byte: the fast path (decision 120) and the contract model
give the same key, headers and value for every stored event, and a sample is pinned."""

from __future__ import annotations

from uuid import UUID, uuid4

from psycopg.sql import SQL, Identifier

from partia_contracts.event_id import derive_event_id
from partia_kit.messages import OutboundMessage
from partia_kit.relay import StoredRecord
from partia_registry.adapters.integration_messages import (
    TRANSLATIONS,
    event_id_text,
    fast_integration_event,
)
from partia_registry.audit.replay import event_decoder
from partia_registry.composition import Registry
from partia_registry.relay import MEMBERS_TOPIC, registry_messages
from tests.registry.relay.support import varied_history

MEMBER = UUID("64626fd1-6a2d-42d7-b3e1-e3de93f3379b")
ADMITTED = "partia_registry.domain.members:Member.Admitted"


def _admitted_state(timestamp: str = "2026-03-10T09:15:00.123456+00:00") -> bytes:
    return (
        '{"timestamp":{"_type_":"datetime_iso","_data_":"' + timestamp + '"},'
        '"organisation_id":{"_type_":"uuid_hex","_data_":"bff74bf459de477ba322dae164d149ab"},'
        '"card_number":"BQ-0000001-8","decision":{"_type_":"decision","_data_":{"body":'
        '{"_type_":"deciding_body","_data_":{"kind":"ppo_meeting","organisation_id":'
        '{"_type_":"uuid_hex","_data_":"bff74bf459de477ba322dae164d149ab"}}},'
        '"decided_on":{"_type_":"date_iso","_data_":"2026-03-10"},'
        '"reference":"Протокол № 1 \\"A\\""}},"recorded_by":"registrar"}'
    ).encode()


PINNED_VALUE = (
    '{"event_id":"fa5c5b5e-d90a-5895-af2e-020ba470a840","event_type":"registry.member.admitted",'
    '"schema_version":1,"aggregate_id":"64626fd1-6a2d-42d7-b3e1-e3de93f3379b",'
    '"aggregate_version":2,"position":32,"recorded_at":"2026-03-10T09:15:00.123456Z",'
    '"recorded_by":"registrar","effective_on":"2026-03-10",'
    '"member_id":"64626fd1-6a2d-42d7-b3e1-e3de93f3379b",'
    '"organisation_id":"bff74bf4-59de-477b-a322-dae164d149ab","card_number":"BQ-0000001-8",'
    '"decision":{"body":{"kind":"ppo_meeting",'
    '"organisation_id":"bff74bf4-59de-477b-a322-dae164d149ab"},"decided_on":"2026-03-10",'
    '"reference":"Протокол № 1 \\"A\\""}}'
).encode()
PINNED_HEADERS = [
    ("ce_specversion", b"1.0"),
    ("ce_id", b"fa5c5b5e-d90a-5895-af2e-020ba470a840"),
    ("ce_source", b"/partia/registry"),
    ("ce_type", b"partia.registry.member.admitted.v1"),
    ("ce_time", b"2026-03-10T09:15:00.123456Z"),
    ("ce_subject", b"64626fd1-6a2d-42d7-b3e1-e3de93f3379b"),
    ("content-type", b"application/json"),
    ("ce_partitionkey", b"64626fd1-6a2d-42d7-b3e1-e3de93f3379b"),
    ("ce_logposition", b"32"),
    ("ce_businessdate", b"2026-03-10"),
]


def _both_paths(record: StoredRecord) -> tuple[list[OutboundMessage], list[OutboundMessage]]:
    decoder = event_decoder()
    return (
        list(registry_messages(decoder)(record)),
        list(registry_messages(decoder, fast_path=False)(record)),
    )


def test_an_admission_is_published_with_exactly_these_bytes_and_headers() -> None:
    record = StoredRecord(32, MEMBER, 2, ADMITTED, _admitted_state())
    fast, model = _both_paths(record)
    assert fast == model
    [message] = fast
    assert message.topic == MEMBERS_TOPIC
    assert message.key == str(MEMBER).encode()
    assert message.headers == PINNED_HEADERS
    assert message.value == PINNED_VALUE


def test_every_stored_event_of_a_varied_history_is_published_the_same_by_both_paths(
    registry: Registry,
) -> None:
    varied_history(registry, members=6)
    rows = registry.store.query(
        SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
            " ORDER BY notification_id"
        ).format(Identifier(registry.store.schema, registry.store.events_table))
    )
    records = [
        StoredRecord(
            r["notification_id"],
            r["originator_id"],
            r["originator_version"],
            r["topic"],
            bytes(r["state"]),
        )
        for r in rows
    ]
    fast_topics: set[str] = set()
    for record in records:
        fast, model = _both_paths(record)
        assert fast == model, record.topic
        if fast_integration_event(
            record.topic, record.state, str(record.originator_id), 1, record.position
        ):
            fast_topics.add(record.topic)
    assert fast_topics == set(TRANSLATIONS), "every covered type was compared"
    assert len(fast_topics) < len({r.topic for r in records}), "and some took the model path"


def test_an_event_the_fast_path_cannot_reproduce_exactly_takes_the_model_path() -> None:
    for state in (
        _admitted_state("2026-03-10T14:15:00.123456+05:00"),  # not stored in UTC
        _admitted_state().replace(b'"recorded_by"', b'"class_version":2,"recorded_by"'),
    ):
        assert fast_integration_event(ADMITTED, state, str(MEMBER), 2, 32) is None
    record = StoredRecord(32, MEMBER, 2, ADMITTED, _admitted_state("2026-03-10T14:15:00+05:00"))
    fast, model = _both_paths(record)
    assert fast == model
    assert dict(fast[0].headers)["ce_time"] == b"2026-03-10T09:15:00Z"


def test_the_event_id_is_the_contracts_derived_id() -> None:
    for version in (1, 2, 17, 123456):
        aggregate = uuid4()
        assert event_id_text(str(aggregate), version) == str(derive_event_id(aggregate, version))
