"""Party discipline: sanctions (Ch. 3.8), grounds for exclusion (Ch. 3.6) and appeals (Ch. 5.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from partia_registry.domain.decisions import DecidingBody, Decision


class SanctionKind(StrEnum):
    """Ch. 3.8, from mildest to severest."""

    WARNING = "warning"
    REPRIMAND = "reprimand"
    EXPULSION = "expulsion"

    @property
    def severity(self) -> int:
        return list(SanctionKind).index(self)


class ExclusionGround(StrEnum):
    """Ch. 3.6: the grounds for exclusion from the party."""

    CRIMINAL_CONVICTION = "criminal_conviction"
    CORRUPTION_OFFENCE = "corruption_offence"
    UNAUTHORISED_SELF_NOMINATION = "unauthorised_self_nomination"
    DISCREDITING_THE_PARTY = "discrediting_the_party"
    BREACH_OF_CHARTER_OR_DECISIONS = "breach_of_charter_or_decisions"
    RESIDENCE_CHANGE_NOT_REGISTERED = "residence_change_not_registered"
    OTHER = "other"  # "other actions provided for by this Charter": needs a text


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    ANNULLED = "annulled"
    REPLACED = "replaced"  # by a milder sanction


class SanctionStatus(StrEnum):
    IN_FORCE = "in_force"
    ANNULLED = "annulled"
    REPLACED = "replaced"


@dataclass(frozen=True, slots=True)
class Appeal:
    appeal_id: UUID
    filed_on: date
    body: DecidingBody
    document_reference: str
    outcome: AppealOutcome | None = None
    decision: Decision | None = None


@dataclass
class Sanction:
    """A sanction as it stands now; its history is in the events."""

    sanction_id: UUID
    kind: SanctionKind
    decision: Decision
    grounds: tuple[str, ...]
    appeal_deadline: date
    case_id: UUID | None = None
    status: SanctionStatus = SanctionStatus.IN_FORCE
    appeals: list[Appeal] = field(default_factory=list)

    @property
    def open_appeal(self) -> Appeal | None:
        return next((a for a in self.appeals if a.outcome is None), None)


@dataclass
class DisciplinaryCase:
    case_id: UUID
    opened_on: date
    reference: str
    closed_on: date | None = None
    sanction_id: UUID | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
