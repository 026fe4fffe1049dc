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
    "AppealDecided",
    "AppealFiled",
    "AppealOutcome",
    "ApplicationDocument",
    "BodyKind",
    "DecidingBody",
    "Decision",
    "DisciplinaryCaseDismissed",
    "DisciplinaryCaseOpened",
    "ExclusionGround",
    "IntegrationEvent",
    "MandateAtStakeReason",
    "MandateEnded",
    "MandateKind",
    "MandateLevel",
    "MandateRecorded",
    "MemberAdmitted",
    "MemberTransferred",
    "MembershipApplicationRejected",
    "MembershipApplicationSubmitted",
    "MembershipEndReason",
    "MembershipEnded",
    "MembershipRestored",
    "NationalMandateAtStake",
    "OrganisationCreated",
    "OrganisationDissolved",
    "OrganisationKind",
    "OrganisationMoved",
    "OrganisationNames",
    "OrganisationRenamed",
    "PersonalDataErased",
    "RegistryEvent",
    "ResidenceChangeReported",
    "SanctionImposed",
    "SanctionKind",
    "TransferReason",
    "TransferRequested",
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


class TransferReason(StrEnum):
    """Why a member is transferred to another primary party organisation. A transfer for a
    `residence_change` registers the member at the new place of residence (Ch. 5.2)."""

    RESIDENCE_CHANGE = "residence_change"
    WORKPLACE = "workplace"
    OTHER = "other"


class MandateKind(StrEnum):
    """The representative body a deputy's mandate is in: the Kurultai (the unicameral
    parliament of the draft Constitution), the Mazhilis or the Senate of Parliament, or a
    maslikhat (local representative body). Kurultai and Mazhilis deputies are the national
    deputies who lose their mandate on leaving the party (see `national_mandate_at_stake`)."""

    KURULTAI = "kurultai"
    MAZHILIS = "mazhilis"
    SENATE = "senate"
    MASLIKHAT = "maslikhat"


class MandateLevel(StrEnum):
    """The level of a maslikhat: of a region (or city of republican significance), a city or
    a district."""

    REGIONAL = "regional"
    CITY = "city"
    DISTRICT = "district"


class MandateAtStakeReason(StrEnum):
    """How a national deputy left the party: by their own `withdrawal`, or by `exclusion`
    (expulsion by a party body)."""

    WITHDRAWAL = "withdrawal"
    EXCLUSION = "exclusion"


class SanctionKind(StrEnum):
    """A party sanction (Ch. 3.8), from mildest to severest. An expulsion ends membership."""

    WARNING = "warning"
    REPRIMAND = "reprimand"
    EXPULSION = "expulsion"


class ExclusionGround(StrEnum):
    """A ground for exclusion from the party (Ch. 3.6): a criminal conviction, a corruption
    offence, nominating oneself for election without the party's consent, discrediting the
    party, breaching the Charter or the party's decisions, not registering a change of
    residence within six months, or `other` actions the Charter provides for (then named in
    `other_ground`)."""

    CRIMINAL_CONVICTION = "criminal_conviction"
    CORRUPTION_OFFENCE = "corruption_offence"
    UNAUTHORISED_SELF_NOMINATION = "unauthorised_self_nomination"
    DISCREDITING_THE_PARTY = "discrediting_the_party"
    BREACH_OF_CHARTER_OR_DECISIONS = "breach_of_charter_or_decisions"
    RESIDENCE_CHANGE_NOT_REGISTERED = "residence_change_not_registered"
    OTHER = "other"


class AppealOutcome(StrEnum):
    """How an appeal against a sanction was decided (Ch. 5.1): the sanction `upheld`,
    `annulled`, or `replaced` by a milder one."""

    UPHELD = "upheld"
    ANNULLED = "annulled"
    REPLACED = "replaced"


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


_UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
_Reference = Annotated[str, Field(min_length=1, max_length=200)]
_CardNumber = Annotated[str, Field(min_length=1, max_length=50)]
_OrganisationName = Annotated[str, Field(min_length=1, max_length=300)]
_Territory = Annotated[str, Field(min_length=1, max_length=200)]
_OtherGround = Annotated[str, Field(min_length=1, max_length=500)]


