"""The system clock, read in the party's time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARTY_TIME_ZONE = ZoneInfo("Asia/Almaty")
"""Where the party's central bodies sit (Astana); all of Kazakhstan keeps this time since 2024.
Read from the tz database (the `tzdata` package when the system has none), so a future change
of the country's time arrives with a tzdata update, not a code change."""


class SystemClock:
    def today(self) -> date:
        return datetime.now(PARTY_TIME_ZONE).date()
