"""What the API says (its OpenAPI document) and what it does agree: bounded parameters, refusals
people can read, documented headers and media types."""

from __future__ import annotations

import csv
import io
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from partia_contracts.registry import api
from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import application, decision, make_ppo, names, post
from tests.registry.builders import ASTANA_ID

PROBLEM = "application/problem+json"
HUGE = str(2**63)  # one past PostgreSQL's bigint


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/organisations", "offset"),
        ("/organisations/{astana}/members", "offset"),
        ("/organisations/{astana}/roll", "offset"),
        ("/organisations/{astana}/roll", "min_position"),
        ("/reports/structure", "min_position"),
        ("/events", "after"),
    ],
)
def test_a_number_past_any_bound_is_refused_naming_the_parameter(
    client: TestClient, path: str, parameter: str
) -> None:
    response = client.get(path.format(astana=ASTANA_ID), params={parameter: HUGE})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == parameter


def test_every_integer_query_parameter_is_documented_with_its_bounds(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    integers = [
        (path, p["name"], _integer_schema(p["schema"]))
        for path, item in spec["paths"].items()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["in"] == "query" and _integer_schema(p["schema"]) is not None
    ]
    assert len(integers) >= 8
    for path, name, schema in integers:
        assert schema is not None
        assert {"minimum", "maximum"} <= schema.keys(), (path, name)
        assert schema["maximum"] <= 2**63 - 1, (path, name)


def _integer_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    for candidate in [schema, *schema.get("anyOf", [])]:
        if candidate.get("type") == "integer":
            return candidate
    return None


def test_a_position_the_log_has_not_reached_is_refused_at_once(client: TestClient) -> None:
    response = client.get("/reports/structure", params={"min_position": 10**12})
    assert response.status_code == 422
    assert (response.json()["rule"], response.json()["field"]) == (
        "position-not-in-log",
        "min_position",
    )


def test_an_unexpected_failure_is_a_problem_and_the_application_goes_on(
    client: TestClient, settings: RegistrySettings
) -> None:
    """The 500 is answered by the application itself: nothing is re-raised to the server (which
    would drop the client's keep-alive connection), and the next request is served."""
    _drop_table(settings, "registry_organisation_index")  # a fault under the service
    failed = client.get("/organisations")  # TestClient re-raises anything the app re-raises
    assert failed.status_code == 500
    assert failed.headers["content-type"] == PROBLEM
    assert failed.json()["rule"] == "internal-error"
    assert client.get("/health").status_code == 200


def _drop_table(settings: RegistrySettings, name: str) -> None:
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(settings.database_schema, name))
        )


def test_a_bad_enum_value_lists_the_allowed_values_as_json_would_write_them(
    client: TestClient,
) -> None:
    response = post(client, "/organisations", {"kind": "party", "parent_id": str(ASTANA_ID)})
    assert response.status_code == 422
    kind = next(e for e in response.json()["errors"] if e["field"] == "kind")
    assert "'regional_branch'" in kind["message"]
    assert "OrganisationKind" not in response.text


