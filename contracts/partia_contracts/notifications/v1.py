"""The notifications service's integration events, version 1 (issue 13 item 7): what became of
each notice, published on `partia.notifications.v1` by the notifications relay, keyed by notice
id. No personal data: the recipient is a member id, never an address or a name; the cause is the
integration event (`cause_event_id`) that made the notice."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from pydantic.config import JsonDict, JsonValue

from partia_contracts.event_id import derive_event_id
from partia_contracts.registry.v1 import IntegrationEvent

__all__ = [
    "NOTIFICATION_EVENTS",
    "NoticeEvent",
    "NoticeFailed",
    "NoticeSent",
    "NoticeWithheld",
]

_NOTICE = "8e7d6c5b-4a39-4281-9706-f5e4d3c2b1a0"
_MEMBER = "9d8c7b6a-5f4e-4d3c-ab2a-1f0e9d8c7b6a"
_CAUSE = "0b6f6c52-3d4e-5b8a-9a43-6f1e2d3c4b5a"
_TYPE = "What happened, as `notifications.notice.<fact>`. Route on it with schema_version."


def _example(event_type: str, **payload: JsonValue) -> JsonDict:
    envelope: JsonDict = {
        "event_id": str(derive_event_id(UUID(_NOTICE), 1)),
        "event_type": event_type,
        "schema_version": 1,
        "aggregate_id": _NOTICE,
        "aggregate_version": 1,
        "position": 42,
        "recorded_at": "2025-11-30T10:00:01Z",
        "recorded_by": "notifications",
        "effective_on": "2025-11-30",
        "notice_id": _NOTICE,
        "member_id": _MEMBER,
        "template": "sanction_imposed",
        "category": "decision",
        "cause_event_id": _CAUSE,
    }
    return envelope | payload


def _event_type(name: str) -> Any:
    return Field(name, description=_TYPE)


class NoticeEvent(IntegrationEvent):
    """What every notice event says: which notice (`aggregate_id`; its version counts the notice's
    outcomes, a resend making a second), to whom, which template, caused by which event."""

    notice_id: UUID = Field(description="The notice; equal to aggregate_id.")
    member_id: UUID = Field(description="The member it is addressed to (never an address).")
    template: str = Field(description="Which notice, e.g. `sanction_imposed`.")
    category: Literal["decision", "information", "reminder"] = Field(
        description="`decision`: legally significant, always sent; the others may be opted out of."
    )
    cause_event_id: str = Field(description="The integration event that caused the notice.")


class NoticeSent(NoticeEvent):
    """The notice was accepted by the mail server for the member's address."""

    EXAMPLES = (_example("notifications.notice.sent", language="kk"),)

    event_type: Literal["notifications.notice.sent"] = _event_type("notifications.notice.sent")
    language: Literal["kk", "ru", "en"] = Field(description="The language it was written in.")


class NoticeFailed(NoticeEvent):
    """The notice could not be delivered and was given up on (an operator may resend it)."""

    EXAMPLES = (
        _example("notifications.notice.failed", category="information", reason="smtp: refused"),
    )

    event_type: Literal["notifications.notice.failed"] = _event_type("notifications.notice.failed")
    reason: str = Field(description="Why, as the delivery log records it; no personal data.")


class NoticeWithheld(NoticeEvent):
    """The notice was not sent, on purpose: the person's data was erased, they have no address on
    file, or they opted out of its category (never a `decision`)."""

    EXAMPLES = (
        _example("notifications.notice.withheld", category="reminder", reason="opted-out:reminder"),
    )

    event_type: Literal["notifications.notice.withheld"] = _event_type(
        "notifications.notice.withheld"
    )
    reason: str = Field(
        description="`personal-data-erased`, `no-email-on-file` or `opted-out:<category>`."
    )


NOTIFICATION_EVENTS: tuple[type[IntegrationEvent], ...] = (NoticeSent, NoticeFailed, NoticeWithheld)
