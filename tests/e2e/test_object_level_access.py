"""Object-level access control (issue 10, item 3; decision 165), over HTTP against a real registry
process with real JWTs: a clerk of the Almaty regional branch acts in Almaty and gets 404 for
Astana's members, organisations, cases and rolls, as if they did not exist; a clerk records
decisions only on behalf of bodies of their part of the party (Ch. 4.4: the chairs of each
organisation answer for its records).

Every operation of the permission table is walked with the other region's records in its path;
a command's body is its OpenAPI example, so a refusal can only come from the scope, not from an
invalid request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from partia_kit.auth import Grant, Role
from partia_kit.auth.issuer import LocalIssuer
from partia_registry.api.app import create_app
from partia_registry.api.permissions import OPERATIONS
from partia_registry.application.bootstrap import PartyDefinition
from tests.e2e.test_registry_service import application, decision
from tests.processes import served_with_issuer
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e

PARTY = PartyDefinition.load("baytaq")
ROOT = PARTY.party_id


@dataclass
class Region:
    """A regional branch with a district, a PPO, an admitted member with an open case and a
    warning, and an applicant."""

    region: str
    district: str
    ppo: str
    member: str
    case: str
    sanction: str
    applicant: str

    def path_ids(self) -> dict[str, str]:
        return {
            "organisation_id": self.ppo,
            "member_id": self.member,
            "case_id": self.case,
            "sanction_id": self.sanction,
        }


@dataclass
class Party:
    base: str
    issuer: LocalIssuer
    almaty: Region
    astana: Region

    def client(self, user: str, *grants: Grant) -> httpx.Client:
        token = self.issuer.mint(user, list(grants))
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def clerk_of(self, region: Region) -> httpx.Client:
        return self.client(
            f"clerk-{region.region[:8]}", Grant(Role.CLERK, uuid.UUID(region.region))
        )


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def created(answer: httpx.Response, key: str) -> str:
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()[key])


def _region(central: httpx.Client, code: str, birth_day: int) -> Region:
    regions = central.get("/organisations", params={"kind": "regional_branch"}).json()["items"]
    region = next(r["organisation_id"] for r in regions if r["code"] == code)
    names = {"kk": code, "ru": code, "en": code}
    district = created(
        post(
            central,
            "/organisations",
            {
                "kind": "territorial_branch",
                "parent_id": region,
                "names": names,
                "decision": decision("branch_bureau", region, "2026-01-10"),
            },
        ),
        "organisation_id",
    )
    ppo = created(
        post(
            central,
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": names,
                "decision": decision("branch_bureau", district, "2026-01-20"),
            },
        ),
        "organisation_id",
    )
    iin = make_iin(date(1980, 1, birth_day))
    member = created(post(central, "/applications", application(ppo, iin, f"M{code}")), "member_id")
    admitted = post(
        central,
        f"/members/{member}/admission",
        {"decision": decision("ppo_meeting", ppo, "2026-03-10")},
    )
    assert admitted.status_code == 200, admitted.text
    case = created(
        post(
            central,
            f"/members/{member}/disciplinary-cases",
            {"opened_on": "2026-04-01", "reference": f"Complaint {code}"},
        ),
        "case_id",
    )
    sanction = created(
        post(
            central,
            f"/members/{member}/sanctions",
            {"kind": "warning", "decision": decision("ppo_meeting", ppo, "2026-04-10")},
        ),
        "sanction_id",
    )
    applicant_iin = make_iin(date(1985, 2, birth_day))
    applicant = created(
        post(central, "/applications", application(ppo, applicant_iin, f"A{code}")), "member_id"
    )
    return Region(region, district, ppo, member, case, sanction, applicant)


@pytest.fixture(scope="module")
def party(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Party]:
    workspace = tmp_path_factory.mktemp("issuer")
    with served_with_issuer(database_url, workspace) as (base, issuer):
        central = httpx.Client(
            base_url=base,
            headers={
                "Authorization": f"Bearer {issuer.mint('central', [Grant(Role.CLERK, ROOT)])}"
            },
            timeout=30,
        )
        with central:
            almaty, astana = _region(central, "almaty-city", 3), _region(central, "astana", 4)
        yield Party(base, issuer, almaty, astana)


def _example_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    """Each command's OpenAPI example: a valid request, so only the scope can refuse it."""
    spec = create_app().openapi()
    bodies = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            name = content["schema"]["$ref"].rsplit("/", 1)[-1]
            bodies[(method.upper(), path)] = spec["components"]["schemas"][name]["examples"][0]
    return bodies


def _url(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m[1], str(uuid.uuid4())), path)


def _clerk_operations() -> list[tuple[str, str]]:
    return [
        (method, path)
        for (method, path), permission in OPERATIONS.items()
        if Role.CLERK in permission.roles
    ]


def test_a_regional_clerk_gets_404_for_every_member_organisation_case_and_roll_of_another_region(
    party: Party,
) -> None:
    bodies = _example_bodies()
    walked = set()
    with party.clerk_of(party.almaty) as almaty_clerk:
        for method, path in _clerk_operations():
            if "{member_id}" not in path and "{organisation_id}" not in path:
                continue
            url = _url(path, party.astana.path_ids())
            if method == "GET":
                answer = almaty_clerk.get(url)
            else:
                answer = post(almaty_clerk, url, bodies[(method, path)])
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["rule"] == "not-found"
            walked.add((method, path))
    # every read of a member or an organisation, every command on one
    assert {
        ("GET", "/organisations/{organisation_id}/roll"),
        ("GET", "/members/{member_id}"),
    } <= walked
    assert len(walked) >= 25


