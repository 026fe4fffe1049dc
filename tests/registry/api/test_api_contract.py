"""What the API says (its OpenAPI document) and what it does agree: bounded parameters, refusals
people can read, documented headers and media types."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import post
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
