"""Calendar arithmetic the services' deadlines share."""

from __future__ import annotations

import calendar
from datetime import date


def add_calendar_months(day: date, months: int) -> date:
    """The same day `months` later; where that month is shorter, its last day
    (30 November + 3 months = 28 February, or 29 in a leap year)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
