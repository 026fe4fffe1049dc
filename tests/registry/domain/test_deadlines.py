"""The Charter's calendar clocks: three months to appeal (Ch. 5.1) and six months to register a change
of residence (Ch. 3.6, 5.2), counted in calendar months, the last day included, across month ends and
leap years (DOMAIN §3, §4).

Every property is checked against `support.months_later`, which steps through the calendar one month
at a time with its own leap-year rule, so the code under test is never its own oracle.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.discipline import ExclusionGround, SanctionKind
from partia_registry.domain.policies import deadlines
from partia_registry.domain.rules import RuleViolation
from tests.registry.domain.support import (
    Tree,
    body,
    days_in_month,
    decided,
    is_leap_year,
    member_since,
    months_later,
)

B = BodyKind
DAY = timedelta(days=1)

# 1900 and 2100 are not leap years, 2000 and 2400 are: the range covers every kind of February.
any_day = st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31))
month_end = any_day.map(lambda d: date(d.year, d.month, days_in_month(d.year, d.month)))
some_day = st.one_of(any_day, month_end)  # month ends are where clamping happens: draw them often

# Aggregate-level properties need a member admitted before the decision.
ADMITTED = date(2000, 1, 1)
decision_day = st.dates(min_value=ADMITTED, max_value=date(2200, 12, 31))
decision_day = st.one_of(
    decision_day, decision_day.map(lambda d: date(d.year, d.month, days_in_month(d.year, d.month)))
)


def test_the_reference_calendar_knows_the_gregorian_leap_years():
    """The oracle itself: 2000 and 2024 are leap years, 1900, 2100 and 2025 are not."""
    assert [is_leap_year(y) for y in (1900, 2000, 2024, 2025, 2100, 2400)] == [
        False,
        True,
        True,
        False,
        False,
        True,
    ]
    assert [days_in_month(2025, m) for m in range(1, 13)] == [
        31,
        28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]


# --- the three-month appeal deadline (Ch. 5.1) ----------------------------------------------------


@pytest.mark.parametrize(
    ("decided_on", "deadline"),
    [
        (date(2025, 11, 30), date(2026, 2, 28)),  # DOMAIN §4's own example
        (date(2027, 11, 30), date(2028, 2, 29)),  # ... in a leap year
        (date(2023, 11, 29), date(2024, 2, 29)),
        (date(2024, 11, 29), date(2025, 2, 28)),
        (date(2099, 11, 30), date(2100, 2, 28)),  # 2100 is not a leap year
        (date(1999, 11, 30), date(2000, 2, 29)),  # 2000 is
        (date(2026, 8, 31), date(2026, 11, 30)),
        (date(2025, 12, 31), date(2026, 3, 31)),
        (date(2026, 10, 31), date(2027, 1, 31)),  # across the year end
        (date(2026, 3, 31), date(2026, 6, 30)),
        (date(2026, 1, 15), date(2026, 4, 15)),
        (date(2024, 2, 29), date(2024, 5, 29)),  # a leap day keeps its day number
    ],
)
def test_ch_5_1_the_appeal_deadline_is_three_calendar_months_later_clamped_to_the_month_end(
    decided_on, deadline
):
    assert deadlines.appeal_deadline(decided_on) == deadline


@given(some_day)
def test_ch_5_1_for_any_decision_date_the_appeal_deadline_matches_the_reference_calendar(
    decided_on,
):
    assert deadlines.appeal_deadline(decided_on) == months_later(decided_on, 3)


@given(some_day)
def test_ch_5_1_the_deadline_falls_three_months_on_keeping_the_day_unless_that_month_is_shorter(
    decided_on,
):
    """Stated without stepping through a calendar: three months on, the same day of the month, or
    the last day of a month too short to have it."""
    deadline = deadlines.appeal_deadline(decided_on)
    assert (deadline.year * 12 + deadline.month) - (decided_on.year * 12 + decided_on.month) == 3
    if deadline.day != decided_on.day:
        assert deadline.day < decided_on.day
        assert (deadline + DAY).day == 1  # the last day of its month
    assert 89 <= (deadline - decided_on).days <= 92


@given(some_day)
def test_ch_5_1_an_appeal_on_the_last_day_is_accepted_and_on_the_next_day_refused_naming_it(
    decided_on,
):
    deadline = months_later(decided_on, 3)
    deadlines.check_appeal_in_time(decided_on, deadline)
    with pytest.raises(RuleViolation) as refused:
        deadlines.check_appeal_in_time(decided_on, deadline + DAY)
    assert refused.value.rule == "appeal-too-late"
    assert refused.value.clause == "Ch. 5.1"
    assert refused.value.field == "filed_on"
    assert deadline.isoformat() in refused.value.message


@given(some_day, st.integers(min_value=0, max_value=92))
def test_ch_5_1_any_appeal_within_the_three_months_is_accepted_and_any_later_one_refused(
    decided_on, days_after
):
    filed_on = decided_on + timedelta(days=days_after)
    if filed_on <= months_later(decided_on, 3):
        deadlines.check_appeal_in_time(decided_on, filed_on)
    else:
        with pytest.raises(RuleViolation) as refused:
            deadlines.check_appeal_in_time(decided_on, filed_on)
        assert refused.value.rule == "appeal-too-late"


@given(some_day)
def test_ch_5_1_an_appeal_on_the_day_of_the_decision_is_in_time(decided_on):
    deadlines.check_appeal_in_time(decided_on, decided_on)


@given(some_day, st.integers(min_value=1, max_value=400))
def test_ch_5_1_an_appeal_dated_before_the_decision_it_contests_is_refused(decided_on, days_before):
    with pytest.raises(RuleViolation) as refused:
        deadlines.check_appeal_in_time(decided_on, decided_on - timedelta(days=days_before))
    assert refused.value.rule == "appeal-before-decision"
    assert refused.value.field == "filed_on"


@given(some_day, some_day)
def test_ch_5_1_a_later_decision_never_has_an_earlier_appeal_deadline(first, second):
    earlier, later = sorted((first, second))
    assert deadlines.appeal_deadline(earlier) <= deadlines.appeal_deadline(later)


@given(some_day)
def test_ch_5_1_consecutive_decision_days_have_consecutive_or_equal_deadlines(decided_on):
    """Monotonic without gaps except at month ends: 28, 29, 30 and 31 November all give 28 Feb."""
    step = deadlines.appeal_deadline(decided_on + DAY) - deadlines.appeal_deadline(decided_on)
    assert step in (timedelta(0), DAY, timedelta(days=2), timedelta(days=3), timedelta(days=4))
    if step > DAY:  # only jumping from the last day of a short month to the next month
        assert deadlines.appeal_deadline(decided_on + DAY).day == 1


# --- the same rule on the member's record ---------------------------------------------------------


def _expelled(tree: Tree, decided_on: date):
    record = member_since(tree, ADMITTED)
    sanction_id = uuid4()
    record.impose_sanction(
        sanction_id=sanction_id,
        kind=SanctionKind.EXPULSION,
        decision=decided(B.PPO_MEETING, tree.ppo.organisation_id, decided_on),
        grounds=[ExclusionGround.DISCREDITING_THE_PARTY],
        other_ground=None,
        case_id=None,
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    return record, sanction_id


def _appeal(tree: Tree, record, sanction_id, filed_on: date) -> None:
    record.file_appeal(
        appeal_id=uuid4(),
        sanction_id=sanction_id,
        filed_on=filed_on,
        body=body(B.BRANCH_BUREAU, tree.district),
        document_reference="APPEAL-1",
        decider_chain=tree.ppo_line,
        recorded_by="clerk",
    )


@settings(deadline=None)
@given(decision_day)
def test_ch_5_1_a_sanction_records_its_appeal_deadline(decided_on):
    tree = Tree()
    record, sanction_id = _expelled(tree, decided_on)
    assert record.sanctions[sanction_id].appeal_deadline == months_later(decided_on, 3)
    imposed = [e for e in record.pending_events if type(e).__name__ == "SanctionImposed"]
    assert [e.appeal_deadline for e in imposed] == [months_later(decided_on, 3)]


@settings(deadline=None)
@given(decision_day)
def test_ch_5_1_a_member_may_appeal_an_expulsion_on_the_last_day(decided_on):
    tree = Tree()
    record, sanction_id = _expelled(tree, decided_on)
    _appeal(tree, record, sanction_id, months_later(decided_on, 3))
    assert record.sanctions[sanction_id].open_appeal is not None


@settings(deadline=None)
@given(decision_day)
def test_ch_5_1_an_appeal_filed_the_day_after_the_deadline_is_refused_naming_the_deadline(
    decided_on,
):
    tree = Tree()
    record, sanction_id = _expelled(tree, decided_on)
    record.collect_events()
    deadline = months_later(decided_on, 3)
    with pytest.raises(RuleViolation) as refused:
        _appeal(tree, record, sanction_id, deadline + DAY)
    assert refused.value.rule == "appeal-too-late"
    assert refused.value.clause == "Ch. 5.1"
    assert deadline.isoformat() in refused.value.message
    assert record.pending_events == []
    assert record.sanctions[sanction_id].appeals == []


# --- the six-month residence registration deadline (Ch. 3.6, 5.2) ---------------------------------


@pytest.mark.parametrize(
    ("moved_on", "deadline"),
    [
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),  # leap year
        (date(2099, 8, 31), date(2100, 2, 28)),  # 2100 is not a leap year
        (date(1999, 8, 31), date(2000, 2, 29)),  # 2000 is
        (date(2026, 12, 31), date(2027, 6, 30)),
        (date(2026, 3, 31), date(2026, 9, 30)),
        (date(2026, 7, 31), date(2027, 1, 31)),  # across the year end
        (date(2026, 5, 10), date(2026, 11, 10)),
        (date(2024, 2, 29), date(2024, 8, 29)),
    ],
)
def test_ch_3_6_the_residence_deadline_is_six_calendar_months_later_clamped_to_the_month_end(
    moved_on, deadline
):
    assert deadlines.residence_registration_deadline(moved_on) == deadline


@given(some_day)
def test_ch_3_6_for_any_move_the_residence_deadline_matches_the_reference_calendar(moved_on):
    assert deadlines.residence_registration_deadline(moved_on) == months_later(moved_on, 6)


@given(some_day, some_day)
def test_ch_3_6_a_later_move_never_has_an_earlier_registration_deadline(first, second):
    earlier, later = sorted((first, second))
    assert deadlines.residence_registration_deadline(
        earlier
    ) <= deadlines.residence_registration_deadline(later)


@given(some_day)
def test_ch_3_6_registration_is_overdue_only_from_the_day_after_the_deadline(moved_on):
    deadline = months_later(moved_on, 6)
    assert not deadlines.is_overdue(deadline, moved_on)
    assert not deadlines.is_overdue(deadline, deadline)
    assert deadlines.is_overdue(deadline, deadline + DAY)


@settings(deadline=None)
@given(decision_day)
def test_ch_5_2_a_reported_move_opens_a_clock_that_runs_out_six_calendar_months_later(moved_on):
    tree = Tree()
    record = member_since(tree, ADMITTED)
    record.report_residence_change(moved_on=moved_on, recorded_by="clerk")
    deadline = months_later(moved_on, 6)
    assert record.moved_on == moved_on
    assert record.residence_deadline == deadline
    assert not record.residence_overdue_on(deadline)
    assert record.residence_overdue_on(deadline + DAY)


@settings(deadline=None)
@given(decision_day)
def test_ch_3_6_the_unregistered_residence_ground_applies_only_after_the_last_day(moved_on):
    tree = Tree()
    deadline = months_later(moved_on, 6)

    def expel(on: date, record) -> None:
        record.impose_sanction(
            sanction_id=uuid4(),
            kind=SanctionKind.EXPULSION,
            decision=decided(B.PPO_MEETING, tree.ppo.organisation_id, on),
            grounds=[ExclusionGround.RESIDENCE_CHANGE_NOT_REGISTERED],
            other_ground=None,
            case_id=None,
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )

    record = member_since(tree, ADMITTED)
    record.report_residence_change(moved_on=moved_on, recorded_by="clerk")
    with pytest.raises(RuleViolation) as refused:
        expel(deadline, record)
    assert refused.value.rule == "residence-registration-not-overdue"
    assert refused.value.clause == "Ch. 3.6"
    assert deadline.isoformat() in refused.value.message
    assert record.status.value == "member"
    expel(deadline + DAY, record)
    assert record.status.value == "former_member"
    assert record.ended_on == deadline + DAY