def test_malformed_json_names_the_body_and_says_what_is_wrong(client: TestClient) -> None:
    response = client.post(
        "/applications",
        content=b'{"organisation_id": ',
        headers={"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "body"
    assert problem["detail"].startswith("body: not valid JSON: Expecting value at character 20")


def test_the_openapi_document_declares_the_bearer_token_everywhere_but_health(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/health"]["get"]["security"] == []


def test_a_created_resource_is_at_its_location_and_the_location_is_documented(
    client: TestClient,
) -> None:
    ppo = post(client, "/organisations", _district())
    applicant = post(client, "/applications", application(make_ppo(client)))

    for created, kind in ((ppo, "organisation_id"), (applicant, "member_id")):
        assert created.status_code == 201
        location = created.headers["Location"]
        assert location.endswith(created.json()[kind])
        assert client.get(location).json()[kind] == created.json()[kind]
    spec = client.get("/openapi.json").json()
    for path in ("/organisations", "/applications"):
        assert "Location" in spec["paths"][path]["post"]["responses"]["201"]["headers"], path


def test_a_retried_creation_points_at_the_same_location(client: TestClient) -> None:
    first = post(client, "/organisations", _district(), key="found-yesil")
    retry = post(client, "/organisations", _district(), key="found-yesil")
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Location"] == first.headers["Location"]


def _district() -> dict[str, Any]:
    return {
        "kind": "territorial_branch",
        "parent_id": str(ASTANA_ID),
        "names": names("Yesil"),
        "decision": decision("branch_bureau", ASTANA_ID, "2026-01-10"),
    }


def test_the_erasure_receipt_has_its_documented_status(client: TestClient) -> None:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    post(
        client,
        f"/members/{member}/rejection",
        {"decision": decision("ppo_bureau", ppo), "reason": "unsigned"},
    )
    erased = post(
        client,
        f"/members/{member}/erasure",
        {"legal_basis": "Art. 18", "request_reference": "R-1"},
    )
    assert erased.status_code == 200, erased.text
    receipt = api.MemberReceipt.model_validate(erased.json())  # the documented shape
    assert (receipt.status, receipt.erased) == ("rejected", True)


def test_csv_answers_and_the_read_models_503_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/organisations/{organisation_id}/roll", "/reports/structure"):
        responses = paths[path]["get"]["responses"]
        assert "text/csv" in responses["200"]["content"], path
        assert "application/problem+json" in responses["503"]["content"], path
        assert "Retry-After" in responses["503"]["headers"], path


def test_every_read_that_may_wait_for_min_position_documents_its_503(client: TestClient) -> None:
    """A read given `min_position` answers 503 when the read model does not get there in time; a
    client generated from the document must know that answer (issue 8 item 9)."""
    paths = client.get("/openapi.json").json()["paths"]
    waiting = {
        (method, path): operation["responses"]
        for path, operations in paths.items()
        for method, operation in operations.items()
        if any(p["name"] == "min_position" for p in operation.get("parameters", []))
    }
    assert ("get", "/reports/movements") in waiting
    for where, responses in waiting.items():
        assert "503" in responses, where
        assert "application/problem+json" in responses["503"]["content"], where
        assert "Retry-After" in responses["503"]["headers"], where


def test_the_documentation_pages_and_every_asset_they_load_come_from_the_service_itself(
    client: TestClient,
) -> None:
    """A party's server behind a firewall has no internet: the docs must not need a CDN."""
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        assets = _referenced_urls(html.text)
        assert len(assets) >= 2, (page, assets)
        for url in assets:
            assert url.startswith("/"), (page, url)  # this service, not another host
            assert client.get(url).status_code == 200, (page, url)
    assert client.get("/openapi.json").status_code == 200  # what both pages then read


def _referenced_urls(html: str) -> list[str]:
    """Every script, stylesheet and icon the page loads."""

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            url = (
                found.get("src")
                if tag == "script"
                else found.get("href")
                if tag == "link"
                else None
            )
            if url:
                self.urls.append(url)

    parser = Links()
    parser.feed(html)
    inline = re.findall(r"""url\s*:\s*['"]([^'"]+)['"]""", html)  # e.g. SwaggerUIBundle({url: ...})
    return parser.urls + [u for u in inline if not u.startswith("/openapi")]


def test_the_structure_report_as_csv_keeps_the_legal_thresholds_and_the_branches_short(
    client: TestClient,
) -> None:
    """Registration needs 5,000 members and 200 in each regional branch (the reform programme's
    thresholds, seeds/004): the spreadsheet must say so as the JSON does."""
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    admitted = post(
        client, f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo)}
    )
    table = client.get(
        "/reports/structure",
        params={"format": "csv", "min_position": max(admitted.json()["positions"])},
    )

    rows = list(csv.DictReader(io.StringIO(table.text)))
    party = next(r for r in rows if r["kind"] == "party")
    branches = [r for r in rows if r["kind"] == "regional_branch"]
    astana = next(r for r in branches if r["organisation_id"] == str(ASTANA_ID))
    the_ppo = next(r for r in rows if r["organisation_id"] == ppo)
    assert (party["members"], party["minimum"], party["meets_minimum"]) == ("1", "5000", "false")
    assert party["finding"] == "thresholds_not_met"
    assert len(branches) == 20
    assert {(r["minimum"], r["meets_minimum"]) for r in branches} == {("200", "false")}
    assert astana["members"] == "1"
    assert (the_ppo["finding"], the_ppo["minimum"]) == ("below_three", "")


def test_the_structure_report_is_documented_and_has_the_documented_shape(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    documented = spec["paths"]["/reports/structure"]["get"]["responses"]["200"]["content"]
    assert documented["application/json"]["schema"]["$ref"].endswith("/StructureReport")
    head = client.get("/read-model").json()["head"]  # the bootstrap, folded before we read
    for on in (None, "2026-01-01"):
        params = {"min_position": head} | ({"on": on} if on else {})
        report = client.get("/reports/structure", params=params).json()
        parsed = api.StructureReport.model_validate(report)
        assert len(parsed.thresholds.regional_branches_short) == 20


def test_a_body_that_is_not_a_json_object_or_not_utf8_names_the_body(client: TestClient) -> None:
    def send(content: bytes, content_type: str) -> Any:
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": content_type}
        return client.post("/applications", content=content, headers=headers)

    as_text = send(b'{"organisation_id": "x"}', "text/plain")
    not_utf8 = send(b"\xff\xfe{", "application/json")

    assert (as_text.status_code, as_text.json()["field"]) == (422, "body")
    assert "Content-Type: application/json" in as_text.json()["detail"]
    assert (not_utf8.status_code, not_utf8.json()["field"]) == (400, "body")
    assert not_utf8.json()["rule"] == "bad-request"
