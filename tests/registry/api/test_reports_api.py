"""Rolls, the structure report, the read model and the event feed over HTTP."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
import time
import uuid
from datetime import date
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from partia_contracts.registry import api
from partia_registry.api.app import create_app
from partia_registry.settings import RegistrySettings
from tests.registry.builders import ASTANA_ID, make_iin


def post(client: TestClient, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def decision(kind: str, organisation: Any, on: str) -> dict[str, Any]:
    return {
        "body": {"kind": kind, "organisation_id": str(organisation)},
        "decided_on": on,
        "reference": "Minutes",
    }


def party_with_members(client: TestClient, n: int) -> tuple[str, list[str], list[int]]:
    names = {"kk": "k", "ru": "r", "en": "Yesil"}
    district = post(
        client,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": str(ASTANA_ID),
            "names": names,
            "decision": decision("branch_bureau", ASTANA_ID, "2024-01-01"),
        },
    ).json()["organisation_id"]
    ppo = post(
        client,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": district,
            "names": {**names, "en": "PPO"},
            "decision": decision("branch_bureau", district, "2024-01-02"),
        },
    ).json()["organisation_id"]
    members, positions = [], []
    for i in range(n):
        member = post(
            client,
            "/applications",
            {
                "organisation_id": ppo,
                "person": {
                    "iin": make_iin(date(1970 + i, 1, 1)),
                    "surname": f"Surname{i}",
                    "given_name": "Name",
                    "address": "Astana",
                },
                "declarations": {"citizenship": "KZ", "member_of_another_party": False},
                "application_document": {
                    "form": "paper",
                    "reference": "A",
                    "signed_on": "2025-01-01",
                },
            },
        ).json()["member_id"]
        admitted = post(
            client,
            f"/members/{member}/admission",
            {"decision": decision("ppo_meeting", ppo, f"2025-0{1 + i}-15")},
        ).json()
        members.append(member)
        positions.extend(admitted["positions"])
    return ppo, members, positions


def test_a_roll_on_a_past_date_reads_its_own_writes_and_exports_csv(client: TestClient) -> None:
    ppo, members, positions = party_with_members(client, 3)
    latest = max(positions)

    today = client.get(f"/organisations/{ppo}/roll", params={"min_position": latest}).json()
    february = client.get(
        f"/organisations/{ppo}/roll", params={"on": "2025-02-20", "min_position": latest}
    ).json()
    exported = client.get(f"/organisations/{ppo}/roll", params={"format": "csv", "sort": "name"})

    assert today["total"] == 3
    assert {i["member_id"] for i in february["items"]} == set(members[:2])
    page = api.RollOnDate.model_validate(february)  # the documented shape
    assert (page.on, page.total, page.items[0].full_name) == (date(2025, 2, 20), 2, "Surname0 Name")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["full_name"] for r in rows] == [f"Surname{i} Name" for i in range(3)]


def test_the_structure_report_in_json_and_csv(client: TestClient) -> None:
    _, _, positions = party_with_members(client, 2)
    report = client.get("/reports/structure", params={"min_position": max(positions)}).json()
    table = client.get("/reports/structure", params={"format": "csv"})

    assert report["members"] == 2
    assert report["thresholds"]["party_meets_minimum"] is False
    assert len(report["thresholds"]["regional_branches_short"]) == 20
    assert "regional_branch" in table.text


def test_the_read_model_reports_its_lag_and_rebuilds_on_request(client: TestClient) -> None:
    party_with_members(client, 1)
    status = client.get("/read-model").json()
    assert status["head"] >= status["position"] >= 0

    started = post(client, "/read-model/rebuild")
    assert started.status_code == 202
    deadline = time.monotonic() + 20
    while client.get("/read-model").json()["generation"] == status["generation"]:
        assert time.monotonic() < deadline, "the rebuild did not finish"
        time.sleep(0.1)
    assert client.get("/reports/structure").json()["members"] == 1


def test_the_event_feed_pages_through_the_whole_history_without_personal_data(
    client: TestClient,
) -> None:
    _, members, _ = party_with_members(client, 2)
    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.get("/events", params={"after": after, "limit": 7}).json()
        if not page["items"]:
            break
        seen.extend(page["items"])
        after = page["next_after"]
    positions = [e["position"] for e in seen]

    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert {
        e["aggregate_id"] for e in seen if e["event_type"] == "registry.member.admitted"
    } == set(members)
    assert "Surname0" not in str(seen)


def test_the_roll_of_an_unknown_organisation_is_not_found(client: TestClient) -> None:
    response = client.get(f"/organisations/{uuid.uuid4()}/roll")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_failed_rebuild_is_reported_with_its_reason_and_reads_stay_on_the_old_generation(
    client: TestClient, settings: RegistrySettings
) -> None:
    party_with_members(client, 1)
    before = client.get("/read-model").json()
    assert before["last_failure"] is None
    # Something in the way of the next generation's scratch table makes the rebuild fail.
    assert settings.database_url is not None
    blocker = Identifier(settings.database_schema, f"rm{before['generation'] + 1}_steps")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE VIEW {} AS SELECT 1 AS x").format(blocker))

    assert post(client, "/read-model/rebuild").status_code == 202
    deadline = time.monotonic() + 20
    while (status := client.get("/read-model").json())["last_failure"] is None:
        assert time.monotonic() < deadline, f"no failure reported: {status}"
        time.sleep(0.1)

    failure = status["last_failure"]
    assert "is not a table" in failure["reason"]
    assert failure["generation"] == before["generation"] + 1
    assert status["last_rebuild"]["outcome"] == "failed"
    assert status["rebuilding"] is None
    assert status["generation"] == before["generation"]
    assert client.get("/reports/structure").json()["members"] == 1


def test_movements_read_your_own_writes_with_min_position(client: TestClient) -> None:
    registry = client.app.state.registry  # type: ignore[attr-defined]
    party_with_members(client, 1)
    registry.projection.stop()  # the read model falls behind
    _, _, positions = party_with_members(client, 1)
    threading.Timer(0.3, registry.projection.start).start()

    period = {"from": "2025-01-01", "to": "2025-12-31", "min_position": max(positions)}
    answer = client.get("/reports/movements", params=period)

    assert answer.status_code == 200
    assert answer.json()["admissions"] == 2


def test_a_roll_larger_than_the_name_sort_limit_is_refused_by_name_but_not_by_card(
    settings: RegistrySettings,
) -> None:
    """Sorting by name opens every name on the roll in the API process: above the configured
    limit it is a clear 422 naming `sort`, while a smaller roll and other sorts still answer."""
    limited = settings.model_copy(update={"name_sort_limit": 2})
    with TestClient(create_app(limited)) as client:
        client.headers["Authorization"] = "Bearer registrar-token"
        ppo, _, positions = party_with_members(client, 3)
        ask = {"min_position": max(positions), "sort": "name"}

        refused = client.get(f"/organisations/{ppo}/roll", params=ask)
        by_card = client.get(f"/organisations/{ppo}/roll", params={**ask, "sort": "card_number"})
        earlier_roll = client.get(f"/organisations/{ppo}/roll", params={**ask, "on": "2025-02-20"})

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (problem["field"], problem["rule"]) == ("sort", "name-sort-limit")
    assert "2 members" in problem["detail"]
    assert by_card.json()["total"] == 3
    assert earlier_roll.status_code == 200  # two members on that day: within the limit
    assert earlier_roll.json()["total"] == 2


def _reads_on_the_event_loop(client: TestClient, params: dict[str, Any], ppo: str) -> bool:
    """Whether the registry read this roll in the event loop's own thread (decision 125)."""
    reports = client.app.state.registry.reports  # type: ignore[attr-defined]
    seen: list[bool] = []

    def watching(original: Any) -> Any:
        def watched(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                seen.append(True)
            except RuntimeError:  # a pool thread runs no loop
                seen.append(False)
            return original(*args, **kwargs)

        return watched

    reports.roll, reports.roll_export = watching(reports.roll), watching(reports.roll_export)
    try:
        assert client.get(f"/organisations/{ppo}/roll", params=params).status_code == 200
    finally:
        del reports.roll, reports.roll_export
    assert seen, "the roll was not read"
    return seen == [True]


def test_a_page_of_todays_roll_is_read_without_leaving_the_event_loop(
    client: TestClient,
) -> None:
    ppo, _, positions = party_with_members(client, 2)
    assert (
        client.get(f"/organisations/{ppo}/roll", params={"min_position": max(positions)}).json()[
            "total"
        ]
        == 2
    )

    assert _reads_on_the_event_loop(client, {}, ppo)
    assert _reads_on_the_event_loop(client, {"limit": 100, "offset": 1}, ppo)


def test_long_roll_reads_go_to_a_thread_and_leave_the_event_loop_free(
    client: TestClient,
) -> None:
    # (a read-your-writes wait, `min_position`, is awaited on the loop without holding it:
    # tests/e2e/test_abuse.py; the page after it is an ordinary read)
    ppo, _, _ = party_with_members(client, 1)
    for params in (
        {"format": "csv"},
        {"limit": 101},
        {"sort": "name"},
        {"subtree": True},
        {"on": "2025-06-01"},
    ):
        assert not _reads_on_the_event_loop(client, params, ppo), params
