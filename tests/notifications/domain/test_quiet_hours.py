"""Quiet hours (issue 13 item 5, 'reminders not sent at night'; decision 300): a reminder or a
piece of information due inside them waits for their end; a decision never waits (Ch. 5.1)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from partia_notifications.domain.policies.quiet_hours import (
    QuietHours,
    held_until,
    parse_quiet_hours,
)
from partia_notifications.domain.rendering import ALMATY
from partia_notifications.settings import NotificationsSettings

NIGHT = parse_quiet_hours("22:00-08:00")
LUNCH = parse_quiet_hours("13:00-14:00")


def almaty(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (almaty(1, 21, 59), False),
        (almaty(1, 22, 0), True),
        (almaty(1, 23, 30), True),
        (almaty(2, 0, 0), True),
        (almaty(2, 7, 59), True),
        (almaty(2, 8, 0), False),
        (almaty(2, 12, 0), False),
    ],
)
def test_a_window_crossing_midnight_holds_the_late_evening_and_the_early_morning(
    moment: datetime, quiet: bool
) -> None:
    assert NIGHT is not None
    assert NIGHT.contains(moment) is quiet


def test_before_midnight_a_reminder_waits_for_tomorrow_morning_after_it_for_this_morning() -> None:
    assert held_until("reminder", almaty(1, 23, 30), NIGHT) == almaty(2, 8, 0)
    assert held_until("reminder", almaty(2, 3, 15), NIGHT) == almaty(2, 8, 0)
    assert held_until("information", almaty(1, 22, 0), NIGHT) == almaty(2, 8, 0)


def test_the_end_is_a_moment_in_utc_the_same_instant_as_eight_in_almaty() -> None:
    held = held_until("reminder", datetime(2026, 12, 1, 18, 0, tzinfo=UTC), NIGHT)  # 23:00
    assert held == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert held is not None
    assert held.tzinfo is UTC


def test_a_window_within_one_day_holds_only_its_hours_and_ends_the_same_day() -> None:
    assert LUNCH is not None
    assert not LUNCH.contains(almaty(1, 12, 59))
    assert held_until("reminder", almaty(1, 13, 20), LUNCH) == almaty(1, 14, 0)
    assert held_until("reminder", almaty(1, 14, 0), LUNCH) is None
    assert held_until("reminder", almaty(1, 23, 0), LUNCH) is None


def test_outside_quiet_hours_a_reminder_goes_now() -> None:
    assert held_until("reminder", almaty(2, 10, 0), NIGHT) is None


def test_a_decision_goes_at_night_too() -> None:
    """Ch. 5.1: a sanction and its appeal deadline are never held back."""
    assert held_until("decision", almaty(1, 23, 30), NIGHT) is None


@pytest.mark.parametrize("written", ["off", "OFF", "", " none "])
def test_quiet_hours_switched_off_hold_nothing(written: str) -> None:
    assert parse_quiet_hours(written) is None
    assert held_until("reminder", almaty(1, 23, 30), parse_quiet_hours(written)) is None


@pytest.mark.parametrize("written", ["22-08", "25:00-08:00", "22:00-08:60", "night", "08:00-08:00"])
def test_a_window_that_cannot_be_read_is_refused_naming_the_form(written: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        parse_quiet_hours(written)


def test_the_setting_is_read_at_start_and_a_wrong_one_stops_the_service_naming_it() -> None:
    settings = NotificationsSettings(quiet_hours="23:00-07:30")
    assert settings.quiet() == QuietHours(time(23, 0), time(7, 30))
    assert NotificationsSettings().quiet() == NIGHT  # the default
    with pytest.raises(ValueError, match="quiet_hours"):
        NotificationsSettings(quiet_hours="after dark")
