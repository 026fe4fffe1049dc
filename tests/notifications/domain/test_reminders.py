"""The appeal-deadline reminder (issue 13 item 5; decision 299): scheduled from the sanction's
last day to appeal (Ch. 5.1), called off by the events that make it wrong. Pure: the moment the
event is handled is given."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from partia_notifications.domain import notices, reminders
from partia_notifications.domain.notices import LEGAL, cancel_keys_for, handled_types, notices_for
from partia_notifications.domain.reminders import appeal_deadline_reminder
from partia_notifications.domain.rendering import ALMATY
from tests.notifications.support import sanction_data

SANCTION = "partia.registry.member.sanction_imposed"
HANDLED = datetime(2025, 11, 30, 12, 0, tzinfo=UTC)
"""The day the sanction (decided 30 November, appealable up to 28 February) is handled."""


def test_a_sanction_schedules_a_reminder_two_weeks_before_the_last_day_to_appeal() -> None:
    """Ch. 5.1: appealable up to 28 February; reminded on 14 February at 10:00 in Almaty."""
    member = uuid.uuid4()
    data = sanction_data(member)
    [reminder] = appeal_deadline_reminder(data, None, now=HANDLED)
    assert reminder.template == "appeal_deadline_reminder"
    assert reminder.recipient == f"member:{member}"
    assert reminder.not_before == datetime(2026, 2, 14, 10, 0, tzinfo=ALMATY)
    assert reminder.category == LEGAL  # legally significant: no opt-out stops it
    assert reminder.cancel_key == f"appeal-deadline:{data['sanction_id']}"
    context = reminder.context
    assert (context["appeal_deadline"], context["days_left"]) == ("2026-02-28", 14)
    assert (context["appeal_body"], context["sanction"]) == ("branch_bureau", "expulsion")
    assert not {"full_name", "email", "phone", "iin", "address"} & set(context)


@pytest.mark.parametrize(
    "handled",
    [
        datetime(2026, 2, 14, 10, 0, tzinfo=ALMATY),  # the reminder's own moment
        datetime(2026, 2, 20, 9, 0, tzinfo=UTC),  # recorded late: the sanction's notice tells it
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),  # the deadline passed: an old event read again
    ],
)
def test_no_reminder_is_scheduled_once_its_moment_has_passed(handled: datetime) -> None:
    assert appeal_deadline_reminder(sanction_data(uuid.uuid4()), None, now=handled) == []


def test_a_sanction_by_the_congress_schedules_no_reminder_for_no_body_hears_an_appeal() -> None:
    data = sanction_data(uuid.uuid4())
    data["decision"]["body"]["kind"] = "party_congress"
    assert appeal_deadline_reminder(data, None, now=HANDLED) == []


def test_a_sanction_handled_now_queues_its_notice_and_its_reminder() -> None:
    member = uuid.uuid4()
    today = datetime.now(UTC).date()
    data = sanction_data(member, decided_on=today.isoformat())
    data["appeal_deadline"] = (today + timedelta(days=90)).isoformat()
    found = {n.template: n for n in notices_for(SANCTION, data)}
    assert set(found) == {"sanction_imposed", "appeal_deadline_reminder"}
    assert found["sanction_imposed"].not_before is None  # at once
    assert found["appeal_deadline_reminder"].not_before is not None


@pytest.mark.parametrize(
    "type_name",
    [
        "partia.registry.member.appeal_filed",
        "partia.registry.member.appeal_decided",
        "partia.registry.member.membership_restored",
    ],
)
def test_an_appeal_filed_or_decided_or_the_membership_restored_calls_off_that_sanctions_reminder(
    type_name: str,
) -> None:
    """Ch. 5.1: once appealed, a reminder to appeal is wrong; another sanction's still stands."""
    sanction = str(uuid.uuid4())
    data = {"member_id": str(uuid.uuid4()), "sanction_id": sanction, "appeal_id": str(uuid.uuid4())}
    assert f"appeal-deadline:{sanction}" in cancel_keys_for(type_name, data)
    assert [key for off in reminders.CANCELS[type_name] for key in off(data)] == [
        f"appeal-deadline:{sanction}"
    ]
    assert type_name in handled_types()


def test_other_events_call_off_no_reminder() -> None:
    data = {"member_id": str(uuid.uuid4()), "sanction_id": str(uuid.uuid4())}
    assert cancel_keys_for("partia.registry.member.sanction_imposed", data) == []
    assert cancel_keys_for("partia.registry.member.admitted", data) == []


def test_the_reminder_names_the_appeal_organisation_the_way_the_sanction_notice_does() -> None:
    assert reminders.APPEAL_FROM == notices.APPEAL_FROM


def test_the_reminder_is_for_the_day_in_almaty() -> None:
    # 10:00 in Almaty is 05:00 UTC: the same day in both
    at = reminders.appeal_reminder_at(date(2027, 2, 28))
    assert at.astimezone(UTC) == datetime(2027, 2, 14, 5, 0, tzinfo=UTC)
