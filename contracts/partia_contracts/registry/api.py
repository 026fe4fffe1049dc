"""The registry's HTTP API: request and response bodies, shared with every client.

Clients import these models instead of copying them, so a change here is a change for everyone,
checked by the same tests. Decision, DecidingBody, ApplicationDocument and OrganisationNames are the
same shapes the integration events carry.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from partia_contracts.registry.v1 import (
    AppealOutcome,
    ApplicationDocument,
    DecidingBody,
    Decision,
    ExclusionGround,
    MandateKind,
    OrganisationKind,
    OrganisationNames,
    SanctionKind,
    TransferReason,
)
from partia_contracts.text import StorableText

__all__ = [
    "AdmissionRequest",
    "ApplicationRequest",
    "BarredOffice",
    "CreateOrganisationRequest",
    "Declarations",
    "DissolveOrganisationRequest",
    "ErasureRequest",
    "HistoryEntry",
    "Language",
    "MemberHistory",
    "MemberLookup",
    "MemberLookupRequest",
    "MemberReceipt",
    "MemberView",
    "MoveOrganisationRequest",
    "OrganisationPage",
    "OrganisationReceipt",
    "OrganisationView",
    "Person",
    "PreferredLanguageRequest",
    "Problem",
    "RejectionRequest",
    "RenameOrganisationRequest",
    "RollEntry",
    "RollPage",
    "TerminationGround",
    "TerminationRequest",
    "WithdrawalRequest",
]

_Text = Annotated[StorableText, Field(min_length=1, max_length=200)]


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- vocabularies -------------------------------------------------------------------------------


class BarredOffice(StrEnum):
    """Offices whose holders may not be party members (Constitution Art. 26(2), 45(2), and the
    Vice-President article)."""

    JUDGE = "judge"
    CENTRAL_ELECTION_COMMISSION = "central_election_commission"
    SUPREME_AUDIT_CHAMBER = "supreme_audit_chamber"
    LAW_ENFORCEMENT = "law_enforcement"
    SPECIAL_STATE_BODY = "special_state_body"
    MILITARY = "military"
    PRESIDENT = "president"
    VICE_PRESIDENT = "vice_president"


class Language(StrEnum):
    """A language the party writes to its members in: Kazakh, Russian or English."""

    KK = "kk"
    RU = "ru"
    EN = "en"


class TerminationGround(StrEnum):
    """Non-disciplinary grounds on which membership ends (Charter 3.6)."""

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


# --- organisations ------------------------------------------------------------------------------

_NAMES: JsonDict = {
    "kk": "Есіл аудандық филиалы",
    "ru": "Есильский районный филиал",
    "en": "Yesil District Branch",
}


class CreateOrganisationRequest(_Request):
    """Found a branch, a primary organisation (PPO) or a party group under an existing one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "territorial_branch",
                    "parent_id": "8b0b7c6e-2f57-5a53-9d0c-6d3d3c7e2f10",
                    "names": _NAMES,
                    "decision": {
                        "body": {
                            "kind": "branch_bureau",
                            "organisation_id": "8b0b7c6e-2f57-5a53-9d0c-6d3d3c7e2f10",
                        },
                        "decided_on": "2026-02-01",
                        "reference": "Bureau resolution No. 4",
                    },
                }
            ]
        }
    )

    kind: Literal[
        OrganisationKind.REGIONAL_BRANCH,
        OrganisationKind.TERRITORIAL_BRANCH,
        OrganisationKind.PRIMARY_ORGANISATION,
        OrganisationKind.PARTY_GROUP,
    ]
    parent_id: UUID
    names: OrganisationNames
    decision: Decision
    code: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")] | None = None


_PPO_EXAMPLE = "c4e5f6a7-b8c9-4dae-8bf0-0123456789ab"
_DISTRICT_EXAMPLE = "6a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6"


def _decision_example(kind: str, organisation_id: str, on: str, reference: str) -> JsonDict:
    return {
        "body": {"kind": kind, "organisation_id": organisation_id},
        "decided_on": on,
        "reference": reference,
    }


class RenameOrganisationRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "names": _NAMES,
                    "decision": _decision_example(
                        "branch_bureau", _DISTRICT_EXAMPLE, "2026-04-01", "Bureau resolution No. 9"
                    ),
                }
            ]
        }
    )

    names: OrganisationNames
    decision: Decision


class MoveOrganisationRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to_parent_id": _DISTRICT_EXAMPLE,
                    "decision": _decision_example(
                        "party_bureau",
                        "0b6f3c1a-5d2e-4f7a-8c9b-1a2b3c4d5e6f",
                        "2026-04-01",
                        "Party Bureau resolution No. 3",
                    ),
                }
            ]
        }
    )

    to_parent_id: UUID
    decision: Decision


class DissolveOrganisationRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": _decision_example(
                        "branch_bureau", _DISTRICT_EXAMPLE, "2026-09-01", "Bureau resolution No. 21"
                    ),
                }
            ]
        }
    )

    decision: Decision


class OrganisationReceipt(_Response):
    organisation_id: UUID
    kind: OrganisationKind | None = None
    parent_id: UUID | None = None
    dissolved_on: date | None = None
    positions: list[int] = Field(
        default_factory=list, description="log positions of the new events"
    )


class OrganisationView(_Response):
    organisation_id: UUID
    kind: OrganisationKind
    parent_id: UUID | None
    names: OrganisationNames
    code: str | None
    founded_on: date | None
    dissolved_on: date | None
    member_count: int | None = Field(description="members on its own roll (not its subtree)")


class OrganisationPage(_Response):
    items: list[OrganisationView]
    total: int
    limit: int
    offset: int


# --- membership ---------------------------------------------------------------------------------


class Person(_Request):
    """The applicant's personal data. Stored sealed with a key of the person's own; erasable."""

    iin: Annotated[
        str, Field(pattern=r"^\d{12}$", description="12-digit IIN with a valid check digit")
    ]
    surname: _Text
    given_name: _Text
    patronymic: _Text | None = None
    address: Annotated[StorableText, Field(min_length=1, max_length=500)]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,20}$")] | None = None
    email: (
        Annotated[
            str, Field(pattern=r"^[^@\s\u0000]+@[^@\s\u0000]+\.[^@\s\u0000]+$", max_length=254)
        ]
        | None
    ) = None
    preferred_language: Language | None = Field(
        default=None,
        description="the language the person wants notices in; left out, the registry's default "
        "(`PARTIA_DEFAULT_LANGUAGE`, kk unless configured) is used until they say",
    )


class Declarations(_Request):
    """What the applicant declares; an IIN does not prove citizenship or party affiliation."""

    citizenship: Annotated[
        str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2, e.g. KZ")
    ]
    member_of_another_party: bool
    barred_office: BarredOffice | None = Field(
        default=None, description="an office that bars party membership, if the applicant holds one"
    )


