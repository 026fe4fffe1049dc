"""What the notifications API's endpoints depend on: the caller checked against the route's
permission (`permissions.OPERATIONS`) and the service's parts; for a POST, also its
Idempotency-Key. One dependency per endpoint (see `partia_kit.http.dependencies`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from partia_kit.auth import Principal
from partia_kit.http import access
from partia_kit.http.dependencies import idempotency_key
from partia_kit.idempotency import IdempotencyKey
from partia_notifications.api.permissions import OPERATIONS
from partia_notifications.composition import Notifications


async def signed_in(request: Request) -> tuple[Notifications, Principal]:
    principal = await access.authorised(request, OPERATIONS)
    notifications: Notifications = request.app.state.notifications
    return notifications, principal


async def service(request: Request) -> Notifications:
    notifications, _ = await signed_in(request)
    return notifications


async def writer(request: Request) -> tuple[Notifications, IdempotencyKey]:
    notifications, principal = await signed_in(request)
    key = await idempotency_key(request, principal.user, notifications.request_fingerprint)
    return notifications, key


SignedIn = Annotated[tuple[Notifications, Principal], Depends(signed_in)]
"""The service and who is asking (a change records who made it)."""
Service = Annotated[Notifications, Depends(service)]
"""The service, once the caller is allowed the route (`permissions.OPERATIONS`)."""
Writer = Annotated[tuple[Notifications, IdempotencyKey], Depends(writer)]
