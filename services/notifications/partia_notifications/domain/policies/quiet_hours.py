"""When a notice that can wait is not sent: at night (issue 13 item 5, 'reminders not sent at
night'; decision 300). Quiet hours hold reminders and pieces of information until they end; a
decision (a sanction, its appeal deadline) is never held, for a member's Charter rights run from
it (Ch. 5.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from partia_notifications.domain.rendering import ALMATY

HELD: Final = frozenset({"reminder", "information"})
"""The categories quiet hours hold; every other (a decision) goes at once."""

_WINDOW: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
OFF: Final = frozenset({"", "off", "none"})


@dataclass(frozen=True)
class QuietHours:
    """From `start` (inclusive) to `end` (exclusive), local time in `zone`; a window whose start
    is after its end crosses midnight (22:00-08:00)."""

    start: time
    end: time
    zone: ZoneInfo = ALMATY

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours start and end at the same time: write 'off' instead")

    def contains(self, moment: datetime) -> bool:
        local = _aware(moment).astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself outside quiet hours; the moment they end, inside them."""
        if not self.contains(moment):
            return moment
        local = _aware(moment).astimezone(self.zone)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)  # before midnight: the window ends tomorrow morning
        return datetime.combine(day, self.end, self.zone).astimezone(UTC)


def parse_quiet_hours(text: str, zone: ZoneInfo = ALMATY) -> QuietHours | None:
    """`22:00-08:00` (HH:MM-HH:MM, 24-hour, local time); `off` or empty: no quiet hours."""
    cleaned = text.strip().lower()
    if cleaned in OFF:
        return None
    found = _WINDOW.match(cleaned)
    if found is None:
        raise ValueError(f"quiet hours {text!r}: write HH:MM-HH:MM (e.g. 22:00-08:00) or 'off'")
    start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
    return QuietHours(time(start_h, start_m), time(end_h, end_m), zone)


def held_until(category: str, moment: datetime, quiet: QuietHours | None) -> datetime | None:
    """Quiet hours: a reminder or a piece of information due at `moment` inside them waits until
    they end (the moment returned); None: it goes now (outside them, no quiet hours configured,
    or a legally significant notice, which no quiet hours hold: Ch. 5.1)."""
    if quiet is None or category not in HELD or not quiet.contains(moment):
        return None
    return quiet.next_allowed(moment)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"a moment without a time zone: {moment!r}")
    return moment
