"""Every look at personal data on record, against a real server process over HTTP (issue 10 item
4): a registrar reads a member's record, a roll page and a roll export; the auditor finds each
read in the access log, and the member sees who looked at their data."""

from __future__ import annotations

import time
from typing import Any, cast

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from partia_registry.composition import ACCESS_LOG_TABLE
from partia_registry.settings import RegistrySettings
from tests.processes import served
from tests.registry.api.test_reports_api import party_with_members

pytestmark = pytest.mark.e2e

TOKENS = "registrar=registrar-e2e,auditor=auditor-e2e"


def access_log(auditor: httpx.Client, expected: int, **params: Any) -> list[dict[str, Any]]:
    """The auditor's query, once the batched records are written (they are written within
    milliseconds; the deadline only bounds a failure)."""
    deadline = time.monotonic() + 10
    while True:
        items: list[dict[str, Any]] = auditor.get("/access-log", params=params).json()["items"]
        if len(items) >= expected or time.monotonic() > deadline:
            return items
        time.sleep(0.05)


def test_each_read_of_personal_data_over_http_is_found_by_the_auditor_and_the_member(
    settings: RegistrySettings,
) -> None:
    with (
        served(settings, tokens=TOKENS) as base,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer registrar-e2e"}) as clerk,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer auditor-e2e"}) as auditor,
    ):
        ppo, members, positions = party_with_members(cast(TestClient, clerk), 2)
        roll = f"/organisations/{ppo}/roll"

        assert clerk.get(f"/members/{members[0]}").status_code == 200
        assert clerk.get(roll, params={"min_position": max(positions)}).status_code == 200
        assert clerk.get(roll, params={"format": "csv"}).status_code == 200

        items = access_log(auditor, 3, user="registrar")
        mine = clerk.get(f"/members/{members[1]}/access-log").json()["items"]

    assert [(i["operation"], sorted(i["member_ids"]), i["fields"]) for i in items] == [
        ("roll", sorted(members), ["full_name"]),  # the export
        ("roll", sorted(members), ["full_name"]),  # the page
        ("get_member", [members[0]], ["iin", "surname", "given_name", "address"]),
    ]
    assert [(m["user"], m["route"]) for m in mine] == [
        ("registrar", "GET /organisations/{organisation_id}/roll"),
        ("registrar", "GET /organisations/{organisation_id}/roll"),
    ]


def test_a_roll_page_read_just_before_the_server_stops_is_still_on_record(
    settings: RegistrySettings,
) -> None:
    with (
        served(settings, tokens=TOKENS) as base,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer registrar-e2e"}) as clerk,
    ):
        ppo, members, positions = party_with_members(cast(TestClient, clerk), 1)
        page = clerk.get(f"/organisations/{ppo}/roll", params={"min_position": max(positions)})
        assert page.status_code == 200
    # the server got SIGTERM right after answering: its queue is written as it stops

    with psycopg.connect(settings.database_url or "") as conn:
        rows = conn.execute(
            SQL("SELECT operation, member_ids FROM {}").format(
                Identifier(settings.database_schema, ACCESS_LOG_TABLE)
            )
        ).fetchall()
    assert [(op, [str(m) for m in ids]) for op, ids in rows] == [("roll", members)]
