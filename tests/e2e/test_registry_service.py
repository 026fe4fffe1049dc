"""The issue's story, told to a real server process over HTTP, as a client would tell it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from partia_registry.settings import RegistrySettings
from tests.processes import served
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e


@pytest.fixture
def service(settings: RegistrySettings) -> Iterator[httpx.Client]:
    with (
        served(settings, tokens="registrar=e2e-token") as base,
        httpx.Client(base_url=base, headers={"Authorization": "Bearer e2e-token"}) as client,
    ):
        yield client


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
        {
            "application_document": {
                "form": "paper",
                "reference": "W-1",
                "signed_on": "2026-05-01",
            },
            "decision": decision("ppo_bureau", ppo, "2026-05-01"),
        },
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


def test_a_member_moves_is_overdue_is_expelled_appeals_on_the_last_day_and_comes_back(
    service: httpx.Client,
) -> None:
    """Ch. 5.2 and 3.6 (six months to register a move), Ch. 3.8 (expulsion), Ch. 5.1 (appeal
    within three months to a higher body): the issue's story, as a client would run it."""
    regions = service.get("/organisations", params={"kind": "regional_branch"}).json()["items"]
    astana = next(r for r in regions if r["code"] == "astana")
    district = post(
        service,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": astana["organisation_id"],
            "names": {"kk": "Сарыарқа ауданы", "ru": "район Сарыарка", "en": "Saryarka District"},
            "decision": decision("branch_bureau", astana["organisation_id"], "2024-12-01"),
        },
    ).json()["organisation_id"]
    ppo = post(
        service,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": district,
            "names": {"kk": "№7 БПҰ", "ru": "ППО №7", "en": "PPO No. 7"},
            "decision": decision("branch_bureau", district, "2024-12-05"),
        },
    ).json()["organisation_id"]
    member = post(
        service,
        "/applications",
        {
            **application(ppo, make_iin(date(1979, 9, 9)), "Mover"),
            "application_document": {
                "form": "paper",
                "reference": "A-7",
                "signed_on": "2025-01-05",
            },
        },
    ).json()["member_id"]
    card = post(
        service,
        f"/members/{member}/admission",
        {"decision": decision("ppo_meeting", ppo, "2025-01-15")},
    ).json()["card_number"]

    moved = post(service, f"/members/{member}/residence-changes", {"moved_on": "2025-02-28"})
    assert moved.json()["registration_deadline"] == "2025-08-28"
    overdue = service.get(f"/organisations/{ppo}/overdue-residence", params={"on": "2025-09-01"})
    assert [i["member_id"] for i in overdue.json()["items"]] == [member]

    expelled = post(
        service,
        f"/members/{member}/sanctions",
        {
            "kind": "expulsion",
            "grounds": ["residence_change_not_registered"],
            "decision": decision("ppo_meeting", ppo, "2025-11-30"),
        },
    )
    assert expelled.status_code == 200, expelled.text
    sanction = expelled.json()["sanction_id"]
    assert expelled.json()["appeal_deadline"] == "2026-02-28"
    assert service.get(f"/organisations/{ppo}/members").json()["total"] == 0

    higher = {"kind": "branch_bureau", "organisation_id": district}
    too_late = post(
        service,
        f"/members/{member}/sanctions/{sanction}/appeals",
        {"filed_on": "2026-03-01", "body": higher, "document_reference": "Appeal 1"},
    )
    assert (too_late.status_code, too_late.json()["rule"]) == (422, "appeal-too-late")
    assert "2026-02-28" in too_late.json()["detail"]
    on_time = post(
        service,
        f"/members/{member}/sanctions/{sanction}/appeals",
        {"filed_on": "2026-02-28", "body": higher, "document_reference": "Appeal 1"},
    )
    assert on_time.status_code == 200, on_time.text
    pending = service.get(
        f"/organisations/{ppo}/sanctions", params={"pending_appeals_only": "true"}
    ).json()["items"]
    assert [(p["sanction_id"], p["appeal_deadline"]) for p in pending] == [(sanction, "2026-02-28")]

    annulled = post(
        service,
        f"/members/{member}/sanctions/{sanction}/appeal-decision",
        {"outcome": "annulled", "decision": decision("branch_bureau", district, "2026-03-10")},
    )
    assert annulled.status_code == 200, annulled.text

    roll = service.get(f"/organisations/{ppo}/members").json()["items"]
    assert [(r["member_id"], r["card_number"]) for r in roll] == [(member, card)]
    state = service.get(f"/members/{member}").json()
    assert (state["status"], state["admitted_on"]) == ("member", "2025-01-15")
    assert state["sanctions"][0]["status"] == "annulled"
    history = [e["event"] for e in service.get(f"/members/{member}/history").json()["events"]]
    assert history == [
        "ApplicationSubmitted",
        "Admitted",
        "ResidenceChangeReported",
        "SanctionImposed",
        "AppealFiled",
        "AppealDecided",
        "MembershipRestored",
    ]
