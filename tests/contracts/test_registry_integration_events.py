"""The registry's integration events: examples, round trips, and what readers refuse."""

import json
import re
from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from partia_contracts.event_id import derive_event_id
from partia_contracts.registry import (
    REGISTRY_EVENTS,
    IntegrationEvent,
    MemberAdmitted,
    MembershipEnded,
    MembershipEndReason,
    OrganisationCreated,
    OrganisationKind,
    OrganisationMoved,
    RegistryEvent,
    parse_registry_event,
)

EXAMPLES = [
    pytest.param(model, example, id=f"{model.__name__}-{number}")
    for model in REGISTRY_EVENTS
    for number, example in enumerate(model.EXAMPLES, start=1)
]


def example_of(model: type[IntegrationEvent], **changes: Any) -> dict[str, Any]:
    """The first example of `model` as a dict, with `changes` applied (None removes)."""
    example = {**model.EXAMPLES[0], **changes}
    return {name: value for name, value in example.items() if value is not None}


ADMITTED = example_of(MemberAdmitted)


# --- Examples and round trips --------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTRY_EVENTS, ids=lambda model: model.__name__)
def test_every_event_has_an_example(model: type[IntegrationEvent]) -> None:
    assert model.EXAMPLES


@pytest.mark.parametrize(("model", "example"), EXAMPLES)
def test_each_example_is_read_as_its_own_event_type(
    model: type[IntegrationEvent], example: dict[str, Any]
) -> None:
    assert type(parse_registry_event(example)) is model


@pytest.mark.parametrize(("model", "example"), EXAMPLES)
def test_each_example_is_exactly_what_its_event_serialises_to(
    model: type[IntegrationEvent], example: dict[str, Any]
) -> None:
    assert parse_registry_event(example).model_dump(mode="json") == example


@pytest.mark.parametrize(("model", "example"), EXAMPLES)
def test_each_example_survives_a_json_round_trip(
    model: type[IntegrationEvent], example: dict[str, Any]
) -> None:
    event = model.model_validate(example)

    assert parse_registry_event(event.model_dump_json()) == event
    assert parse_registry_event(event.model_dump_json().encode()) == event


@pytest.mark.parametrize(("model", "example"), EXAMPLES)
def test_each_example_has_the_event_id_derived_from_its_aggregate_and_version(
    model: type[IntegrationEvent], example: dict[str, Any]
) -> None:
    event = model.model_validate(example)

    assert event.event_id == derive_event_id(event.aggregate_id, event.aggregate_version)


def test_event_ids_are_deterministic_and_differ_per_version() -> None:
    event = MemberAdmitted.model_validate(ADMITTED)
    first = derive_event_id(event.aggregate_id, 2)

    assert derive_event_id(event.aggregate_id, 2) == first
    assert derive_event_id(event.aggregate_id, 3) != first


def test_producers_may_leave_event_type_and_schema_version_to_their_defaults() -> None:
    event = MemberAdmitted.model_validate(example_of(MemberAdmitted, schema_version=None))

    assert event.event_type == "registry.member.admitted"
    assert event.schema_version == 1


# --- The set of events ---------------------------------------------------------------------


def test_registry_event_is_a_union_of_exactly_the_registry_events() -> None:
    union, _discriminator = get_args(RegistryEvent)

    assert get_args(union) == REGISTRY_EVENTS


def test_event_types_are_unique_dotted_names_in_the_registry_namespace() -> None:
    event_types = [model.model_fields["event_type"].default for model in REGISTRY_EVENTS]

    assert len(set(event_types)) == len(event_types)
    assert all(re.fullmatch(r"registry\.[a-z_]+\.[a-z_]+", name) for name in event_types)


# --- What readers refuse -------------------------------------------------------------------


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="union_tag_invalid"):
        parse_registry_event(example_of(MemberAdmitted, event_type="registry.member.promoted"))


def test_an_event_without_event_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="union_tag_not_found"):
        parse_registry_event(example_of(MemberAdmitted, event_type=None))


