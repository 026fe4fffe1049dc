"""A notice: what the delivery log queues, one per (causing event, template, recipient). Its own
module so that the tables of notices (`notices`, `reminders`, `bodies`) share it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

Context = dict[str, Any]
Sanction = Mapping[str, Any]
"""What the service remembers of a sanction it saw imposed: kind, organisation_id, card_number."""


@dataclass(frozen=True)
class Notice:
    """One notice to one recipient, caused by one event.

    To the member `member_id` unless `to` names a party body (`body_recipient`); then
    `member_id` is the member it concerns, if any. `not_before`: a reminder's date, when it is
    not to go at once. `cancel_key`: what a later event names to call it off (`CANCELS`).
    `digest`: a routine notice to a body, gathered into the body's daily digest."""

    template: str
    member_id: UUID | None
    category: str
    context: Context = field(default_factory=dict)
    to: str | None = None
    not_before: datetime | None = None
    cancel_key: str | None = None
    digest: bool = False

    @property
    def recipient(self) -> str:
        """How the delivery log names the recipient: no address, no name."""
        return self.to or f"member:{self.member_id}"


def body_recipient(organisation_id: UUID | str, role: str) -> str:
    """A party body as a recipient: the organisation and which of its addresses (e.g. `bureau`,
    `treasurer`); the address itself is looked up at send time."""
    return f"body:{organisation_id}:{role}"


def parse_recipient(recipient: str) -> tuple[str, str] | None:
    """(organisation id, role) of a body recipient; None for a member."""
    kind, _, rest = recipient.partition(":")
    if kind != "body":
        return None
    organisation, _, role = rest.rpartition(":")
    return (organisation, role) if organisation and role else None


More = Callable[[Mapping[str, Any], Sanction | None], list[Notice]]
"""An event's further notices: reminders for later dates, notices to bodies."""
Cancels = Callable[[Mapping[str, Any]], list[str]]
"""The `cancel_key`s of the queued notices an event calls off."""
