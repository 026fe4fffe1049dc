"""/organisations: the party's tree."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from partia_contracts.registry import api
from partia_contracts.registry.v1 import OrganisationKind as ContractKind
from partia_registry.api import translate
from partia_registry.api.dependencies import ActorDep, IdempotencyDep, RegistryDep, execute
from partia_registry.api.responses import COMMAND_ERRORS, READ_ERRORS
from partia_registry.application import commands as c
from partia_registry.domain.organisations import OrganisationKind

router = APIRouter(prefix="/organisations", tags=["organisations"])

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    summary="Found an organisation under an existing one",
)
async def create_organisation(
    body: api.CreateOrganisationRequest,
    registry: RegistryDep,
    actor: ActorDep,
    key: IdempotencyDep,
) -> Response:
    command = c.CreateOrganisation(
        actor=actor,
        idempotency=key,
        kind=OrganisationKind(body.kind.value),
        parent_id=body.parent_id,
        names=translate.names(body.names),
        decision=translate.decision(body.decision),
        code=body.code,
    )
    return await execute(registry, command, status.HTTP_201_CREATED)


@router.post(
    "/{organisation_id}/rename",
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    summary="Rename an organisation (all three languages)",
)
async def rename_organisation(
    organisation_id: UUID,
    body: api.RenameOrganisationRequest,
    registry: RegistryDep,
    actor: ActorDep,
    key: IdempotencyDep,
) -> Response:
    command = c.RenameOrganisation(
        actor=actor,
        idempotency=key,
        organisation_id=organisation_id,
        names=translate.names(body.names),
        decision=translate.decision(body.decision),
    )
    return await execute(registry, command)


@router.post(
    "/{organisation_id}/move",
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    summary="Move a branch, PPO or group under another parent",
)
async def move_organisation(
    organisation_id: UUID,
    body: api.MoveOrganisationRequest,
    registry: RegistryDep,
    actor: ActorDep,
    key: IdempotencyDep,
) -> Response:
    command = c.MoveOrganisation(
        actor=actor,
        idempotency=key,
        organisation_id=organisation_id,
        to_parent_id=body.to_parent_id,
        decision=translate.decision(body.decision),
    )
    return await execute(registry, command)


@router.post(
    "/{organisation_id}/dissolve",
    response_model=api.OrganisationReceipt,
    responses=COMMAND_ERRORS,
    summary="Dissolve an organisation with no members left",
)
async def dissolve_organisation(
    organisation_id: UUID,
    body: api.DissolveOrganisationRequest,
    registry: RegistryDep,
    actor: ActorDep,
    key: IdempotencyDep,
) -> Response:
    command = c.DissolveOrganisation(
        actor=actor,
        idempotency=key,
        organisation_id=organisation_id,
        decision=translate.decision(body.decision),
    )
    return await execute(registry, command)


@router.get(
    "",
    response_model=api.OrganisationPage,
    responses=READ_ERRORS,
    summary="List organisations, by kind and/or parent",
)
def list_organisations(
    registry: RegistryDep,
    _: ActorDep,
    kind: ContractKind | None = None,
    parent_id: UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    items, total = registry.queries.organisations(
        kind=None if kind is None else kind.value, parent_id=parent_id, limit=limit, offset=offset
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/{organisation_id}",
    response_model=api.OrganisationView,
    responses=READ_ERRORS,
    summary="One organisation",
)
def get_organisation(
    organisation_id: UUID, registry: RegistryDep, _: ActorDep
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
    registry: RegistryDep,
    _: ActorDep,
    status: Annotated[str, Query(pattern="^(member|applicant|rejected|former_member)$")] = "member",
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    items, total = registry.queries.organisation_members(
        organisation_id, status=status, limit=limit, offset=offset
    )
    return {
        "organisation_id": organisation_id,
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
    }
