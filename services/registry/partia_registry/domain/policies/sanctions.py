"""Disciplinary cases, sanctions and appeals (Ch. 3.6, 3.8, 5.1): what a sanction must rest on,
who decides an appeal, and what may replace a sanction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from partia_registry.domain.decisions import DecidingBody
from partia_registry.domain.discipline import (
    AppealOutcome,
    ExclusionGround,
    SanctionKind,
)
from partia_registry.domain.rules import RuleViolation, StateConflict

T = TypeVar("T")


def check_grounds(
    kind: SanctionKind, grounds: Sequence[ExclusionGround], other_ground: str | None
) -> None:
    """Ch. 3.6: an expulsion rests on at least one ground; "other" must say which."""
    if kind is SanctionKind.EXPULSION and not grounds:
        raise RuleViolation(
            "expulsion-needs-grounds",
            "Ch. 3.6",
            "an expulsion must name one or more grounds of Ch. 3.6",
            field="grounds",
        )
    if ExclusionGround.OTHER in grounds and not (other_ground and other_ground.strip()):
        raise RuleViolation(
            "other-ground-needs-text",
            "Ch. 3.6",
            "the ground 'other' needs a text saying which provision of the Charter",
            field="other_ground",
        )


def check_residence_ground(deadline: date | None, overdue: bool) -> None:
    """Ch. 3.6: the residence ground (not registered at the new place of residence) applies only
    to a change of residence on record, and only once the six months have run out."""
    if deadline is None:
        raise RuleViolation(
            "no-residence-change-reported",
            "Ch. 3.6",
            "no unregistered change of residence is on record for this member",
            field="grounds",
        )
    if not overdue:
        raise RuleViolation(
            "residence-registration-not-overdue",
            "Ch. 3.6",
            f"the member has until {deadline} to register at the new place of residence; the "
            "ground applies only after that",
            field="grounds",
        )


def check_decided_after_case(decided_on: date, opened_on: date) -> None:
    """Ch. 3.8: a case is decided after it was opened."""
    if decided_on < opened_on:
        raise RuleViolation(
            "decision-before-case",
            "Ch. 3.8",
            f"the case was opened on {opened_on}",
            field="decision.decided_on",
        )


def check_decided_by_appeal_body(deciding: DecidingBody, appealed_to: DecidingBody) -> None:
    """Ch. 5.1: the body the appeal was filed with decides it."""
    if deciding != appealed_to:
        raise RuleViolation(
            "not-the-appeal-body",
            "Ch. 5.1",
            f"the appeal was filed with the {appealed_to.kind.value} of organisation "
            f"{appealed_to.organisation_id}; that body decides it",
            field="decision.body",
        )


def check_decided_after_filing(decided_on: date, filed_on: date) -> None:
    """Ch. 5.1: an appeal is decided after it was filed."""
    if decided_on < filed_on:
        raise RuleViolation(
            "decision-before-appeal",
            "Ch. 5.1",
            f"the appeal was filed on {filed_on}",
            field="decision.decided_on",
        )


def check_replacement(
    original: SanctionKind, outcome: AppealOutcome, replacement: SanctionKind | None
) -> None:
    """Ch. 3.8: on appeal a sanction may be replaced only by a milder one, and a replacement is
    named only when the outcome is 'replaced'."""
    if outcome is AppealOutcome.REPLACED:
        if replacement is None or replacement.severity >= original.severity:
            raise RuleViolation(
                "replacement-not-milder",
                "Ch. 3.8",
                f"a {original.value} can only be replaced by a milder sanction",
                field="replacement",
            )
    elif replacement is not None:
        raise RuleViolation(
            "replacement-without-replacing",
            "Ch. 3.8",
            "a replacement is given only when the outcome is 'replaced'",
            field="replacement",
        )


def check_appealable(status: str, appeal_filed_on: date | None) -> None:
    """Ch. 5.1: a sanction in force may be appealed, one appeal at a time (`status` is the
    sanction's, e.g. 'in_force'; `appeal_filed_on` that of an appeal still pending)."""
    if status != "in_force":
        raise StateConflict(
            "sanction-not-in-force", "Ch. 5.1", f"the sanction was {status} already"
        )
    if appeal_filed_on is not None:
        raise StateConflict(
            "appeal-pending", "Ch. 5.1", f"an appeal filed on {appeal_filed_on} is pending"
        )


def check_appeal_pending(appeal: T | None) -> T:
    """Ch. 5.1: only a pending appeal is decided."""
    if appeal is None:
        raise StateConflict("no-appeal-pending", "Ch. 5.1", "no appeal of this sanction is pending")
    return appeal
