"""Bank statement import over HTTP (issue 11 item 8): every credit becomes a received donation,
checked at once, or stays listed as unmatched; importing the same statement twice records nothing
twice."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from partia_contracts.finance.api import StatementImport, StatementRequest
from partia_finance.api.dependencies import Writer
from partia_finance.application.statements import (
    StatementLine,
    UnreadableLine,
    match_members,
    read_statement,
)
from partia_kit.batches import Outcome
from partia_kit.http.dependencies import COMMAND_OPENAPI
from partia_kit.http.problems import ApiProblem
from partia_kit.rules import NotFound, RuleViolation

router = APIRouter(tags=["statements"])


@router.post(
    "/statements",
    response_model=StatementImport,
    summary="Import a bank statement (CSV): each credit recorded and checked, or listed as"
    " unmatched; a second import of the same statement records nothing",
    openapi_extra=COMMAND_OPENAPI,
)
async def import_statement(body: StatementRequest, context: Writer) -> Any:
    try:
        lines = read_statement(body.csv, body.organisation_id, context.actor)
    except UnreadableLine as unreadable:
        raise ApiProblem(
            422, "Unreadable statement", str(unreadable), rule="statement-layout", field="csv"
        ) from None
    lines = await run_in_threadpool(match_members, lines, context.finance.members)
    outcomes = await asyncio.gather(
        *(context.outcome(line.command) for line in lines if line.command is not None)
    )
    decided = iter(outcomes)
    results = [_result(line, None if line.command is None else next(decided)) for line in lines]
    return {
        "recorded": sum(r["outcome"] not in ("already_imported", "unmatched") for r in results),
        "already_imported": sum(r["outcome"] == "already_imported" for r in results),
        "unmatched": sum(r["outcome"] == "unmatched" for r in results),
        "lines": results,
    }


def _result(line: StatementLine, outcome: Outcome | None) -> dict[str, Any]:
    if outcome is None:
        return {"line": line.line, "outcome": "unmatched", "rule": line.rule, "reason": line.reason}
    if isinstance(outcome.error, RuleViolation):
        return {
            "line": line.line,
            "outcome": "unmatched",
            "rule": outcome.error.rule,
            "reason": outcome.error.message,
        }
    if isinstance(outcome.error, NotFound):
        return {"line": line.line, "outcome": "unmatched", "reason": str(outcome.error)}
    if outcome.error is not None:
        raise outcome.error
    receipt = outcome.receipt or {}
    if "payment_id" in receipt:  # a dues payment of the member holding the card named
        return {
            "line": line.line,
            "outcome": "already_imported" if receipt.get("already_imported") else "dues_recorded",
            "member_id": receipt["member_id"],
            "payment_id": receipt["payment_id"],
        }
    status = "already_imported" if receipt.get("already_imported") else receipt["status"]
    return {
        "line": line.line,
        "outcome": status,
        "donation_id": receipt["donation_id"],
        "obligation_id": receipt.get("obligation_id"),
        "rule": receipt.get("rule"),
        "clause": receipt.get("clause"),
    }
