"""Transfers between primary organisations (Ch. 5.2): asked for once, registered by the receiving
organisation where it was asked, never while a disciplinary case is open (Ch. 3.8)."""

from __future__ import annotations

from datetime import date
from typing import Protocol, TypeVar
from uuid import UUID

from partia_registry.domain.rules import RuleViolation, StateConflict


class Pending(Protocol):
    """A transfer asked for and not registered yet."""

    @property
    def to_organisation_id(self) -> UUID: ...

    @property
    def requested_on(self) -> date: ...


P = TypeVar("P", bound=Pending)


def check_none_pending(pending: Pending | None) -> None:
    """Ch. 5.2: one transfer at a time; a second request waits until the first is registered."""
    if pending is not None:
        raise StateConflict(
            "transfer-pending",
            "Ch. 5.2",
            f"a transfer to {pending.to_organisation_id} requested on {pending.requested_on} is "
            "still pending",
        )


def check_moves_elsewhere(current: UUID | None, to: UUID) -> None:
    """Ch. 5.2: a transfer goes to another organisation's roll."""
    if to == current:
        raise RuleViolation(
            "transfer-to-same-organisation",
            "Ch. 5.2",
            "the member is already on that organisation's roll",
            field="to_organisation_id",
        )


def check_requested(pending: P | None) -> P:
    """Ch. 5.2: the receiving organisation registers a transfer that was asked for."""
    if pending is None:
        raise StateConflict(
            "no-transfer-requested", "Ch. 5.2", "no transfer has been requested for this member"
        )
    return pending


def check_registered_where_requested(pending_to: UUID, registering: UUID) -> None:
    """Ch. 5.2: only the organisation the transfer was asked to registers it."""
    if registering != pending_to:
        raise RuleViolation(
            "not-the-requested-organisation",
            "Ch. 5.2",
            f"the transfer was requested to {pending_to}",
            field="decision.body.organisation_id",
        )


def check_no_open_case(open_case_since: date | None) -> None:
    """Ch. 3.8: an open disciplinary case holds the transfer (the sending side cannot otherwise
    block it); it can be registered once the case is decided or dismissed."""
    if open_case_since is not None:
        raise StateConflict(
            "open-disciplinary-case",
            "Ch. 3.8",
            f"a disciplinary case opened on {open_case_since} is still open; the transfer "
            "can be registered once it is decided or dismissed",
        )


def check_decided_after_request(decided_on: date, requested_on: date) -> None:
    """Ch. 5.2: the receiving organisation decides on a request it has."""
    if decided_on < requested_on:
        raise RuleViolation(
            "decision-before-request",
            "Ch. 5.2",
            f"the transfer was requested on {requested_on}",
            field="decision.decided_on",
        )
