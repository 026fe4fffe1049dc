"""The notifications API's response shapes (documented with examples)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE: dict[str, Any] = {
    "notice_id": "5a0f3c1e-8c1b-4f55-9d7e-0d7b1f0c2a11",
    "event_id": "0b6f6c52-3d4e-5b8a-9a43-6f1e2d3c4b5a",
    "event_type": "partia.registry.member.sanction_imposed.v1",
    "template": "sanction_imposed",
    "recipient": "member:7d1c9a9e-3f0b-4d57-8a54-2b7e5c1d9f00",
    "member_id": "7d1c9a9e-3f0b-4d57-8a54-2b7e5c1d9f00",
    "category": "decision",
    "context": {"sanction": "expulsion", "appeal_deadline": "2026-02-28"},
    "status": "sent",
    "attempts": 1,
    "resends": 0,
    "next_attempt_at": "2025-11-30T10:00:00+00:00",
    "last_error": None,
    "language": "kk",
    "message_id": "<174.1@partia.local>",
    "queued_at": "2025-11-30T10:00:00+00:00",
    "sent_at": "2025-11-30T10:00:01+00:00",
    "updated_at": "2025-11-30T10:00:01+00:00",
}
_CANCELLED_REMINDER: dict[str, Any] = {
    **_EXAMPLE,
    "notice_id": "9c3e1b7a-2f4d-4e6a-8b1c-5d7f9a0b2c3d",
    "template": "appeal_deadline_reminder",
    "context": {"sanction": "expulsion", "appeal_deadline": "2026-02-28", "days_left": 14},
    "status": "cancelled",
    "attempts": 0,
    "next_attempt_at": "2026-02-14T05:00:00+00:00",
    "last_error": "cancelled-by:partia.registry.member.appeal_filed"
    ":2d4f6a8c-1b3e-4c5d-9e7f-0a1b2c3d4e5f",
    "language": None,
    "message_id": None,
    "sent_at": None,
    "updated_at": "2025-12-20T08:30:00+00:00",
    "cancel_key": "appeal-deadline:4b2a7c1d-6e5f-4a3b-9c8d-7e6f5a4b3c2d",
    "digest": False,
}
"""A reminder queued for its date (14 days before the last day to appeal), called off when the
member appealed (decision 299)."""


class Delivery(BaseModel):
    """One notice to one recipient, caused by one event, and what became of it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE, _CANCELLED_REMINDER]})

    notice_id: UUID
    event_id: str = Field(description="The integration event that caused it.")
    event_type: str
    template: str = Field(description="Which notice.")
    recipient: str = Field(
        description="`member:<id>`, or `body:<organisation id>:<role>` for a party body: never an"
        " address or a name."
    )
    member_id: UUID | None = Field(
        description="The member it goes to, or, for a notice to a body, the member it concerns."
    )
    category: str = Field(
        description="`decision` (legally significant: always sent), `information` or `reminder`"
        " (a member may opt out of these)."
    )
    context: dict[str, Any] = Field(description="The event's facts the notice states.")
    status: Literal["queued", "sent", "failed", "withheld", "cancelled"] = Field(
        description="`queued` (a reminder stays queued until its date), `sent`, `failed`,"
        " `withheld` (erased, no address, opted out) or `cancelled` (called off by a later event,"
        " named in last_error)."
    )
    attempts: int = Field(description="Attempts since it was (re)queued.")
    resends: int
    next_attempt_at: datetime = Field(description="When it goes (next): a reminder's date.")
    last_error: str | None = Field(description="Why the last attempt failed, or why withheld.")
    language: str | None = Field(description="The language it was sent in.")
    message_id: str | None = Field(description="The email's Message-ID.")
    queued_at: datetime
    sent_at: datetime | None
    updated_at: datetime
    cancel_key: str | None = Field(
        default=None, description="What a later event names to call this reminder off."
    )
    digest: bool = Field(default=False, description="Waits for the body's daily digest.")


class Deliveries(BaseModel):
    items: list[Delivery]


class Resent(BaseModel):
    notice_id: UUID
    status: Literal["queued"]


class PreferencesChange(BaseModel):
    """A member's choices: true receives the category, false opts out of it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reminders": False, "information": True}]}
    )

    reminders: bool = Field(description="Dates coming or passed (dues in arrears, ...).")
    information: bool = Field(description="News about one's own record (an application received).")


class PreferencesView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "7d1c9a9e-3f0b-4d57-8a54-2b7e5c1d9f00",
                    "reminders": False,
                    "information": True,
                    "always_sent": ["decision"],
                    "updated_at": "2025-11-30T10:00:01+00:00",
                }
            ]
        }
    )

    member_id: UUID
    reminders: bool
    information: bool
    always_sent: list[str] = Field(
        description="Categories no choice stops: `decision` (decisions, sanctions, appeal"
        " deadlines), legally significant; such a notice says so."
    )
    updated_at: datetime | None = Field(description="Last change; null: never chosen (all sent).")


BodyRole = Literal["bureau", "treasurer"]
"""`domain.bodies.ROLES`: which of an organisation's addresses."""


class BodyAddressChange(BaseModel):
    """Where a party body's notices go: an office mailbox of the organisation's role (not a
    person's own address: the service keeps it in the clear, decision 303)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "bureau.ppo7@baytaq.kz", "language": "kk"}]},
    )

    email: str = Field(
        pattern=r"^[^@\s\u0000]+@[^@\s\u0000]+\.[^@\s\u0000]+$",
        max_length=254,
        description="The office mailbox, e.g. `bureau.ppo7@baytaq.kz`.",
    )
    language: Literal["kk", "ru", "en"] = Field(description="The language to write to it in.")


class BodyAddressView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organisation_id": "3f0e8f0e-6a55-4b6f-8b7e-1f3a2b4c5d6e",
                    "role": "bureau",
                    "email": "bureau.ppo7@baytaq.kz",
                    "language": "kk",
                    "updated_by": "tolkyn",
                    "updated_at": "2026-12-01T10:00:00+00:00",
                }
            ]
        }
    )

    organisation_id: UUID
    role: BodyRole
    email: str
    language: str
    updated_by: str
    updated_at: datetime


class BodyAddresses(BaseModel):
    items: list[BodyAddressView]
