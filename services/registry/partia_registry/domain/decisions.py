"""Who decided, when, and on what paper: the value objects every decision event carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class BodyKind(StrEnum):
    """The deciding bodies of the party and its organisations (Ch. 8)."""

    PPO_MEETING = "ppo_meeting"  # Ch. 8.3.3, 9.9
    PPO_BUREAU = "ppo_bureau"  # Ch. 8.6.3
    PPO_CHAIR = "ppo_chair"  # Ch. 8.6.3: in a PPO of 50 members or fewer
    BRANCH_BUREAU = "branch_bureau"  # Bureau of the Political Council of a branch, Ch. 8.5.2, 9.8
    BRANCH_POLITICAL_COUNCIL = "branch_political_council"  # Ch. 8.4.2, 9.7
    BRANCH_CONFERENCE = "branch_conference"  # Ch. 8.3.2, 9.6
    PARTY_BUREAU = "party_bureau"  # Bureau of the Political Council of the party, Ch. 8.5.1, 9.5
    PARTY_POLITICAL_COUNCIL = "party_political_council"  # Ch. 8.4.1, 9.4
    PARTY_CONGRESS = "party_congress"  # Ch. 8.3.1, 9.1


@dataclass(frozen=True, slots=True)
class DecidingBody:
    """A body of a particular organisation, e.g. the meeting of PPO No. 12."""

    kind: BodyKind
    organisation_id: UUID


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision: the body that took it, the business date it took effect, and its reference."""

    body: DecidingBody
    decided_on: date
    reference: str


class DocumentForm(StrEnum):
    PAPER = "paper"
    ELECTRONIC_SIGNATURE = "electronic_signature"  # equated to a written one, Ch. 3.4


@dataclass(frozen=True, slots=True)
class ApplicationDocument:
    """A member's signed application (to join or to leave), on paper or with an EDS (Ch. 3.4)."""

    form: DocumentForm
    reference: str
    signed_on: date