class ApplicationRequest(_Request):
    """A written application to join (Charter 3.4), to be decided by a competent body."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organisation_id": "c4e5f6a7-b8c9-4dae-8bf0-0123456789ab",
                    "person": {
                        "iin": "900101350122",
                        "surname": "Ахметова",
                        "given_name": "Айгерім",
                        "patronymic": "Серікқызы",
                        "address": "Астана, Есіл ауданы, Мәңгілік Ел 10",
                        "phone": "+77011234567",
                        "email": "aigerim@example.kz",
                    },
                    "declarations": {
                        "citizenship": "KZ",
                        "member_of_another_party": False,
                        "barred_office": None,
                    },
                    "application_document": {
                        "form": "electronic_signature",
                        "reference": "EDS-2026-0001",
                        "signed_on": "2026-03-01",
                    },
                }
            ]
        }
    )

    organisation_id: UUID = Field(description="the primary organisation applied to")
    person: Person
    declarations: Declarations
    application_document: ApplicationDocument


class AdmissionRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": {
                        "body": {
                            "kind": "ppo_meeting",
                            "organisation_id": "c4e5f6a7-b8c9-4dae-8bf0-0123456789ab",
                        },
                        "decided_on": "2026-03-10",
                        "reference": "PPO meeting minutes No. 3",
                    },
                }
            ]
        }
    )

    decision: Decision


class RejectionRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": _decision_example(
                        "ppo_bureau", _PPO_EXAMPLE, "2026-03-10", "PPO bureau minutes No. 4"
                    ),
                    "reason": "The application was not signed.",
                }
            ]
        }
    )

    decision: Decision
    reason: Annotated[StorableText, Field(min_length=1, max_length=1000)]


class WithdrawalRequest(_Request):
    """The member's written application to leave (Charter 3.6, 5.1): always granted. The body
    that formalised it (Charter 3.7) goes in `decision`, required: for a Mazhilis deputy the
    party Bureau (Charter 9.5), for a maslikhat deputy a branch Bureau (Charter 9.8)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_document": {
                        "form": "paper",
                        "reference": "Statement No. 77",
                        "signed_on": "2026-05-02",
                    },
                    "decision": _decision_example(
                        "ppo_bureau", _PPO_EXAMPLE, "2026-05-06", "PPO bureau minutes No. 5"
                    ),
                }
            ]
        }
    )

    application_document: ApplicationDocument
    effective_on: date | None = Field(
        default=None,
        description="when membership ends; defaults to the date the application was signed, "
        "and cannot be earlier",
    )
    decision: Decision = Field(
        description="the body that formalised the withdrawal (Charter 3.7), required: a PPO's "
        "meeting or bureau, or a branch or the party Bureau; for deputies the Bureau of Charter "
        "9.5 / 9.8. It cannot refuse the withdrawal (Charter 5.1), and cannot be dated before the "
        "application was signed",
        examples=[
            _decision_example("ppo_bureau", _PPO_EXAMPLE, "2026-05-06", "PPO bureau minutes No. 5")
        ],
        json_schema_extra={
            "x-charter-rule": "withdrawal-needs-formalising-body",
            "x-charter-clause": "Ch. 3.7",
        },
    )


class TerminationRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ground": "joined_another_party",
                    "decision": _decision_example(
                        "ppo_meeting", _PPO_EXAMPLE, "2026-06-01", "PPO meeting minutes No. 8"
                    ),
                }
            ]
        }
    )

    ground: TerminationGround
    decision: Decision


class ErasureRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "legal_basis": "Law on Personal Data and their Protection, Art. 18",
                    "request_reference": "Request No. 2026-17",
                }
            ]
        }
    )

    legal_basis: Annotated[StorableText, Field(min_length=1, max_length=500)]
    request_reference: _Text


