"""Residence changes, transfers, deputies' mandates, sanctions and appeals (Ch. 3.6-3.8, 5.1, 5.2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from partia_contracts.registry import api
from partia_kit.http.dependencies import COMMAND_OPENAPI
from partia_registry.api import translate
from partia_registry.api.access_log import FULL_NAME, PersonalReader
from partia_registry.api.dependencies import Reader, Writer
from partia_registry.api.parameters import Offset, limit
from partia_registry.api.responses import COMMAND_ERRORS, READ_ERRORS
from partia_registry.application import commands as c
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import TransferReason

router = APIRouter(tags=["transfers and discipline"])
_POST = {
    "response_model": api.MemberReceipt,
    "responses": COMMAND_ERRORS,
    "openapi_extra": COMMAND_OPENAPI,
}


@router.post(
    "/members/{member_id}/residence-changes",
    **_POST,  # type: ignore[arg-type]
    summary="Report a change of residence: opens the six-month clock (Ch. 5.2, 3.6)",
)
async def report_residence_change(
    member_id: UUID, body: api.ResidenceChangeRequest, w: Writer
) -> Response:
    return await w.execute(
        c.ReportResidenceChange(
            actor=w.actor, idempotency=w.idempotency, member_id=member_id, moved_on=body.moved_on
        )
    )


@router.post(
    "/members/{member_id}/transfer-request",
    **_POST,  # type: ignore[arg-type]
    summary="Ask for a transfer to another primary organisation",
)
async def request_transfer(member_id: UUID, body: api.TransferRequest, w: Writer) -> Response:
    return await w.execute(
        c.RequestTransfer(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            to_organisation_id=body.to_organisation_id,
            requested_on=body.requested_on,
            reason=TransferReason(body.reason.value),
        )
    )


@router.post(
    "/members/{member_id}/transfer",
    **_POST,  # type: ignore[arg-type]
    summary="The receiving organisation registers the member (and the sending one "
    "releases them in the same fact)",
)
async def register_transfer(
    member_id: UUID, body: api.TransferRegistrationRequest, w: Writer
) -> Response:
    return await w.execute(
        c.RegisterTransfer(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            decision=translate.decision(body.decision),
        )
    )


@router.post(
    "/members/{member_id}/mandates",
    **_POST,  # type: ignore[arg-type]
    summary="Record an elected mandate the member holds or held",
)
async def record_mandate(member_id: UUID, body: api.MandateRequest, w: Writer) -> Response:
    return await w.execute(
        c.RecordMandate(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            kind=MandateKind(body.kind.value),
            territory=body.territory,
            level=body.level,
            started_on=body.started_on,
            ended_on=body.ended_on,
        )
    )


@router.post(
    "/members/{member_id}/mandates/{mandate_id}/end",
    **_POST,  # type: ignore[arg-type]
    summary="Record the end of a mandate",
)
async def end_mandate(
    member_id: UUID, mandate_id: UUID, body: api.MandateEndRequest, w: Writer
) -> Response:
    return await w.execute(
        c.EndMandate(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            mandate_id=mandate_id,
            ended_on=body.ended_on,
        )
    )


@router.post(
    "/members/{member_id}/disciplinary-cases",
    **_POST,  # type: ignore[arg-type]
    summary="Open a disciplinary case (Ch. 3.8); transfers wait while it is open",
)
async def open_case(member_id: UUID, body: api.DisciplinaryCaseRequest, w: Writer) -> Response:
    return await w.execute(
        c.OpenDisciplinaryCase(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            opened_on=body.opened_on,
            reference=body.reference,
        )
    )


@router.post(
    "/members/{member_id}/disciplinary-cases/{case_id}/dismissal",
    **_POST,  # type: ignore[arg-type]
    summary="Close a disciplinary case without a sanction",
)
async def dismiss_case(
    member_id: UUID, case_id: UUID, body: api.CaseDismissalRequest, w: Writer
) -> Response:
    return await w.execute(
        c.DismissDisciplinaryCase(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            case_id=case_id,
            decision=translate.decision(body.decision),
        )
    )


@router.post(
    "/members/{member_id}/sanctions",
    **_POST,  # type: ignore[arg-type]
    summary="Impose a warning, reprimand or expulsion (Ch. 3.8; grounds Ch. 3.6)",
)
async def impose_sanction(member_id: UUID, body: api.SanctionRequest, w: Writer) -> Response:
    return await w.execute(
        c.ImposeSanction(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            kind=SanctionKind(body.kind.value),
            decision=translate.decision(body.decision),
            grounds=tuple(ExclusionGround(g.value) for g in body.grounds),
            other_ground=body.other_ground,
            case_id=body.case_id,
        )
    )


@router.post(
    "/members/{member_id}/sanctions/{sanction_id}/appeals",
    **_POST,  # type: ignore[arg-type]
    summary="Appeal a sanction to a higher body, within three months (Ch. 5.1)",
)
async def file_appeal(
    member_id: UUID, sanction_id: UUID, body: api.AppealRequest, w: Writer
) -> Response:
    return await w.execute(
        c.FileAppeal(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            sanction_id=sanction_id,
            filed_on=body.filed_on,
            body=translate.body(body.body),
            document_reference=body.document_reference,
        )
    )


@router.post(
    "/members/{member_id}/sanctions/{sanction_id}/appeal-decision",
    **_POST,  # type: ignore[arg-type]
    summary="Record the appeal's outcome: upheld, annulled, or replaced by a milder one",
)
async def decide_appeal(
    member_id: UUID, sanction_id: UUID, body: api.AppealDecisionRequest, w: Writer
) -> Response:
    return await w.execute(
        c.DecideAppeal(
            actor=w.actor,
            idempotency=w.idempotency,
            member_id=member_id,
            sanction_id=sanction_id,
            outcome=AppealOutcome(body.outcome.value),
            decision=translate.decision(body.decision),
            replacement=None if body.replacement is None else SanctionKind(body.replacement.value),
        )
    )


Limit = Annotated[int, limit(1000)]
"""A page of a list (paging caps: issue 10, decision 159)."""


@router.get(
    "/organisations/{organisation_id}/overdue-residence",
    response_model=api.OverdueResidencePage,
    responses=READ_ERRORS,
    summary="Members whose six months to register a move ran out (Ch. 3.6)",
)
def overdue_residence(
    organisation_id: UUID,
    look: PersonalReader,
    on: Annotated[date | None, Query()] = None,
    subtree: Annotated[bool, Query(description="include every organisation below it")] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    day = on or date.today()
    items = look.registry.queries.overdue_residence(
        organisation_id, day, subtree=subtree, limit=limit, offset=offset
    )
    look.looked_at((i["member_id"] for i in items), FULL_NAME, wait=False)
    return {
        "organisation_id": organisation_id,
        "on": day,
        "subtree": subtree,
        "limit": limit,
        "offset": offset,
        "items": items,
    }


@router.get(
    "/organisations/{organisation_id}/disciplinary-cases",
    response_model=api.CasePage,
    responses=READ_ERRORS,
    summary="Disciplinary cases of the organisation's members",
)
def disciplinary_cases(
    organisation_id: UUID,
    registry: Reader,
    open_only: bool = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    return {
        "organisation_id": organisation_id,
        "limit": limit,
        "offset": offset,
        "items": registry.queries.disciplinary_cases(
            organisation_id, open_only=open_only, limit=limit, offset=offset
        ),
    }


@router.get(
    "/organisations/{organisation_id}/sanctions",
    response_model=api.SanctionPage,
    responses=READ_ERRORS,
    summary="Sanctions decided for the organisation's members, each with its appeal deadline",
)
def sanctions(
    organisation_id: UUID,
    registry: Reader,
    pending_appeals_only: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    return {
        "organisation_id": organisation_id,
        "limit": limit,
        "offset": offset,
        "items": registry.queries.sanctions(
            organisation_id, pending_appeals_only=pending_appeals_only, limit=limit, offset=offset
        ),
    }
