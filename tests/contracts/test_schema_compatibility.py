"""The backward-compatibility checker: what breaks published events, and what does not."""

from enum import StrEnum
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from partia_contracts.registry import REGISTRY_EVENTS, IntegrationEvent, MemberAdmitted
from partia_contracts.schemas import incompatibilities, schema_for

NULLABLE_TEXT = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}


def an_object(properties: dict[str, Any], *required: str, **keywords: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **keywords,
    }


def an_event(**changes: Any) -> dict[str, Any]:
    """A small event schema; `changes` replace (or, if None, remove) its properties."""
    properties: dict[str, Any] = {
        "member_id": {"type": "string", "format": "uuid", "description": "The member."},
        "kind": {"type": "string", "enum": ["admitted", "ended"]},
        "schema_version": {"type": "integer", "const": 1, "default": 1},
        "card_number": {"type": "string", "minLength": 1, "maxLength": 50},
        "note": NULLABLE_TEXT,
    }
    properties.update(changes)
    kept = {name: schema for name, schema in properties.items() if schema is not None}
    return an_object(kept, *[name for name in ("member_id", "kind") if name in kept])


OLD = an_event()


def test_an_unchanged_schema_is_compatible() -> None:
    assert incompatibilities(OLD, an_event()) == []


@pytest.mark.parametrize("model", REGISTRY_EVENTS, ids=lambda model: model.__name__)
def test_every_event_schema_is_compatible_with_itself(model: type[IntegrationEvent]) -> None:
    assert incompatibilities(schema_for(model), schema_for(model)) == []


# --- Breaking ------------------------------------------------------------------------------


def test_removing_a_property_is_reported_as_breaking() -> None:
    assert incompatibilities(OLD, an_event(note=None)) == ["Property $.note was removed."]


def test_changing_a_property_type_is_reported_as_breaking() -> None:
    new = an_event(member_id={"type": "integer"})

    assert incompatibilities(OLD, new) == [
        "$.member_id changed type from string (uuid) to integer."
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"note": {"type": "string"}},
            "$.note changed type from string or null to string.",
            id="no longer nullable",
        ),
        pytest.param(
            {"card_number": {"type": "string", "minLength": 1, "maxLength": 20}},
            "$.card_number was narrowed: maxLength lowered from 50 to 20.",
            id="shorter maximum length",
        ),
        pytest.param(
            {"card_number": {"type": "string", "minLength": 3, "maxLength": 50}},
            "$.card_number was narrowed: minLength raised from 1 to 3.",
            id="longer minimum length",
        ),
        pytest.param(
            {"member_id": {"type": "string", "format": "date"}},
            "$.member_id was narrowed: format changed from 'uuid' to 'date'.",
            id="other format",
        ),
        pytest.param(
            {"card_number": {"type": "string", "maxLength": 50, "pattern": "^[0-9]+$"}},
            "$.card_number was narrowed: pattern added: '^[0-9]+$'.",
            id="new pattern",
        ),
        pytest.param(
            {"schema_version": {"type": "number", "const": 1, "default": 1, "minimum": 1}},
            "$.schema_version was narrowed: minimum added: 1.",
            id="new minimum",
        ),
    ],
)
def test_narrowing_a_property_type_is_reported_as_breaking(
    change: dict[str, Any], expected: str
) -> None:
    assert incompatibilities(OLD, an_event(**change)) == [expected]


def test_a_new_required_property_is_reported_as_breaking() -> None:
    new = an_event(reason={"type": "string"})
    new["required"].append("reason")

    assert incompatibilities(OLD, new) == ["New property $.reason is required."]


def test_making_an_optional_property_required_is_reported_as_breaking() -> None:
    new = an_event()
    new["required"].append("card_number")

    assert incompatibilities(OLD, new) == ["Optional property $.card_number became required."]


def test_removing_an_enum_value_is_reported_as_breaking() -> None:
    new = an_event(kind={"type": "string", "enum": ["admitted"]})

    assert incompatibilities(OLD, new) == ["$.kind no longer accepts the enum value(s) 'ended'."]


def test_changing_a_const_is_reported_as_breaking() -> None:
    new = an_event(schema_version={"type": "integer", "const": 2})

    assert incompatibilities(OLD, new) == ["$.schema_version const changed from 1 to 2."]


def test_restricting_a_free_value_to_an_enum_is_reported_as_breaking() -> None:
    new = an_event(card_number={"type": "string", "enum": ["A1", "B2"]})

    assert incompatibilities(OLD, new) == [
        "$.card_number was narrowed: it now only accepts 'A1', 'B2'."
    ]


def test_tightening_additional_properties_is_reported_as_breaking() -> None:
    old = {**OLD, "additionalProperties": True}

    assert incompatibilities(old, OLD) == [
        "$ tightened additionalProperties: unknown properties are now refused."
    ]