class PreferredLanguageRequest(_Request):
    """The language a person wants their notices in from now on (issue 13 item 3)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"preferred_language": "ru"}]})

    preferred_language: Language


class MemberReceipt(_Response):
    member_id: UUID
    status: str
    organisation_id: UUID | None = None
    card_number: str | None = None
    admitted_on: date | None = None
    ended_on: date | None = None
    end_reason: str | None = None
    erased: bool | None = None
    preferred_language: Language | None = Field(
        default=None, description="after a change of preferred language: the language now kept"
    )
    # What a command created or started, for the next call about it:
    registration_deadline: date | None = Field(
        default=None, description="after a residence change: last day to register (Charter 3.6)"
    )
    transfer_to: UUID | None = Field(default=None, description="the PPO a transfer was asked to")
    from_organisation_id: UUID | None = Field(default=None, description="after a transfer")
    mandate_id: UUID | None = None
    case_id: UUID | None = None
    sanction_id: UUID | None = None
    appeal_id: UUID | None = None
    kind: str | None = Field(default=None, description="the sanction's kind")
    appeal_deadline: date | None = Field(
        default=None, description="last day, inclusive, to appeal the sanction (Charter 5.1)"
    )
    outcome: str | None = Field(default=None, description="the appeal's outcome")
    positions: list[int] = Field(
        default_factory=list, description="log positions of the new events"
    )


class ResidenceClock(_Response):
    moved_on: date
    registration_deadline: date = Field(
        description="last day to register at the new place (Charter 3.6)"
    )
    overdue: bool = Field(
        description="the deadline has passed: a ground for exclusion, never automatic"
    )


class PendingTransferView(_Response):
    to_organisation_id: UUID
    requested_on: date
    reason: str


class MandateView(_Response):
    mandate_id: UUID
    kind: str
    territory: str
    level: str | None
    started_on: date
    ended_on: date | None


class CaseView(_Response):
    case_id: UUID
    opened_on: date
    reference: str
    closed_on: date | None
    sanction_id: UUID | None


class AppealView(_Response):
    appeal_id: UUID
    filed_on: date
    body: DecidingBody
    document_reference: str
    outcome: str | None
    decision: Decision | None


class SanctionView(_Response):
    sanction_id: UUID
    kind: str
    decision: Decision
    grounds: list[str]
    status: str
    appeal_deadline: date = Field(description="last day, inclusive, to appeal (Charter 5.1)")
    appeals: list[AppealView]


class MemberView(_Response):
    member_id: UUID
    status: Literal["applicant", "member", "rejected", "former_member"]
    organisation_id: UUID
    card_number: str | None
    applied_on: date
    admitted_on: date | None
    ended_on: date | None
    end_reason: str | None
    person: dict[str, Any] | None = Field(description="null once the personal data is erased")
    personal_data_erased: bool
    sex: str
    birth_year: int
    version: int
    residence_change: ResidenceClock | None = None
    pending_transfer: PendingTransferView | None = None
    mandates: list[MandateView] = Field(default_factory=list)
    disciplinary_cases: list[CaseView] = Field(default_factory=list)
    sanctions: list[SanctionView] = Field(default_factory=list)


class MemberContact(_Response):
    """How to reach a person: what the notifications service needs and nothing more (no IIN, no
    address, no organisation)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "member_id": "0b9c7a52-3d7e-4c1e-9a55-6f1d2c3b4a59",
                    "status": "member",
                    "full_name": "Сейткали Асель Бауыржанкызы",
                    "email": "asel@example.kz",
                    "phone": "+77011234567",
                    "preferred_language": "kk",
                    "language_stated": True,
                }
            ]
        },
    )

    member_id: UUID
    status: Literal["applicant", "member", "rejected", "former_member"]
    full_name: str
    email: str | None
    phone: str | None
    preferred_language: Language = Field(
        description="the language to write to them in: theirs, or the registry's default "
        "(`PARTIA_DEFAULT_LANGUAGE`) when they have not said"
    )
    language_stated: bool = Field(
        description="whether the person chose `preferred_language` (false: it is the default)"
    )


class MemberLookupRequest(_Request):
    """Whose record holds this IIN: for the finance service, matching a dues credit whose
    payment purpose names the payer's IIN (issue 12 item 5). The IIN travels in the body, not
    the URL, so that no proxy or access log writes it down."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"iin": "900101350122"}]})

    iin: Annotated[
        str, Field(pattern=r"^\d{12}$", description="12-digit IIN with a valid check digit")
    ]


class MemberLookup(_Response):
    """The record holding the IIN asked about: its id and nothing else of the person."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"member_id": "0b9c7a52-3d7e-4c1e-9a55-6f1d2c3b4a59", "status": "member"}]
        },
    )

    member_id: UUID
    status: Literal["applicant", "member", "rejected", "former_member"]


class HistoryEntry(_Response):
    event: str
    version: int
    position: int = Field(description="position in the registry's event log")
    effective_on: date = Field(description="business date the fact took effect")
    recorded_at: datetime = Field(description="when the registry recorded it")
    recorded_by: str
    details: dict[str, Any]


class MemberHistory(_Response):
    member_id: UUID
    events: list[HistoryEntry]


class RollEntry(_Response):
    member_id: UUID
    status: str
    card_number: str | None
    full_name: str | None
    applied_on: date | None
    admitted_on: date | None
    ended_on: date | None
    end_reason: str | None


class RollPage(_Response):
    organisation_id: UUID
    items: list[RollEntry]
    total: int
    limit: int
    offset: int