# --- Example data, shown in the JSON Schemas -----------------------------------------------

_PARTY = "0b6f3c1a-5d2e-4f7a-8c9b-1a2b3c4d5e6f"
_BRANCH = "6a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6"
_OTHER_BRANCH = "7b2e3f40-5c6d-4e7f-9a81-92a3b4c5d6e7"
_PPO = "c4e5f6a7-b8c9-4dae-8bf0-0123456789ab"
_MEMBER = "9d8c7b6a-5f4e-4d3c-ab2a-1f0e9d8c7b6a"
_OTHER_PPO = "d5f6a7b8-c9da-4ebf-9c01-123456789abc"
_MANDATE = "3c4d5e6f-7a8b-4c9d-ae0f-1a2b3c4d5e6f"
_CASE = "4d5e6f70-8b9c-4dae-bf10-2b3c4d5e6f70"
_SANCTION = "5e6f7081-9cad-4ebf-8021-3c4d5e6f7081"
_APPEAL = "6f708192-adbe-4fc0-9132-4d5e6f708192"

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
_PARTY_BUREAU_DECISION_EXAMPLE: JsonDict = {
    "body": {"kind": "party_bureau", "organisation_id": _PARTY},
    "decided_on": "2025-03-12",
    "reference": "Resolution No. 9",
}
_APPEAL_DECISION_EXAMPLE: JsonDict = {
    "body": {"kind": "party_political_council", "organisation_id": _PARTY},
    "decided_on": "2025-05-20",
    "reference": "Resolution No. 15",
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
    """A membership ended. A withdrawal rests on the member's signed statement, not on a
    `decision` (it cannot be refused); the body that formalised it is `formalised_by` (null only
    in withdrawals recorded before it was required). Every other ending rests on a decision and
    has no statement."""

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
            formalised_by={**_DECISION_EXAMPLE, "reference": "Minutes No. 14"},
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
            formalised_by=None,
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
    formalised_by: Decision | None = Field(
        default=None,
        description="For a withdrawal: the decision of the body that formalised it (Charter "
        "3.7; given for every withdrawal the registry records now). Null for withdrawals "
        "recorded on the statement alone by earlier versions, and for every other ending.",
    )

    @model_validator(mode="after")
    def _withdrawal_rests_on_a_statement_and_others_on_a_decision(self) -> Self:
        if self.reason is MembershipEndReason.WITHDRAWAL:
            if self.decision is not None or self.application_document is None:
                raise ValueError("a withdrawal has an application_document and no decision")
        elif self.decision is None or self.application_document is not None:
            raise ValueError(f"a {self.reason} has a decision and no application_document")
        elif self.formalised_by is not None:
            raise ValueError("only a withdrawal is formalised_by a decision")
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


# --- Residence and transfers (Ch. 5.2, 3.6) ------------------------------------------------


class ResidenceChangeReported(IntegrationEvent):
    """A member changed their place of residence (Ch. 5.2). They have until
    `registration_deadline` to register with the party at the new place; after it, not having
    registered is a ground for exclusion (Ch. 3.6), never acted on automatically. A
    `transferred` event with `closes_residence_clock` ends the clock. effective_on is the day
    the member moved."""

    EXAMPLES = (
        _event_example(
            "registry.member.residence_change_reported",
            _MEMBER,
            3,
            effective_on="2025-04-01",
            member_id=_MEMBER,
            moved_on="2025-04-01",
            registration_deadline="2025-10-01",
        ),
    )

    event_type: Literal["registry.member.residence_change_reported"] = _event_type(
        "registry.member.residence_change_reported"
    )
    member_id: _MemberId
    moved_on: date = Field(description="The day the member moved; equal to effective_on.")
    registration_deadline: date = Field(
        description="The last day, inclusive, to register with the party at the new place of "
        "residence: six calendar months after moved_on."
    )


class TransferRequested(IntegrationEvent):
    """A transfer of a member to another primary party organisation was requested (by the
    member or by either organisation). The member stays on their current organisation's roll
    until `transferred`. effective_on is the date of the request."""

    EXAMPLES = (
        _event_example(
            "registry.member.transfer_requested",
            _MEMBER,
            4,
            effective_on="2025-04-10",
            member_id=_MEMBER,
            to_organisation_id=_OTHER_PPO,
            requested_on="2025-04-10",
            reason="residence_change",
        ),
    )

    event_type: Literal["registry.member.transfer_requested"] = _event_type(
        "registry.member.transfer_requested"
    )
    member_id: _MemberId
    to_organisation_id: UUID = Field(description="The receiving primary party organisation.")
    requested_on: date = Field(description="Date of the request; equal to effective_on.")
    reason: TransferReason = Field(description="Why the member moves to another organisation.")


class MemberTransferred(IntegrationEvent):
    """A member was transferred to another primary party organisation: the receiving one
    registered them and, in the same fact, the sending one released them, so the member is
    never on two rolls, nor on none. The membership and its party card continue."""

    EXAMPLES = (
        _event_example(
            "registry.member.transferred",
            _MEMBER,
            5,
            effective_on="2025-04-20",
            member_id=_MEMBER,
            from_organisation_id=_PPO,
            to_organisation_id=_OTHER_PPO,
            decision={
                "body": {"kind": "ppo_bureau", "organisation_id": _OTHER_PPO},
                "decided_on": "2025-04-20",
                "reference": "Minutes No. 4",
            },
            closes_residence_clock=True,
        ),
    )

    event_type: Literal["registry.member.transferred"] = _event_type("registry.member.transferred")
    member_id: _MemberId
    from_organisation_id: UUID = Field(description="The primary organisation the member left.")
    to_organisation_id: UUID = Field(
        description="The primary organisation the member is now registered in; differs from "
        "from_organisation_id."
    )
    decision: Decision = Field(description="The receiving organisation's decision.")
    closes_residence_clock: bool = Field(
        description="True for a transfer on a change of residence: it registers the member at "
        "the new place, so the deadline of an earlier residence_change_reported no longer runs."
    )

    @model_validator(mode="after")
    def _moves_somewhere_else(self) -> Self:
        if self.from_organisation_id == self.to_organisation_id:
            raise ValueError("from_organisation_id and to_organisation_id must differ")
        return self


# --- Deputies (Ch. 3.7, 9.5, 9.8) ----------------------------------------------------------

_MandateId = Annotated[UUID, Field(description="The mandate, as recorded by mandate_recorded.")]


class MandateRecorded(IntegrationEvent):
    """A member's (or former member's) elected mandate was recorded. A deputy's membership can
    be ended only by the party Bureau (Kurultai, Mazhilis) or a branch Bureau (maslikhat).
    effective_on is the day the mandate started; a mandate that already ended is recorded with
    its ended_on."""

    EXAMPLES = (
        _event_example(
            "registry.member.mandate_recorded",
            _MEMBER,
            6,
            effective_on="2023-03-29",
            member_id=_MEMBER,
            mandate_id=_MANDATE,
            kind="mazhilis",
            territory="Republic of Kazakhstan",
            level=None,
            started_on="2023-03-29",
            ended_on=None,
        ),
        _event_example(
            "registry.member.mandate_recorded",
            _MEMBER,
            7,
            effective_on="2021-01-10",
            member_id=_MEMBER,
            mandate_id="7a8b9cad-becf-4d01-a243-5e6f708192a3",
            kind="maslikhat",
            territory="Astana city",
            level="city",
            started_on="2021-01-10",
            ended_on="2023-03-19",
        ),
    )

    event_type: Literal["registry.member.mandate_recorded"] = _event_type(
        "registry.member.mandate_recorded"
    )
    member_id: _MemberId
    mandate_id: UUID = Field(description="Id of the mandate; later events refer to it.")
    kind: MandateKind = Field(description="The representative body of the mandate.")
    territory: _Territory = Field(
        description="The territory the body represents, e.g. `Astana city`; a place, never a "
        "person."
    )
    level: MandateLevel | None = Field(
        description="For a maslikhat, its level; null for other mandates or when not known."
    )
    started_on: date = Field(description="First day of the mandate; equal to effective_on.")
    ended_on: date | None = Field(
        description="Last day of the mandate, not before started_on; null while it runs."
    )

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("a mandate cannot end (ended_on) before it starts (started_on)")
        return self


class MandateEnded(IntegrationEvent):
    """A member's elected mandate ended. effective_on is its last day."""

    EXAMPLES = (
        _event_example(
            "registry.member.mandate_ended",
            _MEMBER,
            8,
            effective_on="2025-06-30",
            member_id=_MEMBER,
            mandate_id=_MANDATE,
            ended_on="2025-06-30",
        ),
    )

    event_type: Literal["registry.member.mandate_ended"] = _event_type(
        "registry.member.mandate_ended"
    )
    member_id: _MemberId
    mandate_id: _MandateId
    ended_on: date = Field(description="Last day of the mandate; equal to effective_on.")


class NationalMandateAtStake(IntegrationEvent):
    """A national deputy (a Kurultai or Mazhilis deputy) left the party: by withdrawal, or by
    exclusion. Under the Constitution (the article on deputies' mandates) a deputy who leaves
    the party that nominated them loses the mandate. The registry does not end it: downstream
    systems must act on this event, which is published as its own fact so that none can miss
    it.

    One event per national mandate held on effective_on, the day membership ended. It follows
    the member's `membership_ended` (withdrawal) or `sanction_imposed` (expulsion). The
    mandate itself ends in the registry only with a later `mandate_ended`; a later
    `membership_restored` does not take this event back."""

    EXAMPLES = (
        _event_example(
            "registry.member.national_mandate_at_stake",
            _MEMBER,
            10,
            member_id=_MEMBER,
            mandate_id=_MANDATE,
            reason="exclusion",
        ),
    )

    event_type: Literal["registry.member.national_mandate_at_stake"] = _event_type(
        "registry.member.national_mandate_at_stake"
    )
    member_id: _MemberId
    mandate_id: _MandateId
    reason: MandateAtStakeReason = Field(description="How the deputy left the party.")


# --- Discipline (Ch. 3.8, 3.6, 5.1) --------------------------------------------------------

_CaseId = Annotated[UUID, Field(description="The disciplinary case.")]
_SanctionId = Annotated[UUID, Field(description="The sanction, as imposed by sanction_imposed.")]
_AppealId = Annotated[UUID, Field(description="The appeal, as filed by appeal_filed.")]


class DisciplinaryCaseOpened(IntegrationEvent):
    """A disciplinary case against a member is before a party body (Ch. 3.8). While it is
    open, the member cannot be transferred. It ends with `disciplinary_case_dismissed` or a
    `sanction_imposed` naming it. effective_on is the day it was opened."""

    EXAMPLES = (
        _event_example(
            "registry.member.disciplinary_case_opened",
            _MEMBER,
            9,
            effective_on="2025-03-01",
            member_id=_MEMBER,
            case_id=_CASE,
            organisation_id=_PPO,
            opened_on="2025-03-01",
            reference="Complaint No. 12",
        ),
    )

    event_type: Literal["registry.member.disciplinary_case_opened"] = _event_type(
        "registry.member.disciplinary_case_opened"
    )
    member_id: _MemberId
    case_id: UUID = Field(description="Id of the case; later events refer to it.")
    organisation_id: UUID = Field(
        description="The primary party organisation the member was registered in."
    )
    opened_on: date = Field(description="The day the case was opened; equal to effective_on.")
    reference: _Reference = Field(
        description="Reference to the document that opened the case, e.g. `Complaint No. 12`; "
        "never a narrative, and never personal data."
    )


class DisciplinaryCaseDismissed(IntegrationEvent):
    """A disciplinary case was closed without a sanction."""

    EXAMPLES = (
        _event_example(
            "registry.member.disciplinary_case_dismissed",
            _MEMBER,
            10,
            member_id=_MEMBER,
            case_id=_CASE,
            decision=_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.member.disciplinary_case_dismissed"] = _event_type(
        "registry.member.disciplinary_case_dismissed"
    )
    member_id: _MemberId
    case_id: _CaseId
    decision: Decision = Field(description="The decision that dismissed the case.")


class SanctionImposed(IntegrationEvent):
    """A party body imposed a sanction on a member (Ch. 3.8): a warning, a reprimand, or
    expulsion, which rests on one or more grounds of Ch. 3.6.

    An expulsion ends the membership from the decision date (effective_on): treat it as the
    end of membership with reason `exclusion` and the party card as no longer valid. No
    `membership_ended` is published for it. If the expelled member held a national mandate, a
    `national_mandate_at_stake` follows. The sanction can be appealed up to appeal_deadline;
    an expulsion annulled or replaced on appeal is followed by `membership_restored`."""

    EXAMPLES = (
        _event_example(
            "registry.member.sanction_imposed",
            _MEMBER,
            10,
            member_id=_MEMBER,
            sanction_id=_SANCTION,
            case_id=_CASE,
            kind="reprimand",
            decision=_DECISION_EXAMPLE,
            grounds=["breach_of_charter_or_decisions"],
            other_ground=None,
            appeal_deadline="2025-06-12",
            organisation_id=_PPO,
            card_number="0012345",
        ),
        _event_example(
            "registry.member.sanction_imposed",
            _MEMBER,
            11,
            member_id=_MEMBER,
            sanction_id=_SANCTION,
            case_id=None,
            kind="expulsion",
            decision=_PARTY_BUREAU_DECISION_EXAMPLE,
            grounds=["discrediting_the_party", "other"],
            other_ground="Charter, Ch. 3.3: duties of a party member",
            appeal_deadline="2025-06-12",
            organisation_id=_PPO,
            card_number="0012345",
        ),
    )

    event_type: Literal["registry.member.sanction_imposed"] = _event_type(
        "registry.member.sanction_imposed"
    )
    member_id: _MemberId
    sanction_id: UUID = Field(description="Id of the sanction; later events refer to it.")
    case_id: UUID | None = Field(
        description="The disciplinary case it decides, which it closes; null if none was opened."
    )
    kind: SanctionKind = Field(description="Which sanction.")
    decision: Decision = Field(description="The decision that imposed it.")
    grounds: list[ExclusionGround] = Field(
        description="The grounds of Ch. 3.6 it rests on: at least one for an expulsion, possibly "
        "none for a warning or reprimand."
    )
    other_ground: _OtherGround | None = Field(
        description="Which provision of the Charter the ground `other` refers to; set when "
        "grounds include `other`. Must not contain personal data."
    )
    appeal_deadline: date = Field(
        description="The last day, inclusive, to appeal: three calendar months after the "
        "decision (Ch. 5.1)."
    )
    organisation_id: UUID = Field(
        description="The primary party organisation the member was registered in."
    )
    card_number: _CardNumber = Field(
        description="Number of the member's party card; no longer valid after an expulsion."
    )

    @model_validator(mode="after")
    def _grounds_are_named(self) -> Self:
        if self.kind is SanctionKind.EXPULSION and not self.grounds:
            raise ValueError("an expulsion rests on one or more grounds")
        if ExclusionGround.OTHER in self.grounds and self.other_ground is None:
            raise ValueError("the ground 'other' needs other_ground")
        return self


class AppealFiled(IntegrationEvent):
    """A sanction was appealed to a higher party body (Ch. 5.1). effective_on is the day the
    appeal was filed."""

    EXAMPLES = (
        _event_example(
            "registry.member.appeal_filed",
            _MEMBER,
            12,
            effective_on="2025-04-02",
            member_id=_MEMBER,
            sanction_id=_SANCTION,
            appeal_id=_APPEAL,
            filed_on="2025-04-02",
            body={"kind": "party_political_council", "organisation_id": _PARTY},
            document_reference="Appeal No. 3",
        ),
    )

    event_type: Literal["registry.member.appeal_filed"] = _event_type(
        "registry.member.appeal_filed"
    )
    member_id: _MemberId
    sanction_id: _SanctionId
    appeal_id: UUID = Field(description="Id of the appeal; appeal_decided refers to it.")
    filed_on: date = Field(description="The day the appeal was filed; equal to effective_on.")
    body: DecidingBody = Field(description="The body appealed to, which decides the appeal.")
    document_reference: _Reference = Field(
        description="Registration reference of the written appeal, e.g. `Appeal No. 3`."
    )


class AppealDecided(IntegrationEvent):
    """The body an appeal was filed with decided it: it upheld the sanction, annulled it, or
    replaced it with a milder one. An expulsion annulled or replaced restores the membership:
    `membership_restored` follows."""

    EXAMPLES = (
        _event_example(
            "registry.member.appeal_decided",
            _MEMBER,
            13,
            effective_on="2025-05-20",
            member_id=_MEMBER,
            sanction_id=_SANCTION,
            appeal_id=_APPEAL,
            outcome="annulled",
            replacement=None,
            decision=_APPEAL_DECISION_EXAMPLE,
        ),
        _event_example(
            "registry.member.appeal_decided",
            _MEMBER,
            13,
            effective_on="2025-05-20",
            member_id=_MEMBER,
            sanction_id=_SANCTION,
            appeal_id=_APPEAL,
            outcome="replaced",
            replacement="reprimand",
            decision=_APPEAL_DECISION_EXAMPLE,
        ),
    )

    event_type: Literal["registry.member.appeal_decided"] = _event_type(
        "registry.member.appeal_decided"
    )
    member_id: _MemberId
    sanction_id: _SanctionId
    appeal_id: _AppealId
    outcome: AppealOutcome = Field(description="What the body decided.")
    replacement: SanctionKind | None = Field(
        description="The milder sanction that replaces the one appealed; set when the outcome is "
        "`replaced`, and only then."
    )
    decision: Decision = Field(description="The decision on the appeal.")

    @model_validator(mode="after")
    def _replacement_only_when_replaced(self) -> Self:
        if (self.outcome is AppealOutcome.REPLACED) != (self.replacement is not None):
            raise ValueError("a replacement is given when the outcome is 'replaced', and only then")
        if self.replacement is SanctionKind.EXPULSION:
            raise ValueError("a sanction can only be replaced by a milder one, never an expulsion")
        return self


class MembershipRestored(IntegrationEvent):
    """An expulsion was annulled or replaced on appeal: the membership continues as if it had
    not ended, with the same party card, organisation and admission date. It follows the
    `appeal_decided` that restored it; effective_on is the date of that decision."""

    EXAMPLES = (
        _event_example(
            "registry.member.membership_restored",
            _MEMBER,
            14,
            effective_on="2025-05-20",
            member_id=_MEMBER,
            sanction_id=_SANCTION,
        ),
    )

    event_type: Literal["registry.member.membership_restored"] = _event_type(
        "registry.member.membership_restored"
    )
    member_id: _MemberId
    sanction_id: UUID = Field(description="The expulsion that no longer stands.")


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
    ResidenceChangeReported,
    TransferRequested,
    MemberTransferred,
    MandateRecorded,
    MandateEnded,
    NationalMandateAtStake,
    DisciplinaryCaseOpened,
    DisciplinaryCaseDismissed,
    SanctionImposed,
    AppealFiled,
    AppealDecided,
    MembershipRestored,
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
    | PersonalDataErased
    | ResidenceChangeReported
    | TransferRequested
    | MemberTransferred
    | MandateRecorded
    | MandateEnded
    | NationalMandateAtStake
    | DisciplinaryCaseOpened
    | DisciplinaryCaseDismissed
    | SanctionImposed
    | AppealFiled
    | AppealDecided
    | MembershipRestored,
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
