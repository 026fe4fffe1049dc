"""Today's date, as the application needs it: a port, so tests (and replays) can set the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class Clock(Protocol):
    def today(self) -> date:
        """Today's business date where the party's bodies sit (Asia/Almaty)."""
        ...


@dataclass
class FixedClock:
    """A clock that says whatever day it is set to: for tests, and for replaying a past day."""

    day: date

    def today(self) -> date:
        return self.day