def test_a_regional_clerk_reads_every_member_organisation_case_and_roll_of_their_own_region(
    party: Party,
) -> None:
    with party.clerk_of(party.almaty) as almaty_clerk:
        for method, path in _clerk_operations():
            if method != "GET" or ("{member_id}" not in path and "{organisation_id}" not in path):
                continue
            answer = almaty_clerk.get(_url(path, party.almaty.path_ids()))
            assert answer.status_code == 200, (path, answer.text)
        cases = almaty_clerk.get(f"/organisations/{party.almaty.ppo}/disciplinary-cases").json()
        assert [c["case_id"] for c in cases["items"]] == [party.almaty.case]
        sanctions = almaty_clerk.get(f"/organisations/{party.almaty.ppo}/sanctions").json()
        assert [s["sanction_id"] for s in sanctions["items"]] == [party.almaty.sanction]


def test_a_regional_clerk_admits_an_applicant_of_their_region_and_cannot_admit_one_in_another(
    party: Party,
) -> None:
    with party.clerk_of(party.almaty) as almaty_clerk:
        here = post(
            almaty_clerk,
            f"/members/{party.almaty.applicant}/admission",
            {"decision": decision("ppo_meeting", party.almaty.ppo, "2026-03-12")},
        )
        assert (here.status_code, here.json()["status"]) == (200, "member")
        there = post(
            almaty_clerk,
            f"/members/{party.astana.applicant}/admission",
            {"decision": decision("ppo_meeting", party.astana.ppo, "2026-03-12")},
        )
        assert (there.status_code, there.json()["rule"]) == (404, "not-found")
    with party.clerk_of(party.astana) as astana_clerk:
        still = astana_clerk.get(f"/members/{party.astana.applicant}").json()
        assert still["status"] == "applicant"


def test_a_clerk_lists_only_the_organisations_of_their_part_of_the_party(party: Party) -> None:
    with party.clerk_of(party.almaty) as almaty_clerk:
        listed = almaty_clerk.get("/organisations", params={"limit": 1000}).json()
    ids = {o["organisation_id"] for o in listed["items"]}
    assert ids == {party.almaty.region, party.almaty.district, party.almaty.ppo}
    assert listed["total"] == 3


def test_a_clerk_cannot_apply_found_or_decide_in_another_regions_name(party: Party) -> None:
    """Ch. 4.4: a clerk records on behalf of the bodies of their own organisations."""
    almaty, astana = party.almaty, party.astana
    with party.clerk_of(almaty) as almaty_clerk:
        applied = post(
            almaty_clerk, "/applications", application(astana.ppo, make_iin(date(1991, 5, 5)), "X")
        )
        founded = post(
            almaty_clerk,
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": astana.district,
                "names": {"kk": "X", "ru": "X", "en": "X"},
                "decision": decision("branch_bureau", astana.district, "2026-02-01"),
            },
        )
        # a decision for an Almaty member, in the name of Astana's branch bureau
        decided = post(
            almaty_clerk,
            f"/members/{almaty.member}/sanctions",
            {"kind": "warning", "decision": decision("branch_bureau", astana.region, "2026-05-01")},
        )
    for answer, field in (
        (applied, "organisation_id"),
        (founded, "parent_id"),
        (decided, "decision.body.organisation_id"),
    ):
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert (answer.json()["rule"], answer.json()["field"]) == (
            "outside-your-organisations",
            field,
        )


def test_the_party_wide_reports_are_refused_to_a_regional_clerk_and_served_to_the_central_office(
    party: Party,
) -> None:
    """Ch. 4.3: the Central Office builds the structure report."""
    with party.clerk_of(party.almaty) as almaty_clerk:
        refused = almaty_clerk.get("/reports/structure")
    assert (refused.status_code, refused.json()["rule"]) == (403, "whole-party-scope-required")
    with party.client("central", Grant(Role.CLERK, ROOT)) as central:
        assert central.get("/reports/structure").status_code == 200
    with party.client("audit", Grant(Role.AUDITOR, ROOT)) as auditor:
        assert (
            auditor.get(
                "/reports/movements", params={"from": "2026-01-01", "to": "2026-06-30"}
            ).status_code
            == 200
        )


def test_a_transfer_is_requested_by_the_sending_region_and_registered_by_the_receiving_one(
    party: Party,
) -> None:
    """DOMAIN.md §3, Ch. 5.2: the receiving organisation registers the member, the sending one
    releases them; afterwards the member is the receiving region's and no longer the sender's."""
    almaty, astana = party.almaty, party.astana
    with party.client("central", Grant(Role.CLERK, ROOT)) as central:
        mover = created(
            post(
                central,
                "/applications",
                application(almaty.ppo, make_iin(date(1979, 7, 7)), "Mover"),
            ),
            "member_id",
        )
        admitted = post(
            central,
            f"/members/{mover}/admission",
            {"decision": decision("ppo_meeting", almaty.ppo, "2026-03-10")},
        )
        assert admitted.status_code == 200, admitted.text
    with party.clerk_of(almaty) as almaty_clerk, party.clerk_of(astana) as astana_clerk:
        asked = post(
            almaty_clerk,
            f"/members/{mover}/transfer-request",
            {
                "to_organisation_id": astana.ppo,
                "requested_on": "2026-06-01",
                "reason": "residence_change",
            },
        )
        assert asked.status_code == 200, asked.text
        registered = post(
            astana_clerk,
            f"/members/{mover}/transfer",
            {"decision": decision("ppo_meeting", astana.ppo, "2026-06-10")},
        )
        assert (registered.status_code, registered.json()["organisation_id"]) == (200, astana.ppo)
        assert almaty_clerk.get(f"/members/{mover}").status_code == 404
        assert astana_clerk.get(f"/members/{mover}").json()["organisation_id"] == astana.ppo
