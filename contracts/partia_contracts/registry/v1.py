"""The member registry's integration events, schema version 1.

These are the facts the registry publishes for other systems (finance, notifications,
auditors). They are not the registry's internal domain events: those stay private.

They carry no personal data: no names, IIN, contacts or addresses, only ids. A consumer that
needs a person's details fetches them from the registry's API, so erasing a person's data
never has to chase copies in Kafka. Free-text fields must not contain personal data either.

Evolution: adding an optional field or an enum value keeps version 1. Anything a v1 reader
could choke on (see `partia_contracts.schemas`) is a new version: a v2 model and an upcaster.
"""

from copy import deepcopy
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    TypeAdapter,
    model_validator,
)
from pydantic.config import JsonDict

from partia_contracts.event_id import derive_event_id

__all__ = [
    "REGISTRY_EVENTS",
    "ApplicationDocument",
    "BodyKind",
    "DecidingBody",
    "Decision",
    "IntegrationEvent",
    "MemberAdmitted",
    "MembershipApplicationRejected",
    "MembershipApplicationSubmitted",
    "MembershipEndReason",
    "MembershipEnded",
    "OrganisationCreated",
    "OrganisationDissolved",
    "OrganisationKind",
    "OrganisationMoved",
    "OrganisationNames",
    "OrganisationRenamed",
    "PersonalDataErased",
    "RegistryEvent",
    "parse_registry_event",
]


# --- Vocabulary ---------------------------------------------------------------------------


class OrganisationKind(StrEnum):
    """Kind of party organisation: the party itself, its regional and territorial branches,
    primary party organisations (PPO), and party groups (factions in representative bodies)."""

    PARTY = "party"
    REGIONAL_BRANCH = "regional_branch"
    TERRITORIAL_BRANCH = "territorial_branch"
    PRIMARY_ORGANISATION = "primary_organisation"
    PARTY_GROUP = "party_group"


class BodyKind(StrEnum):
    """Kind of party body that takes decisions: a primary organisation's meeting, bureau or
    chair; a branch's bureau, political council or conference; the party's bureau, political
    council or congress."""

    PPO_MEETING = "ppo_meeting"
    PPO_BUREAU = "ppo_bureau"
    PPO_CHAIR = "ppo_chair"
    BRANCH_BUREAU = "branch_bureau"
    BRANCH_POLITICAL_COUNCIL = "branch_political_council"
    BRANCH_CONFERENCE = "branch_conference"
    PARTY_BUREAU = "party_bureau"
    PARTY_POLITICAL_COUNCIL = "party_political_council"
    PARTY_CONGRESS = "party_congress"


class MembershipEndReason(StrEnum):
    """Why a membership ended. `withdrawal` is the member's own written choice; every other
    reason is established by a party body's decision."""

    WITHDRAWAL = "withdrawal"
    LOSS_OF_CITIZENSHIP = "loss_of_citizenship"
    PERMANENT_RESIDENCE_ABROAD = "permanent_residence_abroad"
    ENTERED_MILITARY_SERVICE = "entered_military_service"
    ENTERED_SPECIAL_STATE_BODY = "entered_special_state_body"
    ENTERED_LAW_ENFORCEMENT = "entered_law_enforcement"
    APPOINTED_JUDGE = "appointed_judge"
    JOINED_ANOTHER_PARTY = "joined_another_party"
    DEATH = "death"
    DECLARED_DEAD = "declared_dead"
    DECLARED_INCAPACITATED = "declared_incapacitated"
    EXCLUSION = "exclusion"


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


_UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
_Reference = Annotated[str, Field(min_length=1, max_length=200)]
_CardNumber = Annotated[str, Field(min_length=1, max_length=50)]
_OrganisationName = Annotated[str, Field(min_length=1, max_length=300)]


# --- Example data, shown in the JSON Schemas -----------------------------------------------

