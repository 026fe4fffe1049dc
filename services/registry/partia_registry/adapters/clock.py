"""The system clock, read in the party's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARTY_TIME_ZONE = ZoneInfo("Asia/Almaty")
"""Where the party's central bodies sit (Astana); all of Kazakhstan keeps this time since 2024.
Read from the tz database (the `tzdata` package when the system has none), so a future change
of the country's time arrives with a tzdata update, not a code change."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    """Today in Asia/Almaty. `now` gives the current instant (an aware datetime); the default
    reads the system's clock, tests pass a fixed instant to check the day near midnight."""

    def __init__(self, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now

    def today(self) -> date:
        return self._now().astimezone(PARTY_TIME_ZONE).date()
