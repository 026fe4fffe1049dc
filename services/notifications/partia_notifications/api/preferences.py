"""A member's choices per category of notice over HTTP (issue 13 items 5 and 7): the member on
their own record, a clerk on anyone's (a request on paper). Legally significant notices
(decisions, sanctions, appeal deadlines) cannot be switched off: they always go, and say so."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from partia_notifications.api.dependencies import Service, SignedIn
from partia_notifications.api.models import PreferencesChange, PreferencesView

router = APIRouter(tags=["preferences"])


@router.get(
    "/members/{member_id}/preferences",
    response_model=PreferencesView,
    summary="Which categories of notice the member receives",
)
def preferences(member_id: UUID, notifications: Service) -> dict[str, Any]:
    store = notifications.preferences
    return _view(store.of(member_id))


@router.put(
    "/members/{member_id}/preferences",
    response_model=PreferencesView,
    summary="Opt in or out of reminders and information",
    description="Sets both choices at once (the same request twice leaves the same state, so no"
    " `Idempotency-Key` is needed). Decisions, sanctions and appeal deadlines are legally"
    " significant and always sent; there is no field for them.",
)
def change_preferences(
    member_id: UUID, body: PreferencesChange, context: SignedIn
) -> dict[str, Any]:
    notifications, principal = context
    store = notifications.preferences
    changed = store.change(
        member_id, reminders=body.reminders, information=body.information, by=principal.user
    )
    return _view(changed)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "always_sent": ["decision"]}
