"""/organisations: the party's tree."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from partia_contracts.registry import api
from partia_contracts.registry.v1 import OrganisationKind as ContractKind
from partia_kit.http.access import scope_of
from partia_kit.http.dependencies import COMMAND_OPENAPI
from partia_registry.api import translate
from partia_registry.api.access_log import FULL_NAME, PersonalReader
from partia_registry.api.dependencies import Reader, Writer
from partia_registry.api.parameters import Offset, limit
from partia_registry.api.responses import COMMAND_ERRORS, READ_ERRORS, created, with_location
from partia_registry.application import commands as c
from partia_registry.domain.organisations import OrganisationKind

router = APIRouter(prefix="/organisations", tags=["organisations"])

Limit = Annotated[int, limit(1000)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=api.OrganisationReceipt,
    responses={**COMMAND_ERRORS, **created("the organisation")},
    openapi_extra=COMMAND_OPENAPI,
    summary="Found an organisation under an existing one",
)
async def create_organisation(
    body: api.CreateOrganisationRequest,
    w: Writer,
) -> Response:
    command = c.CreateOrganisation(
        actor=w.actor,
        idempotency=w.idempotency,
        kind=OrganisationKind(body.kind.value),
        parent_id=body.parent_id,
        names=translate.names(body.names),
        decision=translate.decision(body.decision),
        code=body.code,
    )
    receipt = await w.execute(command, status.HTTP_201_CREATED)
    return with_location(receipt, "/organisations/{organisation_id}")


@router.post(
    "/{organisation_id}/rename",
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Rename an organisation (all three languages)",
)
async def rename_organisation(
    organisation_id: UUID,
    body: api.RenameOrganisationRequest,
    w: Writer,
) -> Response:
    command = c.RenameOrganisation(
        actor=w.actor,
        idempotency=w.idempotency,
        organisation_id=organisation_id,
        names=translate.names(body.names),
        decision=translate.decision(body.decision),
    )
    return await w.execute(command)


@router.post(
    "/{organisation_id}/move",
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Move a branch, PPO or group under another parent",
)
async def move_organisation(
    organisation_id: UUID,
    body: api.MoveOrganisationRequest,
    w: Writer,
) -> Response:
    command = c.MoveOrganisation(
        actor=w.actor,
        idempotency=w.idempotency,
        organisation_id=organisation_id,
        to_parent_id=body.to_parent_id,
        decision=translate.decision(body.decision),
    )
    return await w.execute(command)


@router.post(
    "/{organisation_id}/dissolve",
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Dissolve an organisation with no members left",
)
async def dissolve_organisation(
    organisation_id: UUID,
    body: api.DissolveOrganisationRequest,
    w: Writer,
) -> Response:
    command = c.DissolveOrganisation(
        actor=w.actor,
        idempotency=w.idempotency,
        organisation_id=organisation_id,
        decision=translate.decision(body.decision),
    )
    return await w.execute(command)


@router.get(
    "",
    response_model=api.OrganisationPage,
    responses=READ_ERRORS,
    summary="List organisations, by kind and/or parent",
)
def list_organisations(
    request: Request,
    registry: Reader,
    kind: ContractKind | None = None,
    parent_id: UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    items, total = registry.queries.organisations(
        kind=None if kind is None else kind.value,
        parent_id=parent_id,
        limit=limit,
        offset=offset,
        within=scope_of(request).organisations,  # a clerk sees their part of the tree
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/{organisation_id}",
    response_model=api.OrganisationView,
    responses=READ_ERRORS,
    summary="One organisation",
)
def get_organisation(
    organisation_id: UUID,
    registry: Reader,
) -> dict[str, object]:
    return registry.queries.organisation(organisation_id)


@router.get(
    "/{organisation_id}/members",
    response_model=api.RollPage,
    responses=READ_ERRORS,
    summary="The organisation's direct members (its own roll), or its applicants",
)
def organisation_members(
    organisation_id: UUID,
    look: PersonalReader,
    status: Annotated[str, Query(pattern="^(member|applicant|rejected|former_member)$")] = "member",
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    items, total = look.registry.queries.organisation_members(
        organisation_id, status=status, limit=limit, offset=offset
    )
    look.looked_at((i["member_id"] for i in items), FULL_NAME, wait=False)
    return {
        "organisation_id": organisation_id,
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
    }