_PARTY = "0b6f3c1a-5d2e-4f7a-8c9b-1a2b3c4d5e6f"
_BRANCH = "6a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6"
_OTHER_BRANCH = "7b2e3f40-5c6d-4e7f-9a81-92a3b4c5d6e7"
_PPO = "c4e5f6a7-b8c9-4dae-8bf0-0123456789ab"
_MEMBER = "9d8c7b6a-5f4e-4d3c-ab2a-1f0e9d8c7b6a"

_DECIDING_BODY_EXAMPLE: JsonDict = {"kind": "ppo_bureau", "organisation_id": _PPO}
_DECISION_EXAMPLE: JsonDict = {
    "body": _DECIDING_BODY_EXAMPLE,
    "decided_on": "2025-03-12",
    "reference": "Minutes No. 12",
}
_BRANCH_DECISION_EXAMPLE: JsonDict = {
    "body": {"kind": "party_bureau", "organisation_id": _PARTY},
    "decided_on": "2025-02-20",
    "reference": "Resolution No. 7",
}
_APPLICATION_EXAMPLE: JsonDict = {
    "form": "paper",
    "reference": "Application No. 345",
    "signed_on": "2025-03-01",
}
_NAMES_EXAMPLE: JsonDict = {
    "kk": "Алматы қалалық филиалы",
    "ru": "Алматинский городской филиал",
    "en": "Almaty City Branch",
}


def _event_example(
    event_type: str, aggregate_id: str, aggregate_version: int, **payload: JsonValue
) -> JsonDict:
    """A complete example event: a typical envelope around `payload`."""
    envelope: JsonDict = {
        "event_id": str(derive_event_id(UUID(aggregate_id), aggregate_version)),
        "event_type": event_type,
        "schema_version": 1,
        "aggregate_id": aggregate_id,
        "aggregate_version": aggregate_version,
        "position": 4711,
        "recorded_at": "2025-03-14T09:30:00Z",
        "recorded_by": "5e0c7a8f-2b1d-4c3e-9f4a-6b7c8d9e0f1a",
        "effective_on": "2025-03-12",
    }
    return envelope | payload


# --- Schema documentation hooks ------------------------------------------------------------


def _add_examples(schema: JsonDict, model: type[Any]) -> None:
    """Copy the model's `EXAMPLES` into its JSON Schema."""
    examples: list[JsonValue] = [deepcopy(example) for example in model.EXAMPLES]
    if examples:
        schema["examples"] = examples


_ALWAYS_SENT = ("event_type", "schema_version")


def _document_event(schema: JsonDict, model: type[Any]) -> None:
    """Add examples, and mark `event_type` and `schema_version` as required.

    Producers may leave them to their defaults in Python, but they are always on the wire
    and consumers route on them, so the published schema promises them.
    """
    _add_examples(schema, model)
    properties = schema["properties"]
    required = schema.get("required", [])
    assert isinstance(properties, dict)
    assert isinstance(required, list)
    schema["required"] = [name for name in properties if name in required or name in _ALWAYS_SENT]


class _Contract(BaseModel):
    """Every contract model is immutable and refuses fields it does not know."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_add_examples)

    EXAMPLES: ClassVar[tuple[JsonDict, ...]] = ()
    """Examples published in the JSON Schema; each must be valid and canonical (tested)."""


# --- Common pieces -------------------------------------------------------------------------


class DecidingBody(_Contract):
    """A party body that takes decisions: which kind of body, and whose."""

    EXAMPLES = (_DECIDING_BODY_EXAMPLE,)

    kind: BodyKind = Field(description="Which body of the organisation decided.")
    organisation_id: UUID = Field(description="The organisation whose body it is.")


class Decision(_Contract):
    """The decision of a party body that a fact rests on."""

    EXAMPLES = (_DECISION_EXAMPLE,)

    body: DecidingBody = Field(description="The body that decided.")
    decided_on: date = Field(description="Business date on which the decision took effect.")
    reference: _Reference = Field(description="Reference to the record, e.g. `Minutes No. 12`.")


class ApplicationDocument(_Contract):
    """A document a person signed: a membership application or a withdrawal statement.

    Only its reference travels; the document itself stays in the registry."""

    EXAMPLES = (_APPLICATION_EXAMPLE,)

    form: Literal["paper", "electronic_signature"] = Field(
        description="Signed on paper, or with an electronic digital signature."
    )
    reference: _Reference = Field(description="Registration reference of the document.")
    signed_on: date = Field(description="Date the document was signed.")


class OrganisationNames(_Contract):
    """An organisation's official name in Kazakh, Russian and English."""

    EXAMPLES = (_NAMES_EXAMPLE,)

    kk: _OrganisationName = Field(description="Name in Kazakh.")
    ru: _OrganisationName = Field(description="Name in Russian.")
    en: _OrganisationName = Field(description="Name in English.")


