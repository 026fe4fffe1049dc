"""Property-based round trips: any valid event reads back equal from its JSON."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from partia_contracts.registry import (
    ApplicationDocument,
    BodyKind,
    DecidingBody,
    Decision,
    MemberAdmitted,
    MembershipEnded,
    MembershipEndReason,
    RegistryEvent,
    parse_registry_event,
)


def texts(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=max_size)


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets
)

ENVELOPE: dict[str, st.SearchStrategy[Any]] = {
    "event_id": st.uuids(),
    "aggregate_id": st.uuids(),
    "aggregate_version": st.integers(min_value=1, max_value=2**63 - 1),
    "position": st.none() | st.integers(min_value=0, max_value=2**63 - 1),
    "recorded_at": moments,
    "recorded_by": texts(1, 200),
    "effective_on": st.dates(),
}

decisions = st.builds(
    Decision,
    body=st.builds(DecidingBody, kind=st.sampled_from(BodyKind), organisation_id=st.uuids()),
    decided_on=st.dates(),
    reference=texts(1, 200),
)

application_documents = st.builds(
    ApplicationDocument,
    form=st.sampled_from(["paper", "electronic_signature"]),
    reference=texts(1, 200),
    signed_on=st.dates(),
)

admissions = st.builds(
    MemberAdmitted,
    member_id=st.uuids(),
    organisation_id=st.uuids(),
    card_number=texts(1, 50),
    decision=decisions,
    **ENVELOPE,
)

MEMBERSHIP = {"member_id": st.uuids(), "organisation_id": st.uuids(), "card_number": texts(1, 50)}

withdrawals = st.builds(
    MembershipEnded,
    reason=st.just(MembershipEndReason.WITHDRAWAL),
    decision=st.none(),
    application_document=application_documents,
    **MEMBERSHIP,
    **ENVELOPE,
)

other_endings = st.builds(
    MembershipEnded,
    reason=st.sampled_from(
        [reason for reason in MembershipEndReason if reason is not MembershipEndReason.WITHDRAWAL]
    ),
    decision=decisions,
    application_document=st.none(),
    **MEMBERSHIP,
    **ENVELOPE,
)

events: st.SearchStrategy[RegistryEvent] = admissions | withdrawals | other_endings


@given(admissions)
def test_any_admission_reads_back_equal_from_its_json(event: MemberAdmitted) -> None:
    assert parse_registry_event(event.model_dump_json()) == event


@given(withdrawals | other_endings)
def test_any_membership_ending_reads_back_equal_from_its_json(event: MembershipEnded) -> None:
    assert parse_registry_event(event.model_dump_json()) == event


@given(events)
def test_any_event_reads_back_equal_from_decoded_json(event: RegistryEvent) -> None:
    assert parse_registry_event(json.loads(event.model_dump_json())) == event


@given(events)
def test_any_event_is_recorded_in_utc(event: RegistryEvent) -> None:
    assert event.recorded_at.utcoffset() == timedelta(0)
    assert event.model_dump(mode="json")["recorded_at"].endswith("Z")
