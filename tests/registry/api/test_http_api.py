"""The HTTP API as other services use it: tokens, idempotency keys, problem+json refusals."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.registry.builders import ASTANA_ID, PARTY_ID, make_iin

PROBLEM = "application/problem+json"


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(path, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def decision(kind: str, organisation_id: object, on: str = "2026-03-10") -> dict[str, Any]:
    return {
        "body": {"kind": kind, "organisation_id": str(organisation_id)},
        "decided_on": on,
        "reference": "Minutes 7",
    }


def names(en: str) -> dict[str, str]:
    return {"kk": en + " kk", "ru": en + " ru", "en": en}


def make_ppo(client: TestClient) -> str:
    district = post(
        client,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": str(ASTANA_ID),
            "names": names("Yesil"),
            "decision": decision("branch_bureau", ASTANA_ID, "2026-01-10"),
        },
    )
    assert district.status_code == 201, district.text
    district_id = district.json()["organisation_id"]
    ppo = post(
        client,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": district_id,
            "names": names("PPO 1"),
            "decision": decision("branch_bureau", district_id, "2026-01-20"),
        },
    )
    assert ppo.status_code == 201, ppo.text
    return str(ppo.json()["organisation_id"])


def application(ppo: str, iin: str | None = None) -> dict[str, Any]:
    return {
        "organisation_id": ppo,
        "person": {
            "iin": iin or make_iin(__import__("datetime").date(1990, 1, 1)),
            "surname": "Nurlanov",
            "given_name": "Arman",
            "address": "Astana, Yesil 1",
            "phone": "+77010000001",
        },
        "declarations": {"citizenship": "KZ", "member_of_another_party": False},
        "application_document": {"form": "paper", "reference": "A-1", "signed_on": "2026-03-01"},
    }


def test_every_post_declares_the_idempotency_key_and_its_problem_responses(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    posts = [
        (path, op) for path, item in spec["paths"].items() for m, op in item.items() if m == "post"
    ]
    assert len(posts) >= 10
    for path, op in posts:
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        for status in ("400", "401", "409", "422"):
            assert "application/problem+json" in op["responses"][status]["content"], (path, status)


def test_every_request_body_in_the_openapi_document_has_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        if "post" not in item or "requestBody" not in item["post"]:
            continue  # e.g. POST /read-model/rebuild takes no body
        ref = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert schema.get("examples"), path
    assert schemas["AdmissionRequest"]["examples"][0]["decision"]["body"]["kind"] == "ppo_meeting"


def test_a_request_without_a_valid_token_is_refused_as_problem_json(client: TestClient) -> None:
    anonymous = client.get("/organisations", headers={"Authorization": ""})
    wrong = client.get("/organisations", headers={"Authorization": "Bearer nope"})
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM
    assert wrong.json()["rule"] == "authentication-failed"


def test_a_post_without_an_idempotency_key_is_refused(client: TestClient) -> None:
    response = client.post("/applications", json=application(make_ppo(client)))
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"


def test_a_retried_admission_returns_the_first_outcome_and_records_it_once(
    client: TestClient,
) -> None:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    body = {"decision": decision("ppo_meeting", ppo)}

    first = post(client, f"/members/{member}/admission", body, key="admit-1")
    retry = post(client, f"/members/{member}/admission", body, key="admit-1")

    assert first.status_code == retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["card_number"] == first.json()["card_number"]
    history = client.get(f"/members/{member}/history").json()["events"]
    assert [e["event"] for e in history].count("Admitted") == 1


def test_the_same_key_with_a_different_body_is_refused(client: TestClient) -> None:
    ppo = make_ppo(client)
    post(client, "/applications", application(ppo), key="k")
    other = post(
        client,
        "/applications",
        application(ppo, make_iin(__import__("datetime").date(1970, 1, 1))),
        key="k",
    )
    assert other.status_code == 422
    assert other.json()["rule"] == "idempotency-key-reused"


def test_invalid_input_names_the_field_and_the_rule(client: TestClient) -> None:
    ppo = make_ppo(client)
    short_iin = post(client, "/applications", application(ppo, "12345"))
    assert short_iin.status_code == 422
    assert short_iin.headers["content-type"] == PROBLEM
    assert short_iin.json()["field"] == "person.iin"

    bad_check_digit = application(ppo)
    iin = bad_check_digit["person"]["iin"]
    bad_check_digit["person"]["iin"] = iin[:11] + str((int(iin[11]) + 1) % 10)
    refused = post(client, "/applications", bad_check_digit)
    assert refused.status_code == 422
    assert (refused.json()["rule"], refused.json()["field"]) == ("iin-invalid", "person.iin")


def test_an_unknown_member_in_the_path_is_404_and_an_unknown_organisation_in_the_body_is_422(
    client: TestClient,
) -> None:
    missing = uuid.uuid4()
    assert client.get(f"/members/{missing}").status_code == 404
    admission = post(
        client, f"/members/{missing}/admission", {"decision": decision("party_bureau", PARTY_ID)}
    )
    assert admission.status_code == 404
    unknown_ppo = post(client, "/applications", application(str(missing)))
    assert unknown_ppo.status_code == 422
    assert unknown_ppo.json()["field"] == "organisation_id"


def test_admitting_a_member_twice_is_a_conflict(client: TestClient) -> None:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    body = {"decision": decision("ppo_meeting", ppo)}
    assert post(client, f"/members/{member}/admission", body).status_code == 200
    again = post(client, f"/members/{member}/admission", body)
    assert again.status_code == 409
    assert again.json()["rule"] == "not-applicant"


def test_a_ppo_directly_under_a_regional_branch_is_refused_citing_the_charter(
    client: TestClient,
) -> None:
    """Ch. 6.9: PPOs are united into district or city branches."""
    response = post(
        client,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": str(ASTANA_ID),
            "names": names("PPO"),
            "decision": decision("branch_bureau", ASTANA_ID),
        },
    )
    assert response.status_code == 422
    assert (response.json()["clause"], response.json()["field"]) == ("Ch. 6.9", "parent_id")


def test_the_acting_user_is_recorded_on_every_event(client: TestClient) -> None:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    client.headers["Authorization"] = "Bearer auditor-token"
    post(client, f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo)})
    history = client.get(f"/members/{member}/history").json()["events"]
    assert [e["recorded_by"] for e in history] == ["registrar", "auditor"]


def test_an_organisation_lists_its_direct_members_with_their_cards(client: TestClient) -> None:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    card = post(
        client, f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo)}
    ).json()["card_number"]

    roll = client.get(f"/organisations/{ppo}/members").json()
    organisation = client.get(f"/organisations/{ppo}").json()

    assert roll["total"] == 1
    assert roll["items"][0]["card_number"] == card
    assert roll["items"][0]["full_name"] == "Nurlanov Arman"
    assert organisation["member_count"] == 1
