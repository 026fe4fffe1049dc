"""Over HTTP: the finance service asks whose record holds an IIN named in a dues credit's payment
purpose (issue 12 item 5, decision 296). Only its account may ask; the IIN goes in the body;
a bad IIN is refused naming the field and the rule; nobody, or an erased person, is 404; each
answer is on the access log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from partia_kit.auth import Role
from partia_kit.auth.principal import Grant
from partia_registry.settings import RegistrySettings
from tests.registry.api.test_access_log_api import log_of
from tests.registry.api.test_http_api import decision, post
from tests.registry.api.test_preferred_language_api import ISSUER, _client, applicant, bearer
from tests.registry.builders import make_iin

FINANCE = bearer(ISSUER.mint("finance", [Grant(Role.SERVICE)], service="finance"))
NOTIFICATIONS = bearer(ISSUER.mint("notifications", [Grant(Role.SERVICE)], service="notifications"))


@pytest.fixture
def client(settings: RegistrySettings, tmp_path: Path) -> Iterator[TestClient]:
    with _client(settings, tmp_path) as test_client:
        yield test_client


def lookup(client: TestClient, iin: str, headers: dict[str, str] = FINANCE) -> Any:
    return post_as(client, "/members/lookup", {"iin": iin}, headers)


def post_as(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(path, json=body, headers={**headers, "Idempotency-Key": "lookup-1"})


def iin_of(client: TestClient, member: str) -> str:
    return str(client.get(f"/members/{member}").json()["person"]["iin"])


def test_the_finance_service_learns_which_record_holds_an_iin_and_nothing_else_of_the_person(
    client: TestClient,
) -> None:
    member = applicant(client, born=1988)
    found = lookup(client, iin_of(client, member))
    assert found.status_code == 200, found.text
    assert found.json() == {"member_id": member, "status": "applicant"}


def test_an_iin_with_a_wrong_check_digit_is_refused_naming_the_field_and_the_rule(
    client: TestClient,
) -> None:
    """DOMAIN §9: the twelfth digit is the check digit."""
    iin = iin_of(client, applicant(client, born=1987))
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    refused = lookup(client, wrong)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert (refused.json()["field"], refused.json()["rule"]) == ("iin", "iin-invalid")
    assert "check digit" in refused.json()["detail"]
    not_twelve = lookup(client, "12345")
    assert (not_twelve.status_code, not_twelve.json()["field"]) == (422, "iin")
    nul = lookup(client, "Ref\x00X")
    assert (nul.status_code, nul.json()["field"]) == (422, "iin")


def test_an_iin_nobody_holds_is_not_found(client: TestClient) -> None:
    unknown = lookup(client, make_iin(date(1979, 3, 3)))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_once_a_persons_data_is_erased_their_iin_finds_nobody(client: TestClient) -> None:
    member = applicant(client, born=1986)
    iin = iin_of(client, member)
    ppo = client.get(f"/members/{member}").json()["organisation_id"]
    rejected = post(
        client,
        f"/members/{member}/rejection",
        {"decision": decision("ppo_bureau", ppo), "reason": "unsigned"},
    )
    assert rejected.status_code == 200, rejected.text
    erased = post(
        client, f"/members/{member}/erasure", {"legal_basis": "Art. 18", "request_reference": "R"}
    )
    assert erased.status_code == 200, erased.text
    assert lookup(client, iin).status_code == 404


def test_no_account_but_the_finance_services_may_ask(client: TestClient) -> None:
    iin = iin_of(client, applicant(client, born=1985))
    for headers in (NOTIFICATIONS, bearer("registrar-token")):
        refused = lookup(client, iin, headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["permission"] == "find-member-by-iin"


def test_each_answer_is_on_the_access_log_with_the_iin_as_the_field_read(
    client: TestClient,
) -> None:
    member = applicant(client, born=1984)
    iin = iin_of(client, member)
    assert lookup(client, iin).status_code == 200
    auditor = TestClient(client.app)
    auditor.headers["Authorization"] = "Bearer auditor-token"
    records = [r for r in log_of(auditor, member_id=member) if r["user"] == "finance"]
    assert [(r["route"], r["fields"]) for r in records] == [("POST /members/lookup", ["iin"])]