def test_changing_a_default_is_reported_as_breaking() -> None:
    new = an_event(note={**NULLABLE_TEXT, "default": "none given"})

    assert incompatibilities(OLD, new) == ["$.note default changed from null to 'none given'."]


def test_every_breaking_change_is_reported_at_once() -> None:
    new = an_event(note=None, kind={"type": "string", "enum": ["ended"]})

    assert incompatibilities(OLD, new) == [
        "$.kind no longer accepts the enum value(s) 'admitted'.",
        "Property $.note was removed.",
    ]


def test_narrowing_a_real_event_names_the_field() -> None:
    class NarrowerMemberAdmitted(MemberAdmitted):
        card_number: Annotated[str, Field(min_length=1, max_length=20)]

    problems = incompatibilities(schema_for(MemberAdmitted), schema_for(NarrowerMemberAdmitted))

    assert problems == ["$.card_number was narrowed: maxLength lowered from 50 to 20."]


# --- Compatible ----------------------------------------------------------------------------


def test_a_new_optional_property_is_compatible() -> None:
    assert incompatibilities(OLD, an_event(channel=NULLABLE_TEXT)) == []


def test_a_new_enum_value_is_compatible() -> None:
    new = an_event(kind={"type": "string", "enum": ["admitted", "ended", "suspended"]})

    assert incompatibilities(OLD, new) == []


def test_description_title_and_example_changes_are_compatible() -> None:
    new = an_event(
        member_id={"type": "string", "format": "uuid", "description": "Who.", "title": "Member"}
    )
    new["examples"] = [{"member_id": "9d8c7b6a-5f4e-4d3c-ab2a-1f0e9d8c7b6a"}]
    new["description"] = "Now documented."

    assert incompatibilities(OLD, new) == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"card_number": NULLABLE_TEXT}, id="accepts null"),
        pytest.param({"card_number": {"type": "string"}}, id="no length bounds"),
        pytest.param({"member_id": {"type": "string"}}, id="no format"),
        pytest.param({"schema_version": {"type": "number", "default": 1}}, id="integer to number"),
        pytest.param({"kind": {}}, id="accepts anything"),
    ],
)
def test_widening_a_property_is_compatible(change: dict[str, Any]) -> None:
    assert incompatibilities(OLD, an_event(**change)) == []


def test_making_a_required_property_optional_is_compatible() -> None:
    new = an_event()
    new["required"].remove("kind")

    assert incompatibilities(OLD, new) == []


def test_loosening_additional_properties_is_compatible() -> None:
    assert incompatibilities(OLD, {**OLD, "additionalProperties": True}) == []


# --- Nested, referenced and recursive schemas ----------------------------------------------


class OldBodyKind(StrEnum):
    BUREAU = "bureau"
    MEETING = "meeting"


class NewBodyKind(StrEnum):
    BUREAU = "bureau"


class OldBody(BaseModel):
    kind: OldBodyKind


class NewBody(BaseModel):
    kind: NewBodyKind


class OldDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: OldBody
    reference: str


class NewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: NewBody


class OldEvent(BaseModel):
    decisions: list[OldDecision]
    decision: OldDecision | None


class NewEvent(BaseModel):
    decisions: list[NewDecision]
    decision: NewDecision | None


def test_changes_behind_references_are_named_by_their_json_path() -> None:
    problems = incompatibilities(OldEvent.model_json_schema(), NewEvent.model_json_schema())

    assert problems == [
        "$.decisions[*].body.kind no longer accepts the enum value(s) 'meeting'.",
        "Property $.decisions[*].reference was removed.",
        "$.decision.body.kind no longer accepts the enum value(s) 'meeting'.",
        "Property $.decision.reference was removed.",
    ]


class OldNode(BaseModel):
    children: list["OldNode"]


class NewNode(BaseModel):
    children: list["NewNode"]
    label: str


def test_recursive_schemas_are_compared_without_looping_forever() -> None:
    problems = incompatibilities(OldNode.model_json_schema(), NewNode.model_json_schema())

    assert problems == ["New property $.label is required."]


def test_a_union_must_keep_accepting_each_alternative() -> None:
    old = an_object({"amount": {"anyOf": [{"type": "string"}, {"type": "integer"}]}})
    new = an_object({"amount": {"type": "string"}})

    assert incompatibilities(old, new) == [
        "$.amount changed type from string or integer to string."
    ]


def test_a_reference_outside_the_document_is_refused() -> None:
    old = an_object({"body": {"$ref": "https://example.org/body.json"}})

    with pytest.raises(ValueError, match="only local"):
        incompatibilities(old, old)
