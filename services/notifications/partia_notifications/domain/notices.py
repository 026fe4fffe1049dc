"""Which notices an integration event causes (issue 13 item 2), decided from the event alone, and
the facts each gets under the keys its template uses (`rendering.TEMPLATES[id].keys`, decision
275): this module is the one place where the registry's event fields meet the templates' keys.

The registry's member events and finance's dues arrears (`partia.finance.dues.v1`) cause notices.
Integration events carry no personal data, and neither does a notice: it names its recipient by
member id and carries the event's facts (dates, card number, codes); what only send time knows is
added then (`partia_notifications.application.wording`): the person's `name`, and the names of
organisations in the reader's language, which a notice holds as ids under `ORGANISATION_KEYS`
(`organisation_id` becomes `organisation`, ...). A notice stored as JSON holds its dates as ISO
strings; `facts` turns them back into dates for the renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final
from uuid import UUID

from partia_notifications.domain import bodies, reminders
from partia_notifications.domain.notice import Cancels, Context, More, Notice, Sanction
from partia_notifications.domain.policies.appeals import appeal_body
from partia_notifications.domain.rendering import TEMPLATES, Category

LEGAL: Final = Category.DECISION.value
"""Decisions, sanctions, appeal deadlines: always sent, whatever the person's preferences."""
INFORMATION: Final = Category.INFORMATION.value
"""Routine news about one's own record (an application received): may be opted out of."""
REMINDER: Final = Category.REMINDER.value
"""A date coming or passed (dues in arrears): may be opted out of."""

REJECTION_CLAUSE: Final = "3.4"
"""The clause an admission decision, a refusal too, rests on (Ch. 3.4: admission by the PPO's
meeting or bureau). The registry's event names no clause; the reason is in the decision's words."""

ORGANISATION_KEYS: Final[Mapping[str, str]] = {
    "organisation": "organisation_id",
    "from_organisation": "from_organisation_id",
    "to_organisation": "to_organisation_id",
}
"""Template key -> the context key holding the organisation's id; named at send time."""
APPEAL_FROM: Final = "appeal_from_organisation_id"
"""Where the appeal's organisation is looked for (up from the deciding body's organisation, to
the level of `appeal_body`); it becomes `appeal_organisation` at send time."""

DATES: Final = frozenset(
    {"submitted_on", "admitted_on", "decided_on", "ended_on", "registered_on",
     "appeal_deadline", "restored_on", "as_of",
     # notices to bodies (`bodies.py`)
     "moved_on", "registration_deadline", "effective_on", "filed_on", "decide_by", "deadline"}
)  # fmt: skip


def _decision(data: Mapping[str, Any]) -> Context:
    decision = data.get("decision") or {}
    body = decision.get("body") or {}
    return {"decided_on": decision.get("decided_on"), "body": body.get("kind")}


def _application_received(data: Mapping[str, Any], _: Sanction | None) -> Context:
    document = data.get("application_document") or {}
    return {
        "organisation_id": data["organisation_id"],
        "submitted_on": document.get("signed_on") or data["effective_on"],
    }


def _admitted(data: Mapping[str, Any], _: Sanction | None) -> Context:
    decision = _decision(data)
    return {
        "card_number": data["card_number"],
        "organisation_id": data["organisation_id"],
        "admitted_on": decision["decided_on"],
        "body": decision["body"],
    }


def _rejected(data: Mapping[str, Any], _: Sanction | None) -> Context:
    return {
        "reason": data["reason"],
        "clause": REJECTION_CLAUSE,
        "organisation_id": data["organisation_id"],
        **_decision(data),
    }


def _ended(data: Mapping[str, Any], _: Sanction | None) -> Context:
    return {
        "reason": data["reason"],
        "card_number": data["card_number"],
        "organisation_id": data["organisation_id"],
        "ended_on": data["effective_on"],
    }


def _transferred(data: Mapping[str, Any], _: Sanction | None) -> Context:
    return {
        "from_organisation_id": data["from_organisation_id"],
        "to_organisation_id": data["to_organisation_id"],
        "registered_on": _decision(data)["decided_on"],
    }


def _sanction(data: Mapping[str, Any], _: Sanction | None) -> Context:
    decision = _decision(data)
    deciding_organisation = data["decision"]["body"]["organisation_id"]
    return {
        "sanction": data["kind"],
        "sanction_id": data.get("sanction_id"),
        **decision,
        "organisation_id": deciding_organisation,
        # the registry computed the deadline (Ch. 5.1) and the contract carries it
        "appeal_deadline": data["appeal_deadline"],
        "appeal_body": appeal_body(str(decision["body"])),
        APPEAL_FROM: deciding_organisation,
        "card_number": data.get("card_number"),
    }


