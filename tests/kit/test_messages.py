"""The CloudEvents binary-mode messages the relay writes, read back by the CloudEvents SDK."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat

from partia_kit.messages import UnreadableMessage, integration_message, read_message, split_type


def _message(time: datetime = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)):
    return integration_message(
        topic="partia.registry.members.v1",
        key="5b0c3d3e-0000-4000-8000-000000000001",
        event_id="e-1",
        source="/partia/registry",
        event_type="partia.registry.member.admitted.v1",
        time=time,
        subject="5b0c3d3e-0000-4000-8000-000000000001",
        body=b'{"member_id": "5b0c3d3e-0000-4000-8000-000000000001"}',
        position=42,
        business_date=date(2026, 2, 27),
    )


def test_the_cloudevents_sdk_reads_every_attribute_the_relay_writes() -> None:
    m = _message()
    event = kafka.from_binary(
        kafka.KafkaMessage(headers=dict(m.headers), key=m.key, value=m.value), JSONFormat()
    )
    attributes = event.get_attributes()
    assert attributes["specversion"] == "1.0"
    assert attributes["id"] == "e-1"
    assert attributes["source"] == "/partia/registry"
    assert attributes["type"] == "partia.registry.member.admitted.v1"
    assert attributes["time"] == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert attributes["subject"] == m.key.decode()
    assert attributes["datacontenttype"] == "application/json"
    assert attributes["partitionkey"] == m.key.decode()
    assert attributes["logposition"] == "42"
    assert attributes["businessdate"] == "2026-02-27"


def test_the_time_is_written_in_utc_whatever_zone_it_came_in() -> None:
    almaty = timezone(timedelta(hours=5))
    m = _message(datetime(2026, 3, 1, 14, 30, tzinfo=almaty))
    assert dict(m.headers)["ce_time"] == b"2026-03-01T09:30:00Z"


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        _message(datetime(2026, 3, 1, 9, 30))


def test_a_consumer_reads_the_message_back_with_its_type_and_major_version() -> None:
    m = _message()
    event = read_message(m.topic, 0, 7, m.key, m.headers, m.value)
    assert (event.id, event.type_name, event.major_version) == (
        "e-1",
        "partia.registry.member.admitted",
        1,
    )
    assert event.data == {"member_id": "5b0c3d3e-0000-4000-8000-000000000001"}


def test_a_type_without_a_version_has_none() -> None:
    assert split_type("partia.registry.member.admitted") == (
        "partia.registry.member.admitted",
        None,
    )


def test_a_consumer_reads_a_relays_message_as_the_cloudevents_sdk_does() -> None:
    """The consumer reads the relay's headers itself (decision 220): the same attributes."""
    m = _message()
    sdk = kafka.from_binary(
        kafka.KafkaMessage(headers=dict(m.headers), key=m.key, value=m.value), JSONFormat()
    )
    event = read_message(m.topic, 0, 7, m.key, m.headers, m.value)
    assert event.attributes == sdk.get_attributes()
    assert event.data == sdk.get_data() or event.data == json.loads(sdk.get_data())


def test_a_message_with_a_body_that_is_not_json_is_still_unreadable() -> None:
    m = _message()
    with pytest.raises(UnreadableMessage):
        read_message(m.topic, 0, 7, m.key, m.headers, b"{not json")
