"""docs/production.md's "Signing in" section, checked against the code: every `partia` claim it
shows is one the services accept and means what the guide says, its organisation ids are the
bootstrap's, and the settings it names are ones the code reads."""

from __future__ import annotations

import json
import re
from uuid import UUID

import pytest

from partia_kit.auth import Principal, authorise
from partia_kit.auth.tokens import principal_from_claims
from partia_kit.http.problems import ApiProblem
from partia_registry.api.permissions import READ_CONTACT, READ_MEMBERS, READ_REPORTS
from partia_registry.application.bootstrap import PartyDefinition, organisation_id
from tests.deploy.support import ROOT, settings_variables

GUIDE = (ROOT / "docs" / "production.md").read_text()
SECTION = GUIDE.split("## Signing in: the party's identity provider", 1)[1].split("\n## ", 1)[0]
CLAIMS = [json.loads(block) for block in re.findall(r"```json\n\s*(.*?)\n\s*```", SECTION, re.S)]
PARTY = PartyDefinition.load("baytaq")


def principal(claim: dict[str, object]) -> Principal:
    return principal_from_claims(
        {"sub": "f3c1e2d4", "preferred_username": "aigerim", "partia": claim}
    )


def test_the_guide_shows_a_claim_for_a_clerk_an_auditor_operations_and_a_service_account() -> None:
    roles = [{grant["role"] for grant in claim["roles"]} for claim in CLAIMS]
    assert roles == [{"clerk"}, {"auditor"}, {"operations"}, {"service"}]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c["roles"][0]["role"])
def test_every_partia_claim_the_guide_shows_is_accepted(claim: dict[str, object]) -> None:
    assert principal(claim).roles


def test_the_regional_clerk_of_the_guide_reaches_almaty_only_and_the_auditor_the_whole_party() -> (
    None
):
    clerk, auditor, *_ = (principal(claim) for claim in CLAIMS)
    almaty = organisation_id(PARTY.code, "almaty-city")
    astana = organisation_id(PARTY.code, "astana")
    scope = authorise(clerk, READ_MEMBERS, {}, PARTY.party_id)
    assert scope.covers([almaty, PARTY.party_id])
    assert not scope.covers([astana, PARTY.party_id])
    with pytest.raises(ApiProblem) as refused:  # a party-wide report needs a party-wide grant
        authorise(clerk, READ_REPORTS, {}, PARTY.party_id)
    assert refused.value.status == 403
    assert authorise(auditor, READ_REPORTS, {}, PARTY.party_id).whole_party


def test_the_guides_service_account_claim_reads_contacts_for_notifications_only() -> None:
    (service,) = (claim for claim in CLAIMS if claim.get("service"))
    account = principal(service)
    assert account.service == "notifications"
    authorise(account, READ_CONTACT, {"member_id": "0" * 32})
    finance = principal({**service, "service": "finance"})
    with pytest.raises(ApiProblem) as refused:
        authorise(finance, READ_CONTACT, {"member_id": "0" * 32})
    assert refused.value.status == 403


def test_the_organisation_ids_the_guide_lists_are_the_bootstraps() -> None:
    rows = re.findall(r"\| `([a-z-]+)` \| `([0-9a-f-]{36})` \|", SECTION)
    assert len(rows) >= 3
    codes = {"party"} | {branch.code for branch in PARTY.regional_branches}
    for code, listed in rows:
        assert code in codes
        assert UUID(listed) == organisation_id(PARTY.code, code), code
    quoted = set(re.findall(r'"organisation": "([0-9a-f-]{36})"', SECTION))
    assert quoted <= {listed for _, listed in rows}


def test_every_setting_the_section_names_is_one_the_code_reads() -> None:
    named = set(re.findall(r"`(PARTIA_[A-Z_]+)`", SECTION))
    assert {"PARTIA_AUTH_ISSUER", "PARTIA_AUTH_JWKS_URL", "PARTIA_AUTH_AUDIENCE"} <= named
    assert named <= settings_variables()
