"""No list without a cap (issue 10, "Abuse"; OWASP API4, unrestricted resource consumption): every
operation that answers a list takes a `limit` whose maximum its OpenAPI document states, and the
server keeps to it (decision 159)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.registry.builders import ASTANA_ID


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def answers_a_list(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    """A page (a top-level `items` array), a bare array, or paged by `limit`. Arrays inside one
    record (a member's mandates, a member's own history, the party's structure) are bounded by
    that record, not by what a client asks for."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = resolved(document, content.get("application/json", {}).get("schema", {}))
    items = resolved(document, schema.get("properties", {}).get("items", {}))
    named = {p["name"] for p in operation.get("parameters", [])}
    return schema.get("type") == "array" or items.get("type") == "array" or "limit" in named


def list_operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if answers_a_list(document, operation)
    ]


def test_every_list_operation_declares_a_bounded_limit_in_its_openapi(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    found = list_operations(document)
    assert len(found) >= 7  # organisations, members, roll, events, cases, sanctions, overdue
    unbounded = []
    for name, operation in found:
        limits = [p for p in operation.get("parameters", []) if p["name"] == "limit"]
        maximum = limits[0]["schema"].get("maximum") if limits else None
        if not isinstance(maximum, int) or maximum > 10_000:
            unbounded.append(name)
    assert unbounded == []


def test_a_limit_past_the_documented_maximum_is_refused_naming_it(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for name, operation in list_operations(document):
        method, path = name.split(" ", 1)
        if method != "GET":
            continue
        limit = next(p for p in operation["parameters"] if p["name"] == "limit")
        params: dict[str, Any] = {"limit": limit["schema"]["maximum"] + 1}
        if "from" in {p["name"] for p in operation["parameters"]}:
            params |= {"from": "2026-01-01", "to": "2026-12-31"}
        url = path.replace("{organisation_id}", str(ASTANA_ID)).replace(
            "{member_id}", str(uuid.uuid4())
        )
        refused = client.get(url, params=params)
        assert refused.status_code == 422, name
        assert refused.json()["field"] == "limit", name


def test_the_discipline_lists_answer_one_page_at_a_time(client: TestClient) -> None:
    for path in ("disciplinary-cases", "sanctions", "overdue-residence"):
        page = client.get(f"/organisations/{ASTANA_ID}/{path}", params={"limit": 1, "offset": 5})
        assert page.status_code == 200, path
        assert (page.json()["limit"], page.json()["offset"]) == (1, 5), path