# --- The envelope --------------------------------------------------------------------------

_EVENT_TYPE_DESCRIPTION = (
    "What happened, as `<system>.<aggregate>.<fact>`. Route on it together with schema_version."
)


def _event_type(name: str) -> Any:
    """The `event_type` field of one event class: a constant that defaults to itself."""
    return Field(name, description=_EVENT_TYPE_DESCRIPTION)


class IntegrationEvent(_Contract):
    """Envelope shared by every integration event. Subclasses fix `event_type`."""

    model_config = ConfigDict(json_schema_extra=_document_event)

    event_id: UUID = Field(
        description="Unique id of this event, derived from aggregate_id and aggregate_version "
        "so that a redelivered event keeps it: deduplicate on it."
    )
    event_type: str = Field(description=_EVENT_TYPE_DESCRIPTION)
    schema_version: Literal[1] = Field(
        1,
        description="Version of this event's schema. Compatible additions keep the version; "
        "anything else is published as a new version.",
    )
    aggregate_id: UUID = Field(
        description="The organisation or member the event is about. Also the Kafka message "
        "key, so the events of one aggregate arrive in order."
    )
    aggregate_version: int = Field(
        ge=1,
        description="Version of the aggregate after this event. It grows with every change; "
        "not every change is published, so gaps are normal. Use it to ignore stale events.",
    )
    position: Annotated[int, Field(ge=0)] | None = Field(
        description="The producer's event-log position, a global order across aggregates; "
        "null when not known."
    )
    recorded_at: _UtcDatetime = Field(
        description="When the registry recorded the event: ISO 8601 with an offset, in UTC."
    )
    recorded_by: str = Field(
        min_length=1,
        max_length=200,
        description="Opaque id of the user account that recorded the event; never a name.",
    )
    effective_on: date = Field(
        description="Business date on which the fact took effect, e.g. the date of the "
        "decision. May be earlier than recorded_at."
    )


# --- Organisation events -------------------------------------------------------------------

_OrganisationId = Annotated[UUID, Field(description="The organisation; equal to aggregate_id.")]


