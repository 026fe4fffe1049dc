"""How long the donor's identity is kept: financial records are kept for the statutory retention
period (configuration, e.g. 5 years; Ch. 12.9 defers to the accounting legislation). Before it
ends a donor's personal data cannot be erased; after it, it can, and the amounts, dates and
decisions stay."""

from __future__ import annotations

from datetime import date

from partia_kit.dates import add_calendar_months
from partia_kit.rules import StateConflict

RETENTION_CLAUSE = "Ch. 12.9 (financial records kept for the statutory retention period)"


def retention_ends(credited_on: date, years: int) -> date:
    """The last day the records must be kept: `years` after the donation's date (29 February
    lands on 28 February)."""
    return add_calendar_months(credited_on, 12 * years)


def check_erasure_allowed(credited_on: date, on: date, years: int) -> date:
    """Erasure is allowed from the day after the retention period ends; returns that last day."""
    last_day = retention_ends(credited_on, years)
    if on <= last_day:
        raise StateConflict(
            "retention-period",
            RETENTION_CLAUSE,
            f"the donation of {credited_on.isoformat()} must be kept with its donor's identity "
            f"until {last_day.isoformat()} inclusive ({years} years); personal data can be erased "
            "from the day after",
            field="erased_on",
        )
    return last_day
