"""A member's choices per category of notice over HTTP (issue 13 items 5 and 7): the member on
their own record, a clerk on anyone's (a request on paper). Legally significant notices
(decisions, sanctions, appeal deadlines) cannot be switched off: they always go, and say so."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from partia_kit.auth import Principal
from partia_kit.http import access
from partia_notifications.adapters.preferences import Preferences
from partia_notifications.api.models import PreferencesChange, PreferencesView
from partia_notifications.api.permissions import OPERATIONS
from partia_notifications.composition import Notifications

router = APIRouter(tags=["preferences"])


async def authorised(request: Request) -> tuple[Preferences, Principal]:
    principal = await access.authorised(request, OPERATIONS)
    notifications: Notifications = request.app.state.notifications
    return notifications.preferences, principal


Authorised = Annotated[tuple[Preferences, Principal], Depends(authorised)]


@router.get(
    "/members/{member_id}/preferences",
    response_model=PreferencesView,
    summary="Which categories of notice the member receives",
)
def preferences(member_id: UUID, context: Authorised) -> dict[str, Any]:
    store, _ = context
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
    member_id: UUID, body: PreferencesChange, context: Authorised
) -> dict[str, Any]:
    store, principal = context
    changed = store.change(
        member_id, reminders=body.reminders, information=body.information, by=principal.user
    )
    return _view(changed)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "always_sent": ["decision"]}
