"""Notices to party bodies: the PPO's and branch's configured addresses, the party Bureau, the
treasurer (issue 13 item 2).

`MORE` maps an event type (`ce_type` without its version) to the functions that give the notices
it causes; `CANCELS` to the functions that give the `cancel_key`s it calls off. `notices` merges
them with its own `RULES`.

An integration event names a member by id only; what a body's notice says of them (the card
number, the PPO) and of a mandate or a return obligation comes from what this service kept of
earlier events (`adapters/bodies.py`, decision 304), handed in under `KNOWN`:
`data[KNOWN]` = {"card_number", "organisation_id" (the member's PPO), "branch_id" (its parent),
"party_id" (the root), "mandate_kind", "obligation"}, each None when not known."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from uuid import UUID

from partia_kit.dates import add_calendar_months
from partia_notifications.domain.notice import (
    Cancels,
    Context,
    More,
    Notice,
    Sanction,
    body_recipient,
)
from partia_notifications.domain.rendering import ALMATY, TEMPLATES

PARTY: Final = "party"
"""A body recipient's organisation when the notice was queued before the tree was known: the
party's root, looked up at send time (`adapters/bodies.py`)."""
KNOWN: Final = "_known"
"""The key under which the consumer hands in what it kept of earlier events."""

BUREAU: Final = "bureau"
TREASURER: Final = "treasurer"
ROLES: Final = (BUREAU, TREASURER)
"""Which of an organisation's addresses a notice goes to: its bureau (the PPO's bureau, the
branch's, the party's Bureau of the Political Council) or its treasurer."""

SCHEDULED_AT: Final = time(9, 0)
"""A scheduled notice that goes alone (an overdue one) goes at 09:00 in Almaty, never at night."""
RESIDENCE_WARNING_MONTHS: Final = 5
"""Ch. 3.6 / 5.2: six months to register at the new place; the bodies are told at five."""
APPEAL_REMINDER_DAYS: Final = 30
APPEAL_DECIDE_WITHIN_DAYS: Final = 60
"""The Charter sets no period to decide an appeal (Ch. 5.1); the service reads two months
(decision 307) and reminds the body after one."""
RETURN_REMINDER_DAYS: Final = 7
"""The treasurer is reminded of a return obligation a week before its deadline (decision 306)."""

MANDATE_AT_STAKE = "partia.registry.member.national_mandate_at_stake"
RESIDENCE = "partia.registry.member.residence_change_reported"
TRANSFERRED = "partia.registry.member.transferred"
ENDED = "partia.registry.member.membership_ended"
SANCTION = "partia.registry.member.sanction_imposed"
APPEAL_FILED = "partia.registry.member.appeal_filed"
APPEAL_DECIDED = "partia.registry.member.appeal_decided"
OBLIGATION_OPENED = "partia.finance.obligation.opened"
OBLIGATION_OVERDUE = "partia.finance.obligation.overdue"
OBLIGATION_SETTLED = "partia.finance.obligation.settled"


def at(day: date, moment: time = time(0, 0)) -> datetime:
    """The moment a scheduled notice is due: that day in Almaty (digest items: from its start, so
    that day's digest takes them; a notice alone: at `SCHEDULED_AT`)."""
    return datetime.combine(day, moment, tzinfo=ALMATY)


def _known(data: Mapping[str, Any]) -> Mapping[str, Any]:
    known: Mapping[str, Any] = data.get(KNOWN) or {}
    return known


def _category(template: str) -> str:
    return TEMPLATES[template].category.value


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- a national deputy's mandate at stake: the party Bureau, at once ----------------------


def _mandate_at_stake(data: Mapping[str, Any], _: Sanction | None) -> list[Notice]:
    """To the party Bureau at once, never in a digest: a deputy who leaves the party that
    nominated them loses the mandate (the Constitution; the registry's `national_mandate_at_stake`
    says so). Legally significant: the template's category is `decision`."""
    known = _known(data)
    template = "mandate_at_stake"
    context: Context = {
        "card_number": known.get("card_number"),
        "mandate": known.get("mandate_kind"),
        "reason": data["reason"],
        "effective_on": data["effective_on"],
        "mandate_id": data["mandate_id"],
    }
    # the party's root as the organisation tree names it; not known yet: resolved at send time
    to = body_recipient(known.get("party_id") or PARTY, BUREAU)
    return [Notice(template, _member(data), _category(template), context, to=to)]


def _member(data: Mapping[str, Any]) -> UUID | None:
    member = data.get("member_id")
    return None if member is None else UUID(str(member))


# --- the residence clock (Ch. 3.6, 5.2): the member's PPO and its branch ------------------


def residence_key(member_id: Any) -> str:
    return f"residence:{member_id}"


def _residence(data: Mapping[str, Any], _: Sanction | None) -> list[Notice]:
    """At five months after the move (a digest item) and the day after the deadline (alone):
    to the bureau of the member's PPO and of its branch. A transfer that registers the member at
    the new place, the membership ending, or an erasure calls them off."""
    known = _known(data)
    ppo = known.get("organisation_id")
    if ppo is None:  # a member this service never saw admitted: no PPO to tell
        return []
    moved_on = _day(data["moved_on"])
    deadline = _day(data["registration_deadline"])
    context: Context = {
        "card_number": known.get("card_number"),
        "organisation_id": str(ppo),
        "moved_on": moved_on.isoformat(),
        "registration_deadline": deadline.isoformat(),
    }
    bodies = [ppo, *([known["branch_id"]] if known.get("branch_id") else [])]
    member = _member(data)
    key = residence_key(member)
    five_months = at(add_calendar_months(moved_on, RESIDENCE_WARNING_MONTHS))
    overdue = at(deadline + timedelta(days=1), SCHEDULED_AT)
    notices = []
    for body in bodies:
        to = body_recipient(body, BUREAU)
        notices += [
            Notice("residence_clock_five_months", member, _category(
                "residence_clock_five_months"), context, to=to, not_before=five_months,
                cancel_key=key, digest=True),
            Notice("residence_clock_overdue", member, _category("residence_clock_overdue"),
                   context, to=to, not_before=overdue, cancel_key=key),
        ]  # fmt: skip
    return notices


