"""POST /members/{id}/withdrawal: who formalised it, when it may take effect (Ch. 3.6, 3.7), and
no business date after today."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from partia_registry.api.app import create_app
from partia_registry.application.clock import FixedClock
from partia_registry.composition import open_registry
from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import PROBLEM, application, decision, make_ppo, post
from tests.registry.builders import ASTANA_ID, PARTY_ID


def _member(client: TestClient) -> tuple[str, str]:
    ppo = make_ppo(client)
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    admitted = post(
        client, f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo)}
    )
    assert admitted.status_code == 200, admitted.text
    return ppo, member


def _withdrawal(**extra: Any) -> dict[str, Any]:
    document = {"form": "paper", "reference": "Statement 77", "signed_on": "2026-06-01"}
    return {"application_document": document, **extra}


def test_ch_3_7_the_body_that_formalised_a_withdrawal_is_accepted_and_published(
    client: TestClient,
) -> None:
    ppo, member = _member(client)
    body = _withdrawal(decision=decision("ppo_bureau", ppo, "2026-06-03"))
    response = post(client, f"/members/{member}/withdrawal", body)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["ended_on"]) == (
        "former_member",
        "2026-06-01",
    )

    events = client.get("/events", params={"after": 0, "limit": 1000}).json()["items"]
    [ended] = [e for e in events if e["event_type"] == "registry.member.membership_ended"]
    assert ended["decision"] is None
    assert ended["formalised_by"]["body"] == {"kind": "ppo_bureau", "organisation_id": ppo}
    assert ended["formalised_by"]["decided_on"] == "2026-06-03"


def test_ch_9_5_a_mazhilis_deputy_withdraws_only_through_the_party_bureau(
    client: TestClient,
) -> None:
    _, member = _member(client)
    mandate = {
        "kind": "mazhilis",
        "territory": "Republic of Kazakhstan",
        "started_on": "2026-03-20",
    }
    assert post(client, f"/members/{member}/mandates", mandate).status_code == 200

    without = post(client, f"/members/{member}/withdrawal", _withdrawal())
    assert (without.status_code, without.json()["clause"], without.json()["field"]) == (
        422,
        "Ch. 3.7",
        "decision",
    )
    branch = _withdrawal(decision=decision("branch_bureau", ASTANA_ID, "2026-06-03"))
    refused = post(client, f"/members/{member}/withdrawal", branch)
    assert (refused.status_code, refused.json()["rule"]) == (422, "deputy-needs-party-bureau")

    bureau = _withdrawal(decision=decision("party_bureau", PARTY_ID, "2026-06-03"))
    assert post(client, f"/members/{member}/withdrawal", bureau).status_code == 200


def test_ch_3_7_a_withdrawal_without_the_body_that_formalised_it_is_refused(
    client: TestClient,
) -> None:
    """Ch. 3.7: every withdrawal, not only a deputy's, is formalised by a body; without one the
    registry records nothing and says which field is missing."""
    ppo, member = _member(client)
    missing = post(client, f"/members/{member}/withdrawal", _withdrawal())
    assert missing.status_code == 422
    assert missing.headers["content-type"] == PROBLEM
    assert (missing.json()["rule"], missing.json()["clause"], missing.json()["field"]) == (
        "withdrawal-needs-formalising-body",
        "Ch. 3.7",
        "decision",
    )
    assert client.get(f"/members/{member}").json()["status"] == "member"

    formalised = _withdrawal(decision=decision("ppo_meeting", ppo, "2026-06-01"))
    assert post(client, f"/members/{member}/withdrawal", formalised).status_code == 200


def test_ch_3_6_a_withdrawal_dated_before_its_application_was_signed_is_refused(
    client: TestClient,
) -> None:
    ppo, member = _member(client)
    body = _withdrawal(
        effective_on="2026-05-30", decision=decision("ppo_bureau", ppo, "2026-06-01")
    )
    early = post(client, f"/members/{member}/withdrawal", body)
    assert early.status_code == 422
    assert (early.json()["rule"], early.json()["clause"], early.json()["field"]) == (
        "withdrawal-before-application",
        "Ch. 3.6",
        "effective_on",
    )
    assert client.get(f"/members/{member}").json()["status"] == "member"


def test_a_decision_dated_after_today_in_almaty_is_refused_naming_the_field_and_rule(
    settings: RegistrySettings,
) -> None:
    """Issue 8 item 10: the registry's clock (set here to 1 July 2026) says what today is."""
    clock = FixedClock(date(2026, 7, 1))
    app = create_app(settings, open_=lambda s: open_registry(s, clock=clock))
    with TestClient(app) as client:
        client.headers["Authorization"] = "Bearer registrar-token"
        ppo, member = _member(client)
        future = _withdrawal(decision=decision("ppo_bureau", ppo, "2026-07-02"))
        refused = post(client, f"/members/{member}/withdrawal", future)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == PROBLEM
        problem = refused.json()
        assert (problem["rule"], problem["field"]) == ("date-in-the-future", "decision.decided_on")
        assert "2026-07-02" in problem["detail"]

        clock.day = date(2026, 7, 2)
        assert post(client, f"/members/{member}/withdrawal", future).status_code == 200


def test_the_api_document_says_a_withdrawal_needs_its_formalising_decision(
    client: TestClient,
) -> None:
    """Ch. 3.7: a client generated from /openapi.json must send the body's decision."""
    schema = client.get("/openapi.json").json()["components"]["schemas"]["WithdrawalRequest"]
    assert "decision" in schema["required"]
    decision_schema = schema["properties"]["decision"]
    assert decision_schema["x-charter-clause"] == "Ch. 3.7"
    assert decision_schema["examples"][0]["body"]["kind"] == "ppo_bureau"
    assert schema["examples"][0]["decision"]["decided_on"] == "2026-05-06"
