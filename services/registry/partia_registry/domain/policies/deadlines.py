"""Calendar deadlines of the Charter: three months to appeal (Ch. 5.1), six months to register a
change of residence (Ch. 3.6, 5.2)."""

from __future__ import annotations

from datetime import date

from partia_kit.dates import add_calendar_months
from partia_registry.domain.rules import RuleViolation

APPEAL_MONTHS = 3
"""Ch. 5.1: decisions on exclusion or sanctions may be appealed to higher bodies within three months."""

RESIDENCE_REGISTRATION_MONTHS = 6
"""Ch. 3.6: failure to register a change of residence within six months is a ground for exclusion."""


def appeal_deadline(decided_on: date) -> date:
    """The last day, inclusive, on which a decision may be appealed (Ch. 5.1)."""
    return add_calendar_months(decided_on, APPEAL_MONTHS)


def check_appeal_in_time(decided_on: date, filed_on: date) -> None:
    """Ch. 5.1: within three calendar months of the decision, the last day included."""
    if filed_on < decided_on:
        raise RuleViolation(
            "appeal-before-decision",
            "Ch. 5.1",
            f"an appeal ({filed_on}) cannot precede the decision it contests ({decided_on})",
            field="filed_on",
        )
    deadline = appeal_deadline(decided_on)
    if filed_on > deadline:
        raise RuleViolation(
            "appeal-too-late",
            "Ch. 5.1",
            f"the decision of {decided_on} could be appealed up to and including {deadline}; "
            f"this appeal was filed on {filed_on}",
            field="filed_on",
        )


def residence_registration_deadline(moved_on: date) -> date:
    """The last day to register with the party at the new place of residence (Ch. 3.6, 5.2)."""
    return add_calendar_months(moved_on, RESIDENCE_REGISTRATION_MONTHS)


def is_overdue(deadline: date, on: date) -> bool:
    return on > deadline