def _residence_closed(data: Mapping[str, Any]) -> list[str]:
    """A transfer on a change of residence registers the member at the new place (Ch. 5.2)."""
    return [residence_key(data["member_id"])] if data.get("closes_residence_clock") else []


def _membership_over(data: Mapping[str, Any]) -> list[str]:
    """No residence clock runs for someone who is no longer a member."""
    return [residence_key(data["member_id"])]


def _expelled(data: Mapping[str, Any]) -> list[str]:
    """An expulsion ends the membership (no `membership_ended` follows it)."""
    return _membership_over(data) if data.get("kind") == "expulsion" else []


# --- appeals pending (Ch. 5.1): the body appealed to ---------------------------------------


def appeal_key(appeal_id: Any) -> str:
    return f"appeal-pending:{appeal_id}"


def _appeal_filed(data: Mapping[str, Any], sanction: Sanction | None) -> list[Notice]:
    """A month after filing, a digest item to the bureau of the organisation whose body hears
    the appeal: decide by two months after filing (decision 307). `appeal_decided` calls it off."""
    filed_on = _day(data["filed_on"])
    remind_on = filed_on + timedelta(days=APPEAL_REMINDER_DAYS)
    decide_by = filed_on + timedelta(days=APPEAL_DECIDE_WITHIN_DAYS)
    known = _known(data)
    context: Context = {
        "card_number": known.get("card_number") or (sanction or {}).get("card_number"),
        "sanction": (sanction or {}).get("kind"),
        "filed_on": filed_on.isoformat(),
        "decide_by": decide_by.isoformat(),
        "days_left": (decide_by - remind_on).days,
    }
    to = body_recipient(data["body"]["organisation_id"], BUREAU)
    template = "appeal_pending"
    return [Notice(template, _member(data), _category(template), context, to=to,
                   not_before=at(remind_on), cancel_key=appeal_key(data["appeal_id"]),
                   digest=True)]  # fmt: skip


def _appeal_decided(data: Mapping[str, Any]) -> list[str]:
    return [appeal_key(data["appeal_id"])]


# --- return obligations: the organisation's treasurer ---------------------------------------


def obligation_key(obligation_id: Any, stage: str) -> str:
    """`stage`: `due` (the reminder before the deadline) or `overdue`."""
    return f"obligation-{stage}:{obligation_id}"


def _obligation_context(obligation: Mapping[str, Any]) -> Context:
    return {
        "reference": str(obligation["donation_id"]),
        "amount_tiyn": int(obligation["amount_tiyn"]),
        "deadline": _day(obligation["deadline"]).isoformat(),
    }


def _obligation_opened(data: Mapping[str, Any], _: Sanction | None) -> list[Notice]:
    """A week before the deadline (or at once if less is left), a digest item to the treasurer
    of the organisation that received the donation (decision 306); settled calls it off."""
    deadline = _day(data["deadline"])
    opened_on = _day(data["effective_on"])
    remind_on = max(deadline - timedelta(days=RETURN_REMINDER_DAYS), opened_on)
    context = {**_obligation_context(data), "days_left": max((deadline - remind_on).days, 0)}
    template = "return_obligation_due"
    to = body_recipient(data["organisation_id"], TREASURER)
    return [Notice(template, None, _category(template), context, to=to,
                   not_before=at(remind_on), cancel_key=obligation_key(data["aggregate_id"], "due"),
                   digest=True)]  # fmt: skip


def _obligation_overdue(data: Mapping[str, Any], _: Sanction | None) -> list[Notice]:
    """At once and alone: the party is at legal risk. Settling calls it off if still queued."""
    obligation = _known(data).get("obligation")
    if obligation is None:  # opened before this service listened: nothing to say it with
        return []
    deadline = _day(data["deadline"])
    overdue_on = _day(data["effective_on"])
    context = {
        **_obligation_context({**obligation, "deadline": deadline}),
        "days_overdue": max((overdue_on - deadline).days, 1),
    }
    template = "return_obligation_overdue"
    to = body_recipient(obligation["organisation_id"], TREASURER)
    return [Notice(template, None, _category(template), context, to=to,
                   cancel_key=obligation_key(data["aggregate_id"], "overdue"))]  # fmt: skip


def _obligation_overdue_cancels(data: Mapping[str, Any]) -> list[str]:
    """The reminder before the deadline, if still waiting, has nothing left to say."""
    return [obligation_key(data["aggregate_id"], "due")]


def _obligation_settled(data: Mapping[str, Any]) -> list[str]:
    return [obligation_key(data["aggregate_id"], stage) for stage in ("due", "overdue")]


MORE: dict[str, list[More]] = {
    MANDATE_AT_STAKE: [_mandate_at_stake],
    RESIDENCE: [_residence],
    APPEAL_FILED: [_appeal_filed],
    OBLIGATION_OPENED: [_obligation_opened],
    OBLIGATION_OVERDUE: [_obligation_overdue],
}
CANCELS: dict[str, list[Cancels]] = {
    TRANSFERRED: [_residence_closed],
    ENDED: [_membership_over],
    SANCTION: [_expelled],
    APPEAL_DECIDED: [_appeal_decided],
    OBLIGATION_OVERDUE: [_obligation_overdue_cancels],
    OBLIGATION_SETTLED: [_obligation_settled],
}
