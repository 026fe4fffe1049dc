"""Every look at personal data on record (issue 10 item 4): each read that returns names, IINs,
addresses or contacts leaves one record of who read whose data, which fields, through which
operation; an auditor queries it per person and per user, a member asks who looked at theirs."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from partia_contracts.registry import api
from partia_registry.api.access_log import personal_read
from partia_registry.composition import ACCESS_LOG_TABLE, Registry
from tests.registry.api.test_http_api import application, decision, make_ppo, post
from tests.registry.api.test_reports_api import party_with_members
from tests.registry.builders import make_iin

ROLL = "GET /organisations/{organisation_id}/roll"


@pytest.fixture
def auditor(client: TestClient) -> TestClient:
    """The same running service as `client` (the registrar's), with the auditor's token."""
    other = TestClient(client.app)
    other.headers["Authorization"] = "Bearer auditor-token"
    return other


def log_of(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """The access log as the auditor's query answers it, after what is queued is written."""
    registry(client).access_log.flush()
    response = client.get("/access-log", params=params)
    assert response.status_code == 200, response.text
    return [
        {**i, "member_ids": sorted(i["member_ids"])}
        for i in api.AccessLogPage.model_validate(response.json()).model_dump(mode="json")["items"]
    ]


def registry(client: TestClient) -> Registry:
    app: Any = client.app
    return app.state.registry  # type: ignore[no-any-return]


def entry(items: list[dict[str, Any]]) -> tuple[Any, ...]:
    assert len(items) == 1, items
    [i] = items
    return (i["user"], i["operation"], i["route"], i["member_ids"], i["fields"])


def test_writes_and_reads_without_personal_data_leave_no_record(client: TestClient) -> None:
    ppo, _, positions = party_with_members(client, 2)
    client.get("/reports/structure", params={"min_position": max(positions)})
    client.get("/events")
    client.get(f"/organisations/{ppo}")
    client.get(f"/members/{uuid.uuid4()}")  # 404: nothing was shown

    assert log_of(client) == []


def test_reading_a_members_record_records_the_reader_the_member_and_the_fields_shown(
    client: TestClient,
) -> None:
    member = post(client, "/applications", application(make_ppo(client))).json()["member_id"]

    assert client.get(f"/members/{member}").status_code == 200

    assert entry(log_of(client)) == (
        "registrar",
        "get_member",
        "GET /members/{member_id}",
        [member],
        ["iin", "surname", "given_name", "address", "phone"],  # no patronymic, no e-mail given
    )


def test_reading_a_members_history_is_recorded_as_its_own_operation(client: TestClient) -> None:
    member = post(client, "/applications", application(make_ppo(client))).json()["member_id"]

    assert client.get(f"/members/{member}/history").status_code == 200

    [record] = log_of(client)
    assert (record["operation"], record["route"]) == (
        "member_history",
        "GET /members/{member_id}/history",
    )
    assert (record["member_ids"], "iin" in record["fields"]) == ([member], True)


def test_a_roll_page_with_names_records_each_member_on_the_page_and_no_other(
    client: TestClient,
) -> None:
    ppo, _, positions = party_with_members(client, 3)

    page = client.get(
        f"/organisations/{ppo}/roll", params={"limit": 2, "min_position": max(positions)}
    ).json()

    shown = sorted(i["member_id"] for i in page["items"])
    assert len(shown) == 2
    assert entry(log_of(client)) == ("registrar", "roll", ROLL, shown, ["full_name"])


def test_a_roll_exported_as_csv_records_every_member_in_the_file(client: TestClient) -> None:
    ppo, members, positions = party_with_members(client, 3)
    registry(client).read_model.wait_for(max(positions), timeout=10)

    exported = client.get(f"/organisations/{ppo}/roll", params={"format": "csv"})

    in_file = sorted(r["member_id"] for r in csv.DictReader(io.StringIO(exported.text)))
    assert in_file == sorted(members)
    # stored before the file was sent, without waiting for a batch (decision 151)
    rows = _table(registry(client))
    assert [(r["operation"], sorted(map(str, r["member_ids"]))) for r in rows] == [
        ("roll", in_file)
    ]


def test_an_organisations_member_list_and_overdue_registrations_record_the_names_shown(
    client: TestClient,
) -> None:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    post(client, f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo)})
    post(client, f"/members/{member}/residence-changes", {"moved_on": "2026-03-20"})

    client.get(f"/organisations/{ppo}/members")
    client.get(f"/organisations/{ppo}/overdue-residence", params={"on": "2026-10-01"})
    client.get(f"/organisations/{ppo}/members", params={"status": "applicant"})  # nobody

    assert sorted(
        (r["operation"], r["route"], r["member_ids"], r["fields"]) for r in log_of(client)
    ) == [
        (
            "organisation_members",
            "GET /organisations/{organisation_id}/members",
            [member],
            ["full_name"],
        ),
        (
            "overdue_residence",
            "GET /organisations/{organisation_id}/overdue-residence",
            [member],
            ["full_name"],
        ),
    ]


