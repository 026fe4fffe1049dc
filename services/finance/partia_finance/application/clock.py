"""The clocks of issue 11 item 4, run by `python -m partia_finance clock [--on DATE]` (daily, e.g.
from cron or a Kubernetes CronJob): every return obligation whose deadline has passed unsettled is
marked overdue (an event notifications read), and every donation still undecided past its deadline
is flagged, never accepted. Safe to run twice, or two at once: a second mark of the same record is
refused by the domain and counted as already done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from partia_finance.application import commands as c
from partia_kit.batches import Outcome
from partia_kit.rules import StateConflict

ACTOR = "finance-clock"
"""Recorded as the user on the events the clock causes."""


@dataclass(frozen=True)
class ClockRun:
    overdue: int
    flagged: int
    already: int


def run_clock(
    on: date,
    late_obligations: Sequence[UUID],
    undecided_donations: Sequence[UUID],
    execute: Callable[[c.Command], Outcome],
) -> ClockRun:
    """`late_obligations`: unsettled, deadline before `on`, not yet marked; `undecided_donations`:
    received or held, not yet flagged (the domain says whether each is late yet)."""
    done = {"overdue": 0, "flagged": 0, "already": 0}
    commands: list[tuple[str, c.Command]] = [
        ("overdue", c.MarkObligationOverdue(actor=ACTOR, obligation_id=o, on=on))
        for o in late_obligations
    ] + [
        ("flagged", c.FlagUndecided(actor=ACTOR, donation_id=d, on=on)) for d in undecided_donations
    ]
    for kind, command in commands:
        outcome = execute(command)
        if outcome.error is None:
            done[kind] += 1
        elif isinstance(outcome.error, StateConflict):
            done["already"] += 1  # marked by another run, or not late yet
        else:
            raise outcome.error
    return ClockRun(**done)


def next_run(now: datetime, at: time) -> datetime:
    """The next moment at `at` (UTC) strictly after `now`: where a daily clock without a
    scheduler (`partia-finance clock --daily-at`, docker-compose) sleeps until. Kazakhstan keeps
    UTC+5 all year, so 01:00 UTC is 06:00 in Almaty, the Kubernetes CronJob's hour."""
    now = now.astimezone(UTC)
    today = datetime.combine(now.date(), at, tzinfo=UTC)
    return today if today > now else today + timedelta(days=1)


@dataclass(frozen=True)
class DuesClockRun:
    noted: int  # arrears reaching the threshold, or falling below it again
    already: int


def run_dues_clock(
    on: date,
    members: Sequence[UUID],
    threshold_months: int,
    execute: Callable[[c.Command], Outcome],
) -> DuesClockRun:
    """Issue 12 item 6: every member whose arrears on `on` reached `threshold_months` gets one
    `ArrearsThresholdReached` per crossing (for notifications, never a sanction); `members` are
    those whose side of the threshold may have changed (the account decides). Safe to repeat."""
    noted = already = 0
    for member in members:
        command = c.CheckDuesArrears(
            actor=ACTOR, member_id=member, on=on, threshold_months=threshold_months
        )
        outcome = execute(command)
        if outcome.error is None:
            noted += 1
        elif isinstance(outcome.error, StateConflict):
            already += 1
        else:
            raise outcome.error
    return DuesClockRun(noted, already)
