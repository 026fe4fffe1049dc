"""Function-level access control (issue 10, items 1 and 3), over HTTP against a real registry
process, with real JWTs from the local issuer: every operation of the OpenAPI document declares
its permission, and each role is refused (403, naming the rule and the permission) or allowed
each operation as declared (decisions 140-143)."""

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
from partia_kit.testing import output_of
from partia_registry.api.app import create_app
from partia_registry.api.permissions import OPERATIONS
from partia_registry.application.bootstrap import PartyDefinition
from partia_registry.settings import RegistrySettings
from tests.e2e.access import PUBLIC_OPERATIONS, anonymous_calls, check_declared, walk
from tests.e2e.test_registry_service import application, decision
from tests.processes import registry_process, served_with_issuer
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e

ROOT = PartyDefinition.load("baytaq").party_id


def openapi_operations() -> list[tuple[str, str, dict[str, Any]]]:
    spec = create_app().openapi()
    return [
        (method.upper(), path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_in_the_openapi_document_declares_its_permission() -> None:
    assert len(openapi_operations()) > 30
    check_declared(create_app().openapi(), OPERATIONS)


@dataclass
class Registry:
    base: str
    issuer: LocalIssuer
    ppo: str
    applicant: str
    tokens: dict[str, str]

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture(scope="module")
def registry(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One registry process for the module, accepting only the local issuer's tokens."""
    workspace = tmp_path_factory.mktemp("issuer")
    with served_with_issuer(database_url, workspace) as (base, issuer):
        clerk = issuer.mint("aigerim", [Grant(Role.CLERK, ROOT)])
        ppo, applicant = _a_ppo_with_an_applicant(base, clerk)
        tokens = {
            "clerk": clerk,
            "treasurer": issuer.mint("tolkyn", [Grant(Role.TREASURER, ROOT)]),
            "auditor": issuer.mint("ainur", [Grant(Role.AUDITOR, ROOT)]),
            "operations": issuer.mint("ops", [Grant(Role.OPERATIONS)]),
            "member": issuer.mint("asel", [Grant(Role.MEMBER)], member_id=uuid.UUID(applicant)),
            "service": issuer.mint("finance", [Grant(Role.SERVICE)], service="finance"),
            "notifications": issuer.mint(
                "notifications", [Grant(Role.SERVICE)], service="notifications"
            ),
            "nobody": issuer.mint("stranger", []),
        }
        yield Registry(base, issuer, ppo, applicant, tokens)


def _a_ppo_with_an_applicant(base: str, clerk: str) -> tuple[str, str]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {clerk}"}) as client:
        regions = client.get("/organisations", params={"kind": "regional_branch"}).json()
        astana = next(r for r in regions["items"] if r["code"] == "astana")

        def post(path: str, body: dict[str, Any]) -> str:
            answer = client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            assert answer.status_code in (200, 201), answer.text
            return str(answer.json().get("organisation_id") or answer.json()["member_id"])

        names = {"kk": "Тест", "ru": "Тест", "en": "Test"}
        district = post(
            "/organisations",
            {
                "kind": "territorial_branch",
                "parent_id": astana["organisation_id"],
                "names": names,
                "decision": decision("branch_bureau", astana["organisation_id"], "2026-01-10"),
            },
        )
        ppo = post(
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": names,
                "decision": decision("branch_bureau", district, "2026-01-20"),
            },
        )
        applicant = post("/applications", application(ppo, make_iin(date(1990, 4, 4)), "Asel"))
        return ppo, applicant


def representative(registry: Registry, method: str, path: str) -> tuple[str, dict[str, Any]]:
    """A request for the operation: real organisation and member ids in the path (others made
    up), and for a POST an empty body (refused as invalid if allowed: nothing changes)."""
    known = {"organisation_id": registry.ppo, "member_id": registry.applicant}
    url = re.sub(r"\{(\w+)\}", lambda m: known.get(m[1], str(uuid.uuid4())), path)
    if method == "GET":
        return url, {}
    return url, {"json": {}, "headers": {"Idempotency-Key": str(uuid.uuid4())}}


ROLES = [
    "clerk",
    "treasurer",
    "auditor",
    "operations",
    "member",
    "service",
    "notifications",
    "nobody",
]


@pytest.mark.parametrize("who", ROLES)
def test_each_role_is_refused_every_operation_it_lacks_the_permission_for_and_allowed_the_rest(
    registry: Registry, who: str
) -> None:
    allowed = walk(
        registry.base,
        OPERATIONS,
        who,
        registry.tokens[who],
        lambda method, path: representative(registry, method, path),
    )
    # what issue 10 item 2 says each role may do in the registry
    posts = {(m, p) for m, p in OPERATIONS if m == "POST"}
    everything = set(OPERATIONS)
    expected = {
        "clerk": everything
        - {("GET", "/events"), ("GET", "/read-model"), ("POST", "/read-model/rebuild")}
        - {("GET", "/access-log"), ("GET", "/members/{member_id}/access-log")}
        - {("GET", "/members/{member_id}/contact"), ("POST", "/members/lookup")},
        "auditor": everything - posts - {("GET", "/members/{member_id}/contact")},
        "operations": {("GET", "/read-model"), ("POST", "/read-model/rebuild")},
        "treasurer": {("GET", "/organisations"), ("GET", "/organisations/{organisation_id}")},
        "member": {
            ("GET", "/members/{member_id}"),
            ("GET", "/members/{member_id}/history"),
            ("GET", "/members/{member_id}/access-log"),  # who looked at their data (item 4)
            ("POST", "/members/{member_id}/preferred-language"),  # their notices' language
        },
        "notifications": {("GET", "/members/{member_id}/contact")},
        "service": {("POST", "/members/lookup")},  # finance's account: an IIN's record
    }.get(who, set())
    assert allowed == expected | PUBLIC_OPERATIONS


def test_without_a_token_every_operation_but_health_ready_and_metrics_answers_401(
    registry: Registry,
) -> None:
    anonymous_calls(
        registry.base, OPERATIONS, lambda method, path: representative(registry, method, path)
    )
    for page in ("/docs", "/openapi.json"):
        assert httpx.get(registry.base + page).status_code == 200


def test_a_member_reads_their_own_record_and_gets_404_for_anyone_elses(registry: Registry) -> None:
    own = httpx.get(
        f"{registry.base}/members/{registry.applicant}", headers=registry.headers("member")
    )
    assert (own.status_code, own.json()["member_id"]) == (200, registry.applicant)
    other = httpx.get(f"{registry.base}/members/{uuid.uuid4()}", headers=registry.headers("member"))
    assert (other.status_code, other.json()["rule"]) == (404, "not-found")


def test_the_user_named_in_the_token_is_recorded_on_the_events_it_causes(
    registry: Registry,
) -> None:
    history = httpx.get(
        f"{registry.base}/members/{registry.applicant}/history", headers=registry.headers("auditor")
    ).json()["events"]
    assert [e["recorded_by"] for e in history] == ["aigerim"]


def test_an_expired_token_or_one_from_another_issuer_is_refused_with_401(
    registry: Registry,
) -> None:
    expired = registry.issuer.mint("aigerim", [Grant(Role.AUDITOR, ROOT)], expires_in=-3600)
    stranger = LocalIssuer.generate().mint("aigerim", [Grant(Role.AUDITOR, ROOT)])
    for token, reason in ((expired, "expired"), (stranger, "does not publish")):
        answer = httpx.get(
            f"{registry.base}/organisations", headers={"Authorization": f"Bearer {token}"}
        )
        assert (answer.status_code, answer.json()["rule"]) == (401, "authentication-failed")
        assert reason in answer.json()["detail"]


def test_the_registry_refuses_to_start_with_static_tokens_in_production(
    settings: RegistrySettings,
) -> None:
    with registry_process(
        settings, "serve", "--port", "0", tokens="dev=dev-token", PARTIA_ENVIRONMENT="production"
    ) as child:
        assert child.wait(timeout=60) == 2
        assert "static tokens are for local development only" in output_of(child)


def test_the_notifications_service_reads_a_persons_name_and_contacts_and_nothing_else(
    registry: Registry,
) -> None:
    """Issue 10 item 2: a service reads only what it needs; the read is on the access log."""
    contact = httpx.get(
        f"{registry.base}/members/{registry.applicant}/contact",
        headers=registry.headers("notifications"),
    )
    assert contact.status_code == 200, contact.text
    assert contact.json() == {
        "member_id": registry.applicant,
        "status": "applicant",
        "full_name": "Asel Test",
        "email": None,
        "phone": None,
        "preferred_language": "kk",  # not stated: the registry's default (decision 266)
        "language_stated": False,
    }
    log = httpx.get(
        f"{registry.base}/access-log",
        params={"user": "notifications"},
        headers=registry.headers("auditor"),
    ).json()["items"]
    # (the walk over every operation read it as well: one record per read)
    assert log
    assert {(e["operation"], tuple(e["member_ids"]), tuple(e["fields"])) for e in log} == {
        (
            "member_contact",
            (registry.applicant,),
            ("full_name", "email", "phone", "preferred_language"),
        )
    }
    finance = httpx.get(
        f"{registry.base}/members/{registry.applicant}/contact", headers=registry.headers("service")
    )
    assert (finance.status_code, finance.json()["rule"]) == (403, "permission-required")


def test_an_erased_person_has_no_contact_left_for_the_notifications_service(
    registry: Registry,
) -> None:
    clerk = {"Authorization": f"Bearer {registry.tokens['clerk']}"}
    with httpx.Client(base_url=registry.base, headers=clerk) as client:

        def post(path: str, body: dict[str, Any]) -> httpx.Response:
            return client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})

        person = post(
            "/applications", application(registry.ppo, make_iin(date(1993, 9, 9)), "Gone")
        )
        member = person.json()["member_id"]
        rejected = post(
            f"/members/{member}/rejection",
            {"decision": decision("ppo_meeting", registry.ppo, "2026-03-05"), "reason": "test"},
        )
        assert rejected.status_code == 200, rejected.text
        erased = post(
            f"/members/{member}/erasure",
            {"legal_basis": "the person's request", "request_reference": "REQ-1"},
        )
        assert erased.status_code == 200, erased.text
    gone = httpx.get(
        f"{registry.base}/members/{member}/contact", headers=registry.headers("notifications")
    )
    assert (gone.status_code, gone.json()["rule"]) == (410, "personal-data-erased")
    assert "Gone" not in gone.text
