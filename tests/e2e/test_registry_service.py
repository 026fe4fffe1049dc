"""The issue's story, told to a real server process over HTTP, as a client would tell it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from partia_registry.settings import RegistrySettings
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(settings: RegistrySettings) -> Iterator[httpx.Client]:
    port = _free_port()
    assert settings.master_key is not None
    env = {
        **os.environ,
        "PARTIA_DATABASE_URL": str(settings.database_url),
        "PARTIA_DATABASE_SCHEMA": settings.database_schema,
        "PARTIA_MASTER_KEY": settings.master_key.get_secret_value(),
        "PARTIA_API_TOKENS": "registrar=e2e-token",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "partia_registry", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": "Bearer e2e-token"}) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    raise AssertionError(f"the registry did not start:\n{output}")
                time.sleep(0.2)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def decision(kind: str, organisation_id: str, on: str) -> dict[str, Any]:
    return {
        "body": {"kind": kind, "organisation_id": organisation_id},
        "decided_on": on,
        "reference": f"Minutes of {on}",
    }


def application(ppo: str, iin: str, surname: str) -> dict[str, Any]:
    return {
        "organisation_id": ppo,
        "person": {"iin": iin, "surname": surname, "given_name": "Test", "address": "Astana"},
        "declarations": {"citizenship": "KZ", "member_of_another_party": False},
        "application_document": {
            "form": "electronic_signature",
            "reference": f"EDS-{surname}",
            "signed_on": "2026-03-01",
        },
    }


def test_a_new_user_founds_a_ppo_admits_three_members_and_one_withdraws(
    service: httpx.Client,
) -> None:
    assert "swagger" in service.get("/docs").text.lower()
    regions = service.get("/organisations", params={"kind": "regional_branch"}).json()
    assert regions["total"] == 20
    astana = next(r for r in regions["items"] if r["code"] == "astana")
    party_id = astana["parent_id"]

    district = post(
        service,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": astana["organisation_id"],
            "names": {"kk": "Есіл ауданы", "ru": "Есильский район", "en": "Yesil District"},
            "decision": decision("party_bureau", party_id, "2026-01-10"),
        },
    ).json()["organisation_id"]
    ppo = post(
        service,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": district,
            "names": {"kk": "№1 БПҰ", "ru": "ППО №1", "en": "PPO No. 1"},
            "decision": decision("branch_bureau", district, "2026-01-20"),
        },
    ).json()["organisation_id"]

    people = [(make_iin(date(1980 + i, 2, 2)), f"Member{i}") for i in range(3)]
    members = []
    for iin, surname in people:
        response = post(service, "/applications", application(ppo, iin, surname))
        assert response.status_code == 201, response.text
        members.append(response.json()["member_id"])
    cards = []
    for member in members:
        response = post(
            service,
            f"/members/{member}/admission",
            {"decision": decision("ppo_meeting", ppo, "2026-03-10")},
        )
        assert response.status_code == 200, response.text
        cards.append(response.json()["card_number"])

    roll = service.get(f"/organisations/{ppo}/members").json()
    assert sorted(item["card_number"] for item in roll["items"]) == sorted(cards)

    withdrawal = post(
        service,
        f"/members/{members[0]}/withdrawal",
        {"application_document": {"form": "paper", "reference": "W-1", "signed_on": "2026-05-01"}},
    )
    assert withdrawal.json()["status"] == "former_member"
    assert service.get(f"/organisations/{ppo}/members").json()["total"] == 2
    history = service.get(f"/members/{members[0]}/history").json()["events"]
    assert [e["event"] for e in history] == ["ApplicationSubmitted", "Admitted", "Withdrew"]
    assert [e["effective_on"] for e in history] == ["2026-03-01", "2026-03-10", "2026-05-01"]

    # Each refusal says which rule and why.
    under_age = post(
        service, "/applications", application(ppo, make_iin(date(2010, 1, 1)), "Young")
    )
    assert (under_age.status_code, under_age.json()["rule"]) == (422, "minimum-age")
    good = make_iin(date(1990, 1, 1))
    typo = good[:11] + str((int(good[11]) + 1) % 10)
    bad_digit = post(service, "/applications", application(ppo, typo, "Typo"))
    assert (bad_digit.status_code, bad_digit.json()["rule"]) == (422, "iin-invalid")
    duplicate = post(service, "/applications", application(ppo, people[1][0], "Again"))
    assert (duplicate.status_code, duplicate.json()["rule"]) == (409, "already-a-member")
    newcomer = post(service, "/applications", application(ppo, good, "Newcomer")).json()[
        "member_id"
    ]
    incompetent = post(
        service,
        f"/members/{newcomer}/admission",
        {"decision": decision("party_congress", party_id, "2026-03-10")},
    )
    assert (incompetent.status_code, incompetent.json()["rule"]) == (422, "body-not-competent")
    assert incompetent.headers["content-type"] == "application/problem+json"