def test_another_schema_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        parse_registry_event(example_of(MemberAdmitted, schema_version=2))


def test_an_extra_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        parse_registry_event(example_of(MemberAdmitted, full_name="Personal Data"))


def test_an_extra_field_in_a_nested_object_is_refused() -> None:
    decision = {**ADMITTED["decision"], "signed_by": "Personal Data"}

    with pytest.raises(ValidationError, match="extra_forbidden"):
        parse_registry_event(example_of(MemberAdmitted, decision=decision))


def test_a_missing_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="card_number"):
        parse_registry_event(example_of(MemberAdmitted, card_number=None))


def test_malformed_json_is_refused() -> None:
    with pytest.raises(ValidationError, match="json_invalid"):
        parse_registry_event(json.dumps(ADMITTED)[:-1])


def test_events_are_immutable() -> None:
    event = MemberAdmitted.model_validate(ADMITTED)

    with pytest.raises(ValidationError, match="frozen"):
        event.card_number = "0099999"  # type: ignore[misc]


def test_a_recorded_at_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        parse_registry_event(example_of(MemberAdmitted, recorded_at="2025-03-14T09:30:00"))


def test_recorded_at_is_kept_in_utc() -> None:
    event = parse_registry_event(
        example_of(MemberAdmitted, recorded_at="2025-03-14T14:30:00+05:00")
    )

    assert event.recorded_at == datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    assert event.recorded_at.tzinfo is UTC
    assert event.model_dump(mode="json")["recorded_at"] == "2025-03-14T09:30:00Z"


def test_an_aggregate_version_below_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="aggregate_version"):
        parse_registry_event(example_of(MemberAdmitted, aggregate_version=0))


# --- Rules within an event -----------------------------------------------------------------

WITHDRAWAL = MembershipEnded.EXAMPLES[0]
EXCLUSION = MembershipEnded.EXAMPLES[1]


def test_a_withdrawal_rests_on_a_statement_without_a_decision() -> None:
    with pytest.raises(ValidationError, match="withdrawal has an application_document"):
        MembershipEnded.model_validate({**WITHDRAWAL, "decision": EXCLUSION["decision"]})
    with pytest.raises(ValidationError, match="withdrawal has an application_document"):
        MembershipEnded.model_validate({**WITHDRAWAL, "application_document": None})


@pytest.mark.parametrize(
    "reason",
    [reason for reason in MembershipEndReason if reason is not MembershipEndReason.WITHDRAWAL],
)
def test_every_other_ending_rests_on_a_decision_without_a_statement(
    reason: MembershipEndReason,
) -> None:
    assert MembershipEnded.model_validate({**EXCLUSION, "reason": reason}).reason is reason
    with pytest.raises(ValidationError, match="has a decision and no application_document"):
        MembershipEnded.model_validate({**EXCLUSION, "reason": reason, "decision": None})
    with pytest.raises(ValidationError, match="has a decision and no application_document"):
        MembershipEnded.model_validate(
            {
                **EXCLUSION,
                "reason": reason,
                "application_document": WITHDRAWAL["application_document"],
            }
        )


def test_only_the_party_has_no_parent() -> None:
    branch = example_of(OrganisationCreated)
    party = {**branch, "kind": OrganisationKind.PARTY, "parent_id": None}

    assert OrganisationCreated.model_validate(party).parent_id is None
    with pytest.raises(ValidationError, match="the party has no parent_id"):
        OrganisationCreated.model_validate({**party, "parent_id": branch["parent_id"]})
    with pytest.raises(ValidationError, match="every other organisation has one"):
        OrganisationCreated.model_validate({**branch, "parent_id": None})


def test_an_organisation_cannot_move_under_the_parent_it_already_has() -> None:
    move = example_of(OrganisationMoved)

    with pytest.raises(ValidationError, match="must differ"):
        OrganisationMoved.model_validate({**move, "to_parent_id": move["from_parent_id"]})
