"""OWASP API3 (mass assignment): a client cannot set a property the operation does not take."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.registry.api.test_http_api import PROBLEM, application, make_ppo, post


def test_a_property_the_operation_does_not_take_is_refused_by_name(client: TestClient) -> None:
    ppo = make_ppo(client)
    body = {**application(ppo), "status": "admitted", "card_number": "BQ-000001"}

    refused = post(client, "/applications", body)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["field"] in {"status", "card_number"}
