"""Overdue registrations after a move (Ch. 3.6), for one organisation or a branch's whole subtree."""

from __future__ import annotations

from fastapi.testclient import TestClient

from partia_contracts.registry import api
from tests.registry.api.test_http_api import application, decision, make_ppo, post


def test_a_branch_sees_the_overdue_registrations_of_every_ppo_below_it(client: TestClient) -> None:
    """Ch. 3.6: six months to register at the new place; then it is a ground for a decision."""
    ppo = make_ppo(client)
    district = client.get(f"/organisations/{ppo}").json()["parent_id"]
    member = post(client, "/applications", application(ppo)).json()["member_id"]
    post(client, f"/members/{member}/admission", {"decision": decision("ppo_meeting", ppo)})
    moved = post(client, f"/members/{member}/residence-changes", {"moved_on": "2026-03-20"})
    assert moved.status_code == 200, moved.text

    path = f"/organisations/{district}/overdue-residence"
    own = client.get(path, params={"on": "2026-10-01"}).json()
    subtree = client.get(path, params={"on": "2026-10-01", "subtree": "true"}).json()

    assert own["items"] == []  # nobody is on the district's own roll
    page = api.OverdueResidencePage.model_validate(subtree)
    assert page.subtree is True
    assert [(str(e.member_id), str(e.organisation_id)) for e in page.items] == [(member, ppo)]