class RollMember(_Response):
    """A member on an organisation's roll on a date (the read model's roll)."""

    member_id: UUID
    organisation_id: UUID  # the organisation whose roll it is (one below it, for a subtree)
    card_number: str
    full_name: str | None  # None once the person's data was erased
    admitted_on: date
    on_roll_since: date  # admission, or the transfer onto this roll
    sex: str
    birth_year: int


class RollOnDate(_Response):
    organisation_id: UUID
    on: date
    subtree: bool
    total: int
    limit: int
    offset: int
    items: list[RollMember]


class StructureUnit(_Response):
    """One organisation in the structure report, with the members on its own roll and below it."""

    organisation_id: UUID
    kind: OrganisationKind
    parent_id: UUID | None
    code: str | None
    name: str = Field(description="the English name")
    names: OrganisationNames
    members: int = Field(description="on its roll and every roll below it")
    direct_members: int = Field(description="on its own roll")


class StructureFindings(_Response):
    ppos_below_three: list[StructureUnit] = Field(description="Charter 6.6: at least three")
    ppos_above_thousand: list[StructureUnit] = Field(
        description="Charter 6.8: may be given a branch's rights"
    )


class StructureThresholds(_Response):
    """The legal thresholds for a party's registration."""

    party_minimum: int
    party_meets_minimum: bool
    regional_branch_minimum: int
    regional_branches: int
    regional_branches_short: list[StructureUnit]
    meets_all: bool


class StructureComposition(_Response):
    by_sex: dict[str, int]
    by_age_band: dict[str, int]


class StructureReport(_Response):
    """The structure and composition of the party on a date (Charter 4.3)."""

    as_of: date | None = Field(description="the business date asked for; null for today")
    members: int
    organisations: dict[str, int] = Field(description="organisations per kind")
    units: list[StructureUnit]
    findings: StructureFindings
    thresholds: StructureThresholds
    composition: StructureComposition


# --- errors -------------------------------------------------------------------------------------


class InvalidField(_Response):
    field: str
    rule: str
    message: str


class Problem(_Response):
    """RFC 9457 problem details, with the rule and the clause that refused the request."""

    type: str
    title: str
    status: int
    detail: str
    rule: str | None = None
    clause: str | None = None
    field: str | None = None
    errors: list[InvalidField] | None = None


# --- transfers, deputies, discipline --------------------------------------------------------------


class ResidenceChangeRequest(_Request):
    """The member moved (Charter 5.2): six months to register at the new place (Charter 3.6)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"moved_on": "2026-01-15"}]})

    moved_on: date


class TransferRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to_organisation_id": _PPO_EXAMPLE,
                    "requested_on": "2026-02-01",
                    "reason": "residence_change",
                }
            ]
        }
    )

    to_organisation_id: UUID = Field(description="the receiving primary organisation")
    requested_on: date
    reason: TransferReason


class TransferRegistrationRequest(_Request):
    """The receiving organisation registers the member; the sending one releases them in the same
    fact."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": _decision_example(
                        "ppo_bureau", _PPO_EXAMPLE, "2026-02-10", "PPO bureau minutes No. 2"
                    ),
                }
            ]
        }
    )

    decision: Decision


class MandateRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "maslikhat",
                    "territory": "Astana city",
                    "level": "city",
                    "started_on": "2023-03-19",
                }
            ]
        }
    )

    kind: MandateKind
    territory: _Text
    level: Literal["regional", "city", "district"] | None = None
    started_on: date
    ended_on: date | None = None


class MandateEndRequest(_Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ended_on": "2026-03-19"}]})

    ended_on: date


class DisciplinaryCaseRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "opened_on": "2026-04-01",
                    "reference": "Complaint No. 12",
                }
            ]
        }
    )

    opened_on: date
    reference: _Text = Field(description="the document that opened it; not a narrative")


class CaseDismissalRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": _decision_example(
                        "ppo_bureau", _PPO_EXAMPLE, "2026-04-20", "PPO bureau minutes No. 5"
                    ),
                }
            ]
        }
    )

    decision: Decision


