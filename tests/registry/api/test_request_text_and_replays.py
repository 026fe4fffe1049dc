"""Requests as clients send them: text the database cannot store, retries and their answers."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import application, make_ppo, post

PROBLEM = "application/problem+json"


def string_leaves(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from string_leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for n, child in enumerate(value):
            yield from string_leaves(child, f"{path}.{n}")


def replaced(value: Any, path: list[str], text: str) -> Any:
    if not path:
        return text
    head, *rest = path
    if isinstance(value, list):
        return [replaced(v, rest, text) if str(n) == head else v for n, v in enumerate(value)]
    return {k: replaced(v, rest, text) if k == head else v for k, v in value.items()}


def examples_of_every_post(client: TestClient) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        body = item.get("post", {}).get("requestBody")
        if body is None or path == "/members/lookup":  # finance's alone: test_member_lookup_api
            continue
        ref = body["content"]["application/json"]["schema"]["$ref"]
        for example in schemas[ref.rsplit("/", 1)[1]].get("examples", []):
            yield re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path), example


def test_nul_in_any_text_of_any_request_is_refused_naming_the_field(client: TestClient) -> None:
    """Every string in every documented request example, in turn, gets a NUL: 422, the field named,
    never a 500 (it used to fail the whole group commit)."""
    checked = 0
    for path, example in examples_of_every_post(client):
        for leaf in string_leaves(example):
            body = replaced(example, leaf.split("."), "Ref\x00X")
            response = post(client, path, body)
            assert response.status_code == 422, (path, leaf, response.text)
            assert response.headers["content-type"] == PROBLEM
            assert (response.json()["field"], response.json()["rule"]) == (
                leaf,
                "text-not-storable",
            ), (path, response.json())
            checked += 1
    assert checked >= 40


def test_an_unpaired_surrogate_is_refused_naming_the_field(client: TestClient) -> None:
    body = json.dumps(application(make_ppo(client))).replace("Nurlanov", "Nurlanov\\ud800")
    response = client.post(
        "/applications",
        content=body,
        headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["rule"]) == (
        "person.surname",
        "text-not-storable",
    )


def test_a_replay_answers_with_the_body_of_the_first_answer_positions_included(
    client: TestClient,
) -> None:
    body = application(make_ppo(client))
    first = post(client, "/applications", body, key="apply-1")
    replay = post(client, "/applications", body, key="apply-1")

    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert first.json()["positions"]
    assert replay.json() == first.json()


def test_the_same_json_serialised_differently_is_the_same_request(client: TestClient) -> None:
    body = application(make_ppo(client))
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(list(body.items()))), indent=2)
    headers = {"Idempotency-Key": "apply-2", "Content-Type": "application/json"}

    first = client.post("/applications", content=compact, headers=headers)
    retry = client.post("/applications", content=spaced, headers=headers)

    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()


def test_an_outcome_stored_by_an_older_version_is_still_replayed_without_claiming_positions(
    client: TestClient, settings: RegistrySettings
) -> None:
    """Older rows hold the hash of the raw body and no positions: the same bytes are still the
    same request, and the replay omits `positions` rather than say there were none."""
    ppo = make_ppo(client)
    body = json.dumps(application(ppo))
    member = str(uuid.uuid4())
    raw = b"POST /applications\n" + body.encode()
    with psycopg.connect(settings.database_url or "", autocommit=True) as conn:
        conn.execute(
            SQL("INSERT INTO {} (actor, key, fingerprint, result) VALUES (%s, %s, %s, %s)").format(
                Identifier(settings.database_schema, "registry_idempotency")
            ),
            (
                "registrar",
                "old-key",
                hashlib.sha256(raw).hexdigest(),
                json.dumps({"member_id": member, "status": "applicant"}),
            ),
        )
    headers = {"Idempotency-Key": "old-key", "Content-Type": "application/json"}

    replay = client.post("/applications", content=body, headers=headers)

    assert replay.headers.get("Idempotent-Replayed") == "true", replay.text
    assert replay.json() == {"member_id": member, "status": "applicant"}


def test_a_stored_request_fingerprint_cannot_confirm_a_guessed_application(
    client: TestClient, settings: RegistrySettings
) -> None:
    """The body holds the applicant's IIN and names (personal data, DOMAIN §8): what the
    idempotency record keeps of it is keyed by the installation's secret, so someone holding only
    the database cannot hash a guessed application and compare."""
    body = application(make_ppo(client))
    headers = {"Idempotency-Key": "apply-guess", "Content-Type": "application/json"}
    assert client.post("/applications", content=json.dumps(body), headers=headers).is_success

    with psycopg.connect(settings.database_url or "", autocommit=True) as conn:
        row = conn.execute(
            SQL("SELECT fingerprint FROM {} WHERE key = 'apply-guess'").format(
                Identifier(settings.database_schema, "registry_idempotency")
            )
        ).fetchone()
    assert row is not None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    guesses = {
        hashlib.sha256(b"POST /applications\n" + form).hexdigest()
        for form in (canonical, json.dumps(body).encode())
    }
    assert row[0] not in guesses
