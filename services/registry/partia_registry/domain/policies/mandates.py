"""Elected mandates (Ch. 7.7): recorded for members and former members, with a period that makes
sense."""

from __future__ import annotations

from datetime import date

from partia_registry.domain.rules import RuleViolation, StateConflict


def check_period(started_on: date, ended_on: date | None) -> None:
    """Ch. 7.7: a mandate cannot end before it starts."""
    if ended_on is not None and ended_on < started_on:
        raise RuleViolation(
            "mandate-ends-before-start",
            "Ch. 7.7",
            "a mandate cannot end before it starts",
            field="ended_on",
        )


def check_may_hold(member_or_former_member: bool) -> None:
    """Ch. 7.7: mandates are recorded for members and former members (whose membership ended
    while the mandate ran)."""
    if not member_or_former_member:
        raise StateConflict(
            "not-a-member", "Ch. 7.7", "mandates are recorded for members and former members"
        )


def check_running(ended_on: date | None) -> None:
    """Ch. 7.7: a mandate ends once."""
    if ended_on is not None:
        raise StateConflict("mandate-ended", "Ch. 7.7", f"the mandate ended on {ended_on}")