def _appeal_decided(data: Mapping[str, Any], sanction: Sanction | None) -> Context:
    decision = _decision(data)
    return {
        # None when the sanction predates what this service saw: the notice then fails, logged
        "sanction": (sanction or {}).get("kind"),
        "outcome": data["outcome"],
        "replacement": data.get("replacement"),
        **decision,
        "organisation_id": data["decision"]["body"]["organisation_id"],
    }


def _restored(data: Mapping[str, Any], sanction: Sanction | None) -> Context:
    known = sanction or {}
    return {
        "card_number": known.get("card_number"),
        "organisation_id": known.get("organisation_id"),
        "restored_on": data["effective_on"],
    }


def _arrears(data: Mapping[str, Any], _: Sanction | None) -> Context:
    # finance counted the months and the amount (decision 216); the day it counted them on
    return {
        "months": data["months_owed"],
        "amount_tiyn": data["amount_tiyn"],
        "as_of": data["effective_on"],
    }


Facts = Callable[[Mapping[str, Any], Sanction | None], Context]

RULES: dict[str, tuple[str, Facts]] = {
    "partia.registry.member.application_submitted": ("application_received", _application_received),
    "partia.registry.member.admitted": ("admitted", _admitted),
    "partia.registry.member.application_rejected": ("application_rejected", _rejected),
    "partia.registry.member.membership_ended": ("membership_ended", _ended),
    "partia.registry.member.transferred": ("transfer_registered", _transferred),
    "partia.registry.member.sanction_imposed": ("sanction_imposed", _sanction),
    "partia.registry.member.appeal_decided": ("appeal_decided", _appeal_decided),
    "partia.registry.member.membership_restored": ("membership_restored", _restored),
    "partia.finance.dues.arrears_threshold_reached": ("dues_arrears", _arrears),
}
"""By `ce_type` without its version: the template, and the facts it gets from the event (and from
the sanction the event refers to, when it refers to one)."""


def _merged(*tables: Mapping[str, Any]) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for found in tables:
        for type_name, entries in found.items():
            merged.setdefault(type_name, []).extend(entries)
    return merged


MORE: Final[Mapping[str, list[More]]] = _merged(reminders.MORE, bodies.MORE)
"""By `ce_type` without its version: the further notices an event causes: reminders to the
person (`domain/reminders.py`), notices to party bodies (`domain/bodies.py`)."""
CANCELS: Final[Mapping[str, list[Cancels]]] = _merged(reminders.CANCELS, bodies.CANCELS)
"""By `ce_type` without its version: what an event calls off."""


NOTICE_TEMPLATES = tuple(sorted({template for template, _ in RULES.values()}))


def handled_types() -> frozenset[str]:
    """Every event type (without version) that queues or calls off a notice."""
    return frozenset(RULES) | frozenset(MORE) | frozenset(CANCELS)


def category(template: str) -> str:
    """The template's category (`rendering.TEMPLATES`): decides whether a preference may stop it."""
    return TEMPLATES[template].category.value


def notices_for(
    type_name: str, data: Mapping[str, Any], sanction: Sanction | None = None
) -> list[Notice]:
    """The notices an event of this type causes: one to the member it concerns, for the types in
    `RULES`; none for the others. `sanction`: what was seen of the sanction the event names."""
    found = [
        more_notice for more in MORE.get(type_name, []) for more_notice in more(data, sanction)
    ]
    rule = RULES.get(type_name)
    if rule is None:
        return found
    template, facts = rule
    context = facts(data, sanction)
    # a finance dues event's aggregate is the member's dues account: the member's id
    member = data.get("member_id") or data["aggregate_id"]
    return [Notice(template, UUID(str(member)), category(template), context), *found]


def cancel_keys_for(type_name: str, data: Mapping[str, Any]) -> list[str]:
    """What an event of this type calls off: the `cancel_key`s of the notices it cancels."""
    return [key for cancels in CANCELS.get(type_name, []) for key in cancels(data)]


def facts(context: Mapping[str, Any]) -> Context:
    """A stored notice's context with its dates as dates again (JSON keeps them as ISO text)."""
    return {
        key: date.fromisoformat(value) if key in DATES and isinstance(value, str) else value
        for key, value in context.items()
    }