def test_erasing_a_person_leaves_the_log_as_it_was_and_it_never_held_their_data(
    client: TestClient, auditor: TestClient
) -> None:
    ppo = make_ppo(client)
    iin = make_iin(datetime(1985, 5, 5).date())
    member = post(client, "/applications", application(ppo, iin)).json()["member_id"]
    client.get(f"/members/{member}")
    before = log_of(auditor, member_id=member)
    post(
        client,
        f"/members/{member}/rejection",
        {"decision": decision("ppo_bureau", ppo), "reason": "unsigned"},
    )
    erased = post(
        client, f"/members/{member}/erasure", {"legal_basis": "Art. 18", "request_reference": "R"}
    )
    assert erased.status_code == 200, erased.text

    client.get(f"/members/{member}")  # nothing personal left to show: no new record

    assert log_of(auditor, member_id=member) == before
    assert len(before) == 1
    stored = " ".join(str(r) for r in _table(registry(client)))
    for personal in (iin, "Nurlanov", "Arman", "Astana", "+7701"):
        assert personal not in stored


def test_the_auditor_queries_by_person_by_user_and_period_in_pages(
    client: TestClient, auditor: TestClient
) -> None:
    ppo = make_ppo(client)
    alma = post(client, "/applications", application(ppo)).json()["member_id"]
    bolat = post(
        client, "/applications", application(ppo, make_iin(datetime(1991, 2, 2).date()))
    ).json()["member_id"]
    started = datetime.now(UTC)
    client.get(f"/members/{alma}")
    client.get(f"/members/{bolat}")
    auditor.get(f"/members/{bolat}")

    assert [r["user"] for r in log_of(auditor, member_id=bolat)] == ["auditor", "registrar"]
    assert [r["member_ids"] for r in log_of(auditor, user="registrar")] == [[bolat], [alma]]
    assert log_of(auditor, user="nobody") == []
    assert len(log_of(auditor, **{"from": started.isoformat()})) == 3
    later = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    assert log_of(auditor, **{"from": later}) == []
    page = auditor.get("/access-log", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"]), page["items"][0]["member_ids"]) == (3, 1, [alma])


def test_a_reversed_period_and_an_oversized_page_are_refused_naming_the_parameter(
    auditor: TestClient,
) -> None:
    reversed_ = auditor.get(
        "/access-log", params={"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
    )
    oversized = auditor.get("/access-log", params={"limit": 100_000})

    assert (reversed_.status_code, reversed_.json()["field"]) == (422, "to")
    assert (oversized.status_code, oversized.json()["field"]) == (422, "limit")


def test_a_member_sees_who_looked_at_their_data_but_not_whom_else_the_read_showed(
    client: TestClient, auditor: TestClient
) -> None:
    ppo, members, positions = party_with_members(client, 2)
    registry(client).read_model.wait_for(max(positions), timeout=10)
    client.get(f"/organisations/{ppo}/roll")
    auditor.get(f"/members/{members[0]}")
    registry(client).access_log.flush()

    answer = client.get(f"/members/{members[0]}/access-log")

    page = api.MemberAccessLogPage.model_validate(answer.json())
    assert [(e.user, e.operation, e.fields) for e in page.items] == [
        ("auditor", "get_member", ["iin", "surname", "given_name", "address"]),
        ("registrar", "roll", ["full_name"]),
    ]
    assert "member_ids" not in answer.text
    assert client.get(f"/members/{uuid.uuid4()}/access-log").status_code == 404


def test_a_members_record_is_not_sent_when_its_reading_cannot_be_put_on_record(
    client: TestClient,
) -> None:
    member = post(client, "/applications", application(make_ppo(client))).json()["member_id"]
    reg = registry(client)
    with psycopg.connect(reg.settings.database_url or "", autocommit=True) as conn:
        conn.execute(
            SQL("ALTER TABLE {} RENAME TO gone").format(
                Identifier(reg.store.schema, ACCESS_LOG_TABLE)
            )
        )

        refused = client.get(f"/members/{member}")

        conn.execute(
            SQL("ALTER TABLE {} RENAME TO {}").format(
                Identifier(reg.store.schema, "gone"), Identifier(ACCESS_LOG_TABLE)
            )
        )
    assert refused.status_code == 503
    assert refused.json()["rule"] == "access-log-unavailable"
    assert "Nurlanov" not in refused.text


def _table(registry: Registry) -> list[dict[str, Any]]:
    with psycopg.connect(
        registry.settings.database_url or "", row_factory=psycopg.rows.dict_row
    ) as conn:
        return conn.execute(
            SQL("SELECT * FROM {} ORDER BY id").format(
                Identifier(registry.store.schema, ACCESS_LOG_TABLE)
            )
        ).fetchall()


def test_the_registrys_access_log_refuses_to_be_changed_or_emptied(client: TestClient) -> None:
    member = post(client, "/applications", application(make_ppo(client))).json()["member_id"]
    client.get(f"/members/{member}")
    reg = registry(client)
    table = Identifier(reg.store.schema, ACCESS_LOG_TABLE)
    with psycopg.connect(reg.settings.database_url or "", autocommit=True) as conn:
        for change in ("UPDATE {} SET user_name = 'nobody'", "DELETE FROM {}", "TRUNCATE {}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(SQL(change).format(table))

    assert [r["user"] for r in log_of(client)] == ["registrar"]


PERSONAL = {"person", "full_name", "iin", "surname", "given_name", "address", "phone", "email"}
HISTORY = "/members/{member_id}/history"  # `details` is free-form: an event's `personal` in it


def test_every_operation_whose_answer_can_hold_personal_data_puts_it_on_record(
    client: TestClient,
) -> None:
    """Walks every operation: those whose documented answer has a personal field take the
    dependency that records the read; the others do not (decision 150)."""
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def personal(schema: Any, seen: frozenset[str] = frozenset()) -> bool:
        if isinstance(schema, dict):
            ref = schema.get("$ref", "").rsplit("/", 1)[-1]
            if ref and ref not in seen:
                return personal(schemas[ref], seen | {ref})
            if PERSONAL & set(schema.get("properties", {})):
                return True
            return any(personal(v, seen) for v in schema.values())
        if isinstance(schema, list):
            return any(personal(v, seen) for v in schema)
        return False

    answers_personal = {
        path
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method == "get" and (path == HISTORY or personal(op["responses"].get("200", {})))
    }
    app: Any = client.app
    recording = {
        route.path
        for route in _api_routes(app.routes)
        if _depends_on(route.dependant, personal_read)
    }
    # the lookup by IIN answers no personal field, but confirms whose the IIN asked about is
    assert answers_personal | {"/members/lookup"} == recording
    assert {"/members/{member_id}", "/organisations/{organisation_id}/roll"} <= recording


def _depends_on(dependant: Any, call: Any) -> bool:
    """Whether `call` is among the dependencies, however deep (a dependency of a dependency)."""
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every operation, also inside the routers FastAPI includes lazily."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)
