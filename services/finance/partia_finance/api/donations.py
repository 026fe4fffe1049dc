"""Donations and return obligations over HTTP (issue 11 items 2-4): a treasurer records each
credit and sees it checked at once; the evidence that was missing; the settlement of what must go
back. Reads for the treasurer (their subtree) and the auditor (everything)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from partia_contracts.finance.api import (
    AddEvidenceRequest,
    AnnualStatement,
    DocumentRef,
    DonationList,
    DonationReceipt,
    DonationView,
    ErasureRequest,
    FindingRequest,
    OrganisationDeclarationsIn,
    OrganisationDonorIn,
    PersonDonorIn,
    ReceiveDonationRequest,
    SettlementRequest,
)
from partia_finance.api.access_log import PersonalReader
from partia_finance.api.dependencies import Reader, Writer
from partia_finance.application import commands as c
from partia_finance.domain.donors import (
    AnonymousDonor,
    Declarations,
    Donor,
    DonorPersonalData,
    ForeignEntityDonor,
    ForeignEntityKind,
    OrganisationDeclarations,
    OrganisationDonor,
    PersonDeclarations,
    PersonDonor,
)
from partia_finance.domain.evidence import Document, DocumentKind, Evidence
from partia_finance.domain.funds import FundKind, Purpose
from partia_finance.domain.money import Amount, PaymentChannel
from partia_kit.http.dependencies import COMMAND_OPENAPI
from partia_kit.http.problems import require_period_in_order

PERSONAL_FIELDS = ("iin", "surname", "given_name", "patronymic")
"""A person donor's personal data in a donation's view (`DonorPersonalData`)."""

router = APIRouter(tags=["donations"])


@router.post(
    "/donations",
    status_code=201,
    response_model=DonationReceipt,
    summary="Record a credit from the bank statement as a donation, checked at once by the rules"
    " in force (accepted, rejected with the rule and clause, or held for a missing declaration)",
    openapi_extra=COMMAND_OPENAPI,
)
async def receive_donation(body: ReceiveDonationRequest, context: Writer) -> Response:
    donor, personal = _donor(body.donor)
    command = c.ReceiveDonation(
        actor=context.actor,
        donation_id=uuid4(),
        amount=Amount(body.amount_tiyn, body.currency),
        credited_on=body.credited_on,
        bank_document=body.bank_document,
        organisation_id=body.organisation_id,
        purpose=Purpose(FundKind(body.purpose.kind), body.purpose.election),
        donor=donor,
        personal=personal,
        evidence=Evidence(tuple(_document(d) for d in body.evidence)),
        channel=PaymentChannel(body.channel),
        decided_on=body.decided_on,
    )
    return await context.execute(command, 201)


@router.post(
    "/donations/{donation_id}/evidence",
    response_model=DonationReceipt,
    summary="Add documents (the missing declaration) to an undecided donation; a held one is"
    " checked again",
    openapi_extra=COMMAND_OPENAPI,
)
async def add_evidence(donation_id: UUID, body: AddEvidenceRequest, context: Writer) -> Response:
    command = c.AddEvidence(
        actor=context.actor,
        donation_id=donation_id,
        documents=tuple(_document(d) for d in body.documents),
        declarations=None if body.declarations is None else _declarations(body.declarations),
        added_on=body.added_on,
    )
    return await context.execute(command)


@router.post(
    "/donations/{donation_id}/erasure",
    summary="Erase the donor's names and IIN once the retention period has ended (refused"
    " before, with the last day records must be kept); amounts, dates and decisions stay",
    openapi_extra=COMMAND_OPENAPI,
)
async def erase(donation_id: UUID, body: ErasureRequest, context: Writer) -> Response:
    command = c.EraseDonorData(
        actor=context.actor, donation_id=donation_id, erased_on=body.erased_on
    )
    return await context.execute(command)


@router.get(
    "/donations/{donation_id}",
    response_model=DonationView,
    summary="One donation: the donor (with personal data), the evidence, and every check and"
    " decision in order",
)
async def get_donation(donation_id: UUID, context: Reader, look: PersonalReader) -> Any:
    found = await run_in_threadpool(context.queries().donation, context.scope, donation_id)
    shown = [k for k in PERSONAL_FIELDS if found["donor"].get(k) is not None]
    if shown:  # a person's name and IIN: on the access log before they are sent (decision 247)
        await run_in_threadpool(look.looked_at, [donation_id], shown)
    return found


@router.get(
    "/donations",
    response_model=DonationList,
    summary="Donations credited in a period, by organisation and decision (no personal data)",
)
async def list_donations(
    context: Reader,
    first: date | None = Query(None, alias="from", description="credited on or after"),
    last: date | None = Query(None, alias="to", description="credited on or before"),
    organisation_id: UUID | None = None,
    decision: Literal["received", "held", "accepted", "rejected", "found_impermissible"]
    | None = None,
) -> Any:
    if first is not None and last is not None:
        require_period_in_order(first, last)
    items = await run_in_threadpool(
        context.queries().donations,
        context.scope,
        first=first,
        last=last,
        organisation_id=organisation_id,
        decision=decision,
    )
    return {"items": items}


@router.post(
    "/obligations/{obligation_id}/settlement",
    tags=["obligations"],
    summary="The money has gone back (or to the republican budget): the bank's payment reference",
    openapi_extra=COMMAND_OPENAPI,
)
async def settle(obligation_id: UUID, body: SettlementRequest, context: Writer) -> Response:
    command = c.SettleObligation(
        actor=context.actor,
        obligation_id=obligation_id,
        payment_reference=body.payment_reference,
        settled_on=body.settled_on,
    )
    return await context.execute(command)


@router.post(
    "/donations/{donation_id}/finding",
    response_model=DonationReceipt,
    summary="An accepted donation found to be from a prohibited source (a declaration was"
    " false): recorded as its own event, opening the return of what was accepted",
    openapi_extra=COMMAND_OPENAPI,
)
async def find_impermissible(donation_id: UUID, body: FindingRequest, context: Writer) -> Response:
    command = c.FindImpermissible(
        actor=context.actor,
        donation_id=donation_id,
        rule=body.rule,
        reason=body.reason,
        documents=tuple(_document(d) for d in body.documents),
        found_on=body.found_on,
    )
    return await context.execute(command)


def _donor(given: Any) -> tuple[Donor, DonorPersonalData | None]:
    if isinstance(given, PersonDonorIn):
        declared = PersonDeclarations(given.citizenship, given.receives_foreign_grants)
        personal = DonorPersonalData(given.iin, given.surname, given.given_name, given.patronymic)
        return PersonDonor(declared), personal
    if isinstance(given, OrganisationDonorIn):
        return OrganisationDonor(given.bin, given.name, _declarations(given)), None  # type: ignore[arg-type]
    if given.kind == "foreign_entity":
        return ForeignEntityDonor(given.name, ForeignEntityKind(given.entity), given.country), None
    return AnonymousDonor(), None


def _declarations(given: Any) -> Declarations:
    if isinstance(given, OrganisationDeclarationsIn | OrganisationDonorIn):
        return OrganisationDeclarations(
            given.foreign_participation,
            given.state_body_or_organisation,
            given.religious_association,
            given.charitable_organisation,
            given.receives_foreign_grants,
        )
    return PersonDeclarations(given.citizenship, given.receives_foreign_grants)


def _document(given: DocumentRef) -> Document:
    return Document(DocumentKind(given.kind), given.reference, given.sha256)


@router.get(
    "/reports/annual-statement",
    response_model=AnnualStatement,
    tags=["reports"],
    summary="Receipts of a year by fund and source (donor kind), as decided by a date: the"
    " annual statement for publication (Ch. 12.10); no donor is named",
)
async def annual_statement(context: Reader, year: int, as_of: date | None = None) -> Any:
    day = as_of or date.today()
    items = await run_in_threadpool(context.queries().annual_statement, context.scope, year, day)
    return {"year": year, "as_of": day, "items": items}