class SanctionRequest(_Request):
    """A warning, reprimand or expulsion (Charter 3.8). An expulsion names one or more grounds of
    Charter 3.6; "other" needs `other_ground`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "expulsion",
                    "decision": _decision_example(
                        "ppo_meeting", _PPO_EXAMPLE, "2026-08-01", "PPO meeting minutes No. 9"
                    ),
                    "grounds": ["residence_change_not_registered"],
                }
            ]
        }
    )

    kind: SanctionKind
    decision: Decision
    grounds: list[ExclusionGround] = Field(default_factory=list, max_length=7)
    other_ground: Annotated[StorableText, Field(min_length=1, max_length=500)] | None = None
    case_id: UUID | None = Field(default=None, description="the disciplinary case it decides")


class AppealRequest(_Request):
    """An appeal to a higher party body within three months (Charter 5.1)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "filed_on": "2026-11-01",
                    "body": {"kind": "branch_bureau", "organisation_id": _DISTRICT_EXAMPLE},
                    "document_reference": "Appeal No. 3",
                }
            ]
        }
    )

    filed_on: date
    body: DecidingBody = Field(description="the higher body appealed to")
    document_reference: _Text


class AppealDecisionRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "annulled",
                    "decision": _decision_example(
                        "branch_bureau", _DISTRICT_EXAMPLE, "2026-11-20", "Bureau resolution No. 30"
                    ),
                }
            ]
        }
    )

    outcome: AppealOutcome
    decision: Decision = Field(description="by the body the appeal was filed with")
    replacement: SanctionKind | None = Field(
        default=None, description="the milder sanction, when the outcome is 'replaced'"
    )


class OverdueResidenceEntry(_Response):
    member_id: UUID
    organisation_id: UUID | None = Field(default=None, description="whose roll they are on")
    card_number: str | None
    full_name: str | None
    registration_deadline: date


class OverdueResidencePage(_Response):
    organisation_id: UUID
    on: date
    subtree: bool = False
    items: list[OverdueResidenceEntry]
    limit: int = 100
    offset: int = 0


class CaseEntry(_Response):
    case_id: UUID
    member_id: UUID
    opened_on: date
    reference: str
    closed_on: date | None
    outcome: str | None


class CasePage(_Response):
    organisation_id: UUID
    items: list[CaseEntry]
    limit: int = 100
    offset: int = 0


class SanctionEntry(_Response):
    sanction_id: UUID
    member_id: UUID
    kind: str
    decided_on: date
    appeal_deadline: date
    status: str
    appeal_status: str | None
    appeal_filed_on: date | None
    appeal_body_kind: str | None
    appeal_body_organisation_id: UUID | None


class SanctionPage(_Response):
    organisation_id: UUID
    items: list[SanctionEntry]
    limit: int = 100
    offset: int = 0


# --- the access log: every look at personal data (issue 10) -------------------------------------


class AccessRecordView(_Response):
    """One answered read that returned personal data (names, IIN, address, contacts)."""

    id: int = Field(description="increasing with each record stored")
    read_at: datetime = Field(description="when the data was read")
    user: str = Field(description="who read it (the token's user)")
    roles: list[str] = Field(description="the user's roles then (empty before roles existed)")
    operation: str = Field(description="the operation, e.g. `get_member`")
    route: str = Field(description="method and route template, e.g. `GET /members/{member_id}`")
    member_ids: list[UUID] = Field(description="whose personal data it returned")
    fields: list[str] = Field(
        description="which personal data it returned, e.g. `iin`, `full_name`"
    )


class AccessLogPage(_Response):
    items: list[AccessRecordView] = Field(description="newest first")
    total: int
    limit: int
    offset: int


class MemberAccessEntry(_Response):
    """A read of this member's personal data: who, when, what, how; not whom else it showed."""

    read_at: datetime
    user: str
    roles: list[str]
    operation: str
    route: str
    fields: list[str]


class MemberAccessLogPage(_Response):
    member_id: UUID
    items: list[MemberAccessEntry] = Field(description="newest first")
    total: int
    limit: int
    offset: int
