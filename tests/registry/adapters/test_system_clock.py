"""The registry's day is the day in Asia/Almaty (UTC+5), not the server's or UTC's: a decision
taken on the morning of 1 January in Astana is dated 1 January, even while UTC still says
31 December (issue 8 item 10: no business dates after today)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from partia_registry.adapters.clock import SystemClock


def _at(instant: datetime) -> SystemClock:
    return SystemClock(now=lambda: instant)


def test_half_past_eleven_utc_on_new_years_eve_is_already_new_years_day_in_almaty() -> None:
    assert _at(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).today() == date(2027, 1, 1)


def test_the_almaty_day_turns_at_seven_in_the_evening_utc() -> None:
    """UTC+5 since March 2024 (it was UTC+6 before): 18:59 UTC is still 23:59 the same day."""
    assert _at(datetime(2026, 12, 31, 18, 59, tzinfo=UTC)).today() == date(2026, 12, 31)
    assert _at(datetime(2026, 12, 31, 19, 0, tzinfo=UTC)).today() == date(2027, 1, 1)


def test_the_day_does_not_depend_on_the_time_zone_the_instant_was_read_in() -> None:
    """A server set to New York reads 14:30 on 31 December; Almaty is already in 1 January."""
    new_york = timezone(timedelta(hours=-5))
    assert _at(datetime(2026, 12, 31, 14, 30, tzinfo=new_york)).today() == date(2027, 1, 1)


def test_without_an_injected_instant_the_clock_reads_the_system_time() -> None:
    before = datetime.now(UTC)
    today = SystemClock().today()
    after = datetime.now(UTC)
    assert today in {_at(before).today(), _at(after).today()}
