"""/applications and /members: the membership lifecycle (Ch. 3)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from partia_contracts.registry import api
from partia_kit.http.dependencies import COMMAND_OPENAPI, idempotency_key
from partia_kit.http.problems import ApiProblem
from partia_kit.iin import IIN, InvalidIIN
from partia_registry.api import translate
from partia_registry.api.access_log import (
    CONTACT_FIELDS,
    PersonalReader,
    history_fields,
    person_fields,
)
from partia_registry.api.dependencies import Writer
from partia_registry.api.responses import (
    COMMAND_ERRORS,
    GONE,
    READ_ERRORS,
    created,
    with_location,
)
from partia_registry.application import commands as c
from partia_registry.domain.members import TerminationGround
from partia_registry.domain.people import Language

router = APIRouter(tags=["membership"])


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=api.MemberReceipt,
    responses={**COMMAND_ERRORS, **created("the applicant's record")},
    openapi_extra=COMMAND_OPENAPI,
    summary="Submit a written application to join (Ch. 3.4)",
)
async def submit_application(
    body: api.ApplicationRequest,
    w: Writer,
) -> Response:
    command = c.SubmitApplication(
        actor=w.actor,
        idempotency=w.idempotency,
        organisation_id=body.organisation_id,
        person=translate.person(body.person),
        declarations=translate.declarations(body.declarations),
        application_document=translate.document(body.application_document),
    )
    receipt = await w.execute(command, status.HTTP_201_CREATED)
    return with_location(receipt, "/members/{member_id}")


@router.post(
    "/members/{member_id}/admission",
    response_model=api.MemberReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Admit an applicant by decision of a competent body (Ch. 3.4); issues the card",
)
async def admit_member(
    member_id: UUID,
    body: api.AdmissionRequest,
    w: Writer,
) -> Response:
    command = c.AdmitMember(
        actor=w.actor,
        idempotency=w.idempotency,
        member_id=member_id,
        decision=translate.decision(body.decision),
    )
    return await w.execute(command)


@router.post(
    "/members/{member_id}/rejection",
    response_model=api.MemberReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Reject an application (Ch. 3.4)",
)
async def reject_application(
    member_id: UUID,
    body: api.RejectionRequest,
    w: Writer,
) -> Response:
    command = c.RejectApplication(
        actor=w.actor,
        idempotency=w.idempotency,
        member_id=member_id,
        decision=translate.decision(body.decision),
        reason=body.reason,
    )
    return await w.execute(command)


@router.post(
    "/members/{member_id}/withdrawal",
    response_model=api.MemberReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Record a member's withdrawal on their written application (Ch. 3.6, 5.1)",
)
async def withdraw_member(
    member_id: UUID,
    body: api.WithdrawalRequest,
    w: Writer,
) -> Response:
    document = translate.document(body.application_document)
    command = c.WithdrawMember(
        actor=w.actor,
        idempotency=w.idempotency,
        member_id=member_id,
        application_document=document,
        effective_on=body.effective_on or document.signed_on,
        decision=translate.decision(body.decision),
    )
    return await w.execute(command)


@router.post(
    "/members/{member_id}/termination",
    response_model=api.MemberReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="End membership on a non-disciplinary ground of Ch. 3.6 (decided per Ch. 3.7)",
)
async def terminate_membership(
    member_id: UUID,
    body: api.TerminationRequest,
    w: Writer,
) -> Response:
    command = c.TerminateMembership(
        actor=w.actor,
        idempotency=w.idempotency,
        member_id=member_id,
        ground=TerminationGround(body.ground.value),
        decision=translate.decision(body.decision),
    )
    return await w.execute(command)


@router.post(
    "/members/{member_id}/erasure",
    response_model=api.MemberReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Erase a former member's or rejected applicant's personal data",
)
async def erase_personal_data(
    member_id: UUID,
    body: api.ErasureRequest,
    w: Writer,
) -> Response:
    command = c.ErasePersonalData(
        actor=w.actor,
        idempotency=w.idempotency,
        member_id=member_id,
        legal_basis=body.legal_basis,
        request_reference=body.request_reference,
    )
    return await w.execute(command)


@router.post(
    "/members/{member_id}/preferred-language",
    response_model=api.MemberReceipt,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Set the language a person's notices are written in (kk, ru or en)",
    description="A clerk on the person's request, or the member for themselves. The language is "
    "kept sealed with the person's other personal data and erased with it; a person whose data "
    "was erased has none to set (409, rule `personal-data-erased`). Setting the language already "
    "kept records nothing.",
)
async def change_preferred_language(
    member_id: UUID,
    body: api.PreferredLanguageRequest,
    w: Writer,
) -> Response:
    command = c.ChangePreferredLanguage(
        actor=w.actor,
        idempotency=w.idempotency,
        member_id=member_id,
        language=Language(body.preferred_language.value),
    )
    return await w.execute(command)


@router.get(
    "/members/{member_id}",
    response_model=api.MemberView,
    responses=READ_ERRORS,
    summary="A member's (or applicant's) current state",
)
def get_member(
    member_id: UUID,
    look: PersonalReader,
) -> dict[str, object]:
    view = look.registry.queries.member(member_id)
    person = view["person"]
    look.looked_at(
        [member_id], person_fields(person if isinstance(person, dict) else None), wait=True
    )
    return view


@router.get(
    "/members/{member_id}/history",
    response_model=api.MemberHistory,
    responses=READ_ERRORS,
    summary="Every event of a member's record, with business date and recorded time",
)
def member_history(
    member_id: UUID,
    look: PersonalReader,
) -> dict[str, object]:
    events = look.registry.queries.member_history(member_id)
    look.looked_at([member_id], history_fields(events), wait=True)
    return {"member_id": member_id, "events": events}


@router.get(
    "/members/{member_id}/contact",
    response_model=api.MemberContact,
    responses={**READ_ERRORS, **GONE},
    summary="How to reach a person (name, email, phone): for the notifications service",
    description="Only the notifications service's account may ask (permission "
    "`read-member-contact`); each answer is on the access log. A person whose personal data was "
    "erased has no contact left: 410, rule `personal-data-erased`.",
)
def member_contact(
    member_id: UUID,
    look: PersonalReader,
) -> dict[str, object]:
    view = look.registry.queries.member(member_id)
    person = view["person"]
    if not isinstance(person, dict):
        raise ApiProblem(
            410,
            "Personal data erased",
            f"member {member_id}'s personal data was erased: there is nobody to write to",
            rule="personal-data-erased",
        )
    contact = {
        "member_id": member_id,
        "status": view["status"],
        "full_name": " ".join(
            str(person[part])
            for part in ("surname", "given_name", "patronymic")
            if person.get(part)
        ),
        "email": person.get("email"),
        "phone": person.get("phone"),
        "preferred_language": person.get("preferred_language")
        or look.registry.settings.default_language,
        "language_stated": person.get("preferred_language") is not None,
    }
    look.looked_at([member_id], CONTACT_FIELDS, wait=True)
    return contact


@router.post(
    "/members/lookup",
    response_model=api.MemberLookup,
    responses=COMMAND_ERRORS,
    openapi_extra=COMMAND_OPENAPI,
    summary="Whose record holds an IIN: for the finance service, matching a dues credit",
    description="Only the finance service's account may ask (permission `find-member-by-iin`); "
    "the IIN goes in the body so that no URL carries it, and the answer is the record's id and "
    "status, nothing else of the person. An IIN that is not valid: 422, rule `iin-invalid`; one "
    "no record holds (or whose holder's personal data was erased): 404. Each answer is on the "
    "access log. The lookup records nothing; the Idempotency-Key is asked for as on every POST "
    "(decision 296).",
)
async def find_member_by_iin(
    body: api.MemberLookupRequest, request: Request, look: PersonalReader
) -> dict[str, object]:
    await idempotency_key(request, look.reading.user, look.registry.store.request_fingerprint)
    try:
        iin = IIN.parse(body.iin)
    except InvalidIIN as invalid:
        raise ApiProblem(
            422,
            "Invalid request",
            f"iin: the IIN is not valid: {invalid.reason}",
            rule="iin-invalid",
            field="iin",
        ) from None
    found = await run_in_threadpool(look.registry.queries.member_with_iin, iin.value)
    if found is None:
        raise ApiProblem(
            404, "Not found", "no record holds this IIN", rule="not-found", field="iin"
        )
    await run_in_threadpool(look.looked_at, [found["member_id"]], ("iin",), wait=True)
    return {"member_id": found["member_id"], "status": found["status"]}
