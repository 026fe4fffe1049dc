"""Where a party body's notices go, over HTTP (issue 13 item 2, decision 303): one office
address per organisation and role (`bureau`, `treasurer`), with the language to write in. The
sender looks it up at send time; a notice to a body with none configured fails
`no-address-configured`, and is resent once one is."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from partia_kit.http.problems import ApiProblem
from partia_notifications.api.dependencies import Service, SignedIn
from partia_notifications.api.models import (
    BodyAddressChange,
    BodyAddresses,
    BodyAddressView,
    BodyRole,
)

router = APIRouter(tags=["bodies"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No address configured", "content": {"application/problem+json": {}}}
}


@router.get(
    "/bodies/{organisation_id}/addresses",
    response_model=BodyAddresses,
    summary="Every address configured for an organisation's bodies",
)
def addresses(organisation_id: UUID, notifications: Service) -> dict[str, Any]:
    book = notifications.addresses
    return {"items": book.of(organisation_id)}


@router.get(
    "/bodies/{organisation_id}/addresses/{role}",
    response_model=BodyAddressView,
    responses=NOT_FOUND,
    summary="Where one body's notices go",
)
def address(organisation_id: UUID, role: BodyRole, notifications: Service) -> dict[str, Any]:
    book = notifications.addresses
    found = book.one(organisation_id, role)
    if found is None:
        raise _none(organisation_id, role)
    return found


@router.put(
    "/bodies/{organisation_id}/addresses/{role}",
    response_model=BodyAddressView,
    summary="Set where a body's notices go, and in which language",
    description="An office mailbox of the organisation's `bureau` (the PPO's or branch's bureau,"
    " the party's Bureau at the party's root organisation) or `treasurer`. Sets the whole"
    " address (the same request twice leaves the same state, so no `Idempotency-Key` is needed)."
    " Notices already failed for want of an address are resent with"
    " `POST /deliveries/{id}/resend`.",
)
def set_address(
    organisation_id: UUID, role: BodyRole, body: BodyAddressChange, context: SignedIn
) -> dict[str, Any]:
    notifications, principal = context
    book = notifications.addresses
    return book.put(
        organisation_id, role, email=body.email, language=body.language, by=principal.user
    )


@router.delete(
    "/bodies/{organisation_id}/addresses/{role}",
    status_code=204,
    responses=NOT_FOUND,
    summary="Remove a body's address (its notices then fail `no-address-configured`)",
    description="Idempotent in effect: a second request finds nothing and answers 404.",
)
def remove_address(organisation_id: UUID, role: BodyRole, notifications: Service) -> Response:
    book = notifications.addresses
    if not book.delete(organisation_id, role):
        raise _none(organisation_id, role)
    return Response(status_code=204)


def _none(organisation_id: UUID, role: str) -> ApiProblem:
    return ApiProblem(
        404,
        "No address configured",
        f"no {role} address is configured for organisation {organisation_id}",
        rule="no-address-configured",
        field="role",
    )
