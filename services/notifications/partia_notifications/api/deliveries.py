"""The delivery log over HTTP (issue 13 item 7): per member and per causing event, for auditors
(was the member told, when, in which language); a failed notice resent."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from psycopg.sql import SQL

from partia_kit.http.dependencies import COMMAND_OPENAPI
from partia_kit.http.problems import ApiProblem
from partia_kit.idempotency import IdempotencyKey, IdempotencyKeyReused
from partia_kit.postgres.statements import table
from partia_notifications.adapters.deliveries import FAILED
from partia_notifications.api.dependencies import Service, Writer
from partia_notifications.api.models import Deliveries, Delivery, Resent

router = APIRouter(tags=["deliveries"])
IDEMPOTENCY_TABLE = "notifications_idempotency"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such notice", "content": {"application/problem+json": {}}}
}


@router.get(
    "/members/{member_id}/deliveries",
    response_model=Deliveries,
    summary="Every notice caused for a member, and what became of each",
)
def member_deliveries(member_id: UUID, notifications: Service) -> dict[str, Any]:
    return {"items": notifications.deliveries.of_member(member_id)}


@router.get(
    "/events/{event_id}/deliveries",
    response_model=Deliveries,
    summary="The notices one integration event caused (by its event_id)",
)
def event_deliveries(event_id: str, notifications: Service) -> dict[str, Any]:
    return {"items": notifications.deliveries.of_event(event_id)}


@router.get(
    "/deliveries/{notice_id}",
    response_model=Delivery,
    responses=NOT_FOUND,
    summary="One notice and what became of it",
)
def delivery(notice_id: UUID, notifications: Service) -> dict[str, Any]:
    found = notifications.deliveries.one(notice_id)
    if found is None:
        raise _unknown(notice_id)
    return found


@router.post(
    "/deliveries/{notice_id}/resend",
    response_model=Resent,
    responses={
        **NOT_FOUND,
        409: {"description": "Not failed", "content": {"application/problem+json": {}}},
    },
    summary="Queue a failed notice again (attempts counted afresh)",
    description="Only a notice whose delivery failed; one that was sent, is queued, or was"
    " withheld (its person erased) is refused with 409, rule `notice-not-failed`. Needs an"
    " `Idempotency-Key`: a retry answers as the first time.",
    openapi_extra=COMMAND_OPENAPI,
)
def resend(notice_id: UUID, context: Writer) -> Response:
    notifications, key = context
    schema = notifications.settings.database_schema
    with notifications.pool.connection() as conn, conn.transaction():
        # taken first: a second request with the same key waits here for the first's outcome
        claimed = conn.execute(
            SQL(
                "INSERT INTO {} (actor, key, fingerprint, result) VALUES (%s, %s, %s, '{{}}')"
                " ON CONFLICT DO NOTHING"
            ).format(table(schema, IDEMPOTENCY_TABLE)),
            (key.actor, key.key, key.fingerprint),
        ).rowcount
        if not claimed:
            return _replay(conn, schema, key)
        before = notifications.deliveries.resend(conn, notice_id)
        if before is None:
            raise _unknown(notice_id)
        if before != FAILED:
            raise ApiProblem(
                409,
                "Notice not failed",
                f"notice {notice_id} is {before}: only a failed notice is resent",
                rule="notice-not-failed",
                field="notice_id",
            )
        result = {"notice_id": str(notice_id), "status": "queued"}
        conn.execute(
            SQL("UPDATE {} SET result = %s WHERE actor = %s AND key = %s").format(
                table(schema, IDEMPOTENCY_TABLE)
            ),
            (json.dumps(result), key.actor, key.key),
        )
    return Response(json.dumps(result), media_type="application/json")


def _replay(conn: Any, schema: str, key: IdempotencyKey) -> Response:
    row = conn.execute(
        SQL("SELECT fingerprint, result FROM {} WHERE actor = %s AND key = %s").format(
            table(schema, IDEMPOTENCY_TABLE)
        ),
        (key.actor, key.key),
    ).fetchone()
    if row is None or not key.same_request(row[0]):
        raise IdempotencyKeyReused(
            f"the Idempotency-Key {key.key!r} was used with a different request"
        )
    return Response(
        json.dumps(row[1]), media_type="application/json", headers={"Idempotent-Replayed": "true"}
    )


def _unknown(notice_id: UUID) -> ApiProblem:
    return ApiProblem(
        404, "Unknown notice", f"no notice {notice_id}", rule="unknown-notice", field="notice_id"
    )
