"""Reminders to the person, scheduled from the dates in the registry's and finance's events and
called off by later events (issue 13 item 5).

`MORE` maps an event type (`ce_type` without its version) to the functions that give the notices
it causes; `CANCELS` to the functions that give the `cancel_key`s it calls off. `notices` merges
them with its own `RULES`.

The appeal-deadline reminder (decision 299): a sanction imposed (Ch. 3.8) may be appealed up to
its `appeal_deadline` (Ch. 5.1); `REMIND_DAYS_BEFORE` days before that day, at `REMIND_AT` in
Almaty, the member is reminded, unless an appeal was filed against that sanction, or the appeal
was decided, or the membership restored, by then (each names the sanction: `cancel_key`), or the
membership ended otherwise (a withdrawal, a death: the adapter names the member's sanctions it
saw, `SANCTIONS_OF_MEMBER`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from uuid import UUID

from partia_notifications.domain.notice import Cancels, More, Notice, Sanction
from partia_notifications.domain.policies.appeals import appeal_body
from partia_notifications.domain.rendering import ALMATY, TEMPLATES

APPEAL_REMINDER: Final = "appeal_deadline_reminder"
REMIND_DAYS_BEFORE: Final = 14
"""Two weeks: time enough to write and file an appeal, near enough not to be forgotten."""
REMIND_AT: Final = time(10, 0)
"""In Almaty: a working morning, outside any quiet hours one would configure."""
APPEAL_FROM: Final = "appeal_from_organisation_id"
"""`notices.APPEAL_FROM` (which imports this module): where the appeal's organisation is looked
for at send time."""

SANCTION: Final = "partia.registry.member.sanction_imposed"
CALLED_OFF_BY: Final = (
    "partia.registry.member.appeal_filed",
    "partia.registry.member.appeal_decided",
    "partia.registry.member.membership_restored",
)
"""The events, each naming the sanction, after which a reminder to appeal it is wrong: it was
appealed (and perhaps already decided, and the membership restored)."""


ENDED: Final = "partia.registry.member.membership_ended"
SANCTIONS_OF_MEMBER: Final = "sanctions_of_member"
"""Added by the adapter to a `membership_ended` event: the ids of the sanctions of the member
this service saw imposed (the event itself names none)."""


def appeal_cancel_key(sanction_id: object) -> str:
    """What a later event about the sanction names to call its appeal-deadline reminder off."""
    return f"appeal-deadline:{sanction_id}"


def appeal_reminder_at(deadline: date) -> datetime:
    """Ch. 5.1: the moment the member is reminded of the last day to appeal."""
    return datetime.combine(deadline - timedelta(days=REMIND_DAYS_BEFORE), REMIND_AT, ALMATY)


def appeal_deadline_reminder(
    data: Mapping[str, Any], _: Sanction | None = None, *, now: datetime | None = None
) -> list[Notice]:
    """Ch. 5.1: the reminder a `sanction_imposed` event schedules: none when its moment has
    passed when the event is handled (an old event read again, a sanction recorded late: the
    sanction's own notice just told the deadline), nor when no body stands above the one that
    decided (the Congress: nobody to appeal to). `now`: when the event is handled."""
    decision = data["decision"]
    deciding = decision["body"]
    deadline = date.fromisoformat(str(data["appeal_deadline"]))
    at = appeal_reminder_at(deadline)
    to = appeal_body(str(deciding["kind"]))
    if to is None or at <= (now or datetime.now(UTC)):
        return []
    context = {
        "sanction": data["kind"],
        "sanction_id": data["sanction_id"],
        "decided_on": decision["decided_on"],
        "body": deciding["kind"],
        "organisation_id": deciding["organisation_id"],
        "appeal_deadline": deadline.isoformat(),
        "appeal_body": to,
        APPEAL_FROM: deciding["organisation_id"],
        "days_left": REMIND_DAYS_BEFORE,
    }
    category = TEMPLATES[APPEAL_REMINDER].category.value
    member = data["member_id"]
    return [
        Notice(
            APPEAL_REMINDER,
            UUID(str(member)),
            category,
            context,
            not_before=at,
            cancel_key=appeal_cancel_key(data["sanction_id"]),
        )
    ]


def appeal_reminder_called_off(data: Mapping[str, Any]) -> list[str]:
    """An appeal filed (or decided, or the membership restored) names its sanction: that
    sanction's appeal-deadline reminder is wrong from then on."""
    sanction_id = data.get("sanction_id")
    return [] if sanction_id is None else [appeal_cancel_key(sanction_id)]


def appeal_reminders_of_a_former_member(data: Mapping[str, Any]) -> list[str]:
    """Ch. 5.1 gives the right of appeal to members: once the membership has ended (withdrawal,
    Ch. 3.6; death), a reminder to appeal a sanction (a warning, a reprimand) would go to
    someone who is no longer a member, or to their family. An expulsion is not such an end: it
    is the sanction, and its reminder stands."""
    return [appeal_cancel_key(s) for s in data.get(SANCTIONS_OF_MEMBER, [])]


MORE: dict[str, list[More]] = {SANCTION: [appeal_deadline_reminder]}
CANCELS: dict[str, list[Cancels]] = {
    **{name: [appeal_reminder_called_off] for name in CALLED_OFF_BY},
    ENDED: [appeal_reminders_of_a_former_member],
}