class OrganisationCreated(IntegrationEvent):
    """A party organisation was created. The party itself has no parent; every other
    organisation has one."""

    EXAMPLES = (
        _event_example(
            "registry.organisation.created",
            _BRANCH,
            1,
            organisation_id=_BRANCH,
            kind="regional_branch",
            parent_id=_PARTY,
            names=_NAMES_EXAMPLE,
            decision=_BRANCH_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.organisation.created"] = _event_type(
        "registry.organisation.created"
    )
    organisation_id: _OrganisationId
    kind: OrganisationKind = Field(description="What kind of organisation it is.")
    parent_id: UUID | None = Field(
        description="The organisation it belongs to; null for the party and only for it."
    )
    names: OrganisationNames = Field(description="Official names.")
    decision: Decision | None = Field(
        description="The decision that created it; null when it predates the registry."
    )

    @model_validator(mode="after")
    def _only_the_party_has_no_parent(self) -> Self:
        if (self.kind is OrganisationKind.PARTY) != (self.parent_id is None):
            raise ValueError("the party has no parent_id, and every other organisation has one")
        return self


class OrganisationRenamed(IntegrationEvent):
    """A party organisation's official names changed."""

    EXAMPLES = (
        _event_example(
            "registry.organisation.renamed",
            _BRANCH,
            2,
            organisation_id=_BRANCH,
            names=_NAMES_EXAMPLE,
            decision=_BRANCH_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.organisation.renamed"] = _event_type(
        "registry.organisation.renamed"
    )
    organisation_id: _OrganisationId
    names: OrganisationNames = Field(description="The new official names, all three.")
    decision: Decision | None = Field(
        description="The decision that renamed it; null for corrections of a misspelling."
    )


class OrganisationMoved(IntegrationEvent):
    """A party organisation was moved under another parent organisation."""

    EXAMPLES = (
        _event_example(
            "registry.organisation.moved",
            _PPO,
            3,
            organisation_id=_PPO,
            from_parent_id=_BRANCH,
            to_parent_id=_OTHER_BRANCH,
            decision=_BRANCH_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.organisation.moved"] = _event_type("registry.organisation.moved")
    organisation_id: _OrganisationId
    from_parent_id: UUID = Field(description="The previous parent organisation.")
    to_parent_id: UUID = Field(description="The new parent organisation; differs from the old.")
    decision: Decision = Field(description="The decision that moved it.")

    @model_validator(mode="after")
    def _moves_somewhere_else(self) -> Self:
        if self.from_parent_id == self.to_parent_id:
            raise ValueError("from_parent_id and to_parent_id must differ")
        return self


class OrganisationDissolved(IntegrationEvent):
    """A party organisation was dissolved. It no longer accepts members."""

    EXAMPLES = (
        _event_example(
            "registry.organisation.dissolved",
            _PPO,
            4,
            organisation_id=_PPO,
            decision=_BRANCH_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.organisation.dissolved"] = _event_type(
        "registry.organisation.dissolved"
    )
    organisation_id: _OrganisationId
    decision: Decision = Field(description="The decision that dissolved it.")


# --- Membership events ---------------------------------------------------------------------

_MemberId = Annotated[
    UUID,
    Field(
        description="The member (or applicant); equal to aggregate_id. Fetch personal details, "
        "if you need them, from the registry's API."
    ),
]
_PrimaryOrganisationId = Annotated[
    UUID, Field(description="The primary party organisation concerned.")
]


class MembershipApplicationSubmitted(IntegrationEvent):
    """A person applied to join the party through a primary party organisation."""

    EXAMPLES = (
        _event_example(
            "registry.member.application_submitted",
            _MEMBER,
            1,
            effective_on="2025-03-01",
            member_id=_MEMBER,
            organisation_id=_PPO,
            application_document=_APPLICATION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.member.application_submitted"] = _event_type(
        "registry.member.application_submitted"
    )
    member_id: _MemberId
    organisation_id: _PrimaryOrganisationId
    application_document: ApplicationDocument = Field(description="The signed application.")


class MembershipApplicationRejected(IntegrationEvent):
    """A membership application was rejected."""

    EXAMPLES = (
        _event_example(
            "registry.member.application_rejected",
            _MEMBER,
            2,
            member_id=_MEMBER,
            organisation_id=_PPO,
            decision=_DECISION_EXAMPLE,
            reason="Does not meet the age requirement of the Charter.",
        ),
    )

    event_type: Literal["registry.member.application_rejected"] = _event_type(
        "registry.member.application_rejected"
    )
    member_id: _MemberId
    organisation_id: _PrimaryOrganisationId
    decision: Decision = Field(description="The decision that rejected the application.")
    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="Why, in the decision's words. Must not contain personal data.",
    )


class MemberAdmitted(IntegrationEvent):
    """An applicant was admitted to the party and received a party card."""

    EXAMPLES = (
        _event_example(
            "registry.member.admitted",
            _MEMBER,
            2,
            member_id=_MEMBER,
            organisation_id=_PPO,
            card_number="0012345",
            decision=_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.member.admitted"] = _event_type("registry.member.admitted")
    member_id: _MemberId
    organisation_id: _PrimaryOrganisationId
    card_number: _CardNumber = Field(description="Number of the member's party card.")
    decision: Decision = Field(description="The decision that admitted the applicant.")


class MembershipEnded(IntegrationEvent):
    """A membership ended. A withdrawal rests on the member's signed statement and needs no
    decision; every other ending rests on a decision and has no statement."""

    EXAMPLES = (
        _event_example(
            "registry.member.membership_ended",
            _MEMBER,
            5,
            member_id=_MEMBER,
            organisation_id=_PPO,
            card_number="0012345",
            reason="withdrawal",
            decision=None,
            application_document={**_APPLICATION_EXAMPLE, "reference": "Statement No. 77"},
        ),
        _event_example(
            "registry.member.membership_ended",
            _MEMBER,
            5,
            member_id=_MEMBER,
            organisation_id=_PPO,
            card_number="0012345",
            reason="exclusion",
            decision=_DECISION_EXAMPLE,
            application_document=None,
        ),
    )

    event_type: Literal["registry.member.membership_ended"] = _event_type(
        "registry.member.membership_ended"
    )
    member_id: _MemberId
    organisation_id: UUID = Field(description="The primary party organisation it ended in.")
    card_number: _CardNumber = Field(description="Number of the party card, now invalid.")
    reason: MembershipEndReason = Field(description="Why the membership ended.")
    decision: Decision | None = Field(
        description="The decision that ended it; null for a withdrawal, and only then."
    )
    application_document: ApplicationDocument | None = Field(
        description="The member's signed withdrawal statement; set for a withdrawal, and only then."
    )

    @model_validator(mode="after")
    def _withdrawal_rests_on_a_statement_and_others_on_a_decision(self) -> Self:
        if self.reason is MembershipEndReason.WITHDRAWAL:
            if self.decision is not None or self.application_document is None:
                raise ValueError("a withdrawal has an application_document and no decision")
        elif self.decision is None or self.application_document is not None:
            raise ValueError(f"a {self.reason} has a decision and no application_document")
        return self


class PersonalDataErased(IntegrationEvent):
    """A person's personal data was erased from the registry. Erase whatever you derived
    from it; the member's id stays valid but the API no longer returns personal details."""

    EXAMPLES = (
        _event_example(
            "registry.member.personal_data_erased",
            _MEMBER,
            6,
            member_id=_MEMBER,
            legal_basis="Law on Personal Data and their Protection, Article 18",
        ),
    )

    event_type: Literal["registry.member.personal_data_erased"] = _event_type(
        "registry.member.personal_data_erased"
    )
    member_id: _MemberId
    legal_basis: str = Field(
        min_length=1,
        max_length=500,
        description="The legal ground for the erasure, e.g. a statute and article.",
    )


# --- Reading events ------------------------------------------------------------------------

REGISTRY_EVENTS: tuple[type[IntegrationEvent], ...] = (
    OrganisationCreated,
    OrganisationRenamed,
    OrganisationMoved,
    OrganisationDissolved,
    MembershipApplicationSubmitted,
    MembershipApplicationRejected,
    MemberAdmitted,
    MembershipEnded,
    PersonalDataErased,
)
"""Every registry integration event, version 1."""

RegistryEvent: TypeAlias = Annotated[
    OrganisationCreated
    | OrganisationRenamed
    | OrganisationMoved
    | OrganisationDissolved
    | MembershipApplicationSubmitted
    | MembershipApplicationRejected
    | MemberAdmitted
    | MembershipEnded
    | PersonalDataErased,
    Field(discriminator="event_type"),
]
"""Any registry integration event, told apart by `event_type`."""

_REGISTRY_EVENT: TypeAdapter[RegistryEvent] = TypeAdapter(RegistryEvent)


def parse_registry_event(data: bytes | str | dict[str, Any]) -> RegistryEvent:
    """Read a registry integration event from JSON (bytes or str) or from a decoded dict.

    Raises `pydantic.ValidationError` for an unknown `event_type`, a missing or unexpected
    field, or an invalid value.
    """
    if isinstance(data, dict):
        return _REGISTRY_EVENT.validate_python(data)
    return _REGISTRY_EVENT.validate_json(data)
