"""Donations over HTTP against a served finance process, with real JWTs from the local issuer
(issue 11 items 1-4): each credit checked as it is recorded, every prohibited donor refused with
the rule and the clause, the obligation it opens listed and settled; treasurers act in their
subtree only (decision 165); the auditor reads and changes nothing; every POST needs an
Idempotency-Key and a retry records nothing twice."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from partia_finance.api.app import create_app
from partia_finance.api.permissions import OPERATIONS
from partia_finance.settings import FinanceSettings
from partia_kit import testing
from partia_kit.auth import Grant, Role
from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.testing import new_master_key, new_schema
from tests.e2e.access import PUBLIC_OPERATIONS, anonymous_calls, check_declared, walk
from tests.finance.domain.support import CITIZEN_IIN, NON_RESIDENT_BIN
from tests.finance.support import ALMATY, ASTANA, PARTY, seed_tree_at

pytestmark = pytest.mark.e2e


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


PAYMENT = {"kind": "payment", "reference": "PP-4471.pdf", "sha256": sha("PP-4471")}
DECLARATION = {"kind": "declaration", "reference": "decl-031.pdf", "sha256": sha("decl-031")}


@dataclass
class Finance:
    base: str
    tokens: dict[str, str]

    def call(self, who: str | None, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        if method == "POST":
            headers["Idempotency-Key"] = kw.pop("key", str(uuid.uuid4()))
        return httpx.request(method, self.base + path, json=body, headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def finance(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Finance]:
    issuer = LocalIssuer.generate()
    jwks = tmp_path_factory.mktemp("issuer") / "jwks.json"
    settings = FinanceSettings(
        database_url=database_url,
        database_schema=new_schema(),
        master_key=new_master_key(),
        data_dir=Path("/nonexistent"),
    )
    with testing.served(
        "partia_finance", settings, tokens="", **local_issuer_environment(issuer, jwks)
    ) as base:
        seed_tree_at(database_url, settings.database_schema)
        tokens = {
            "treasurer": issuer.mint("tolkyn", [Grant(Role.TREASURER, PARTY)]),
            "treasurer-almaty": issuer.mint("dana", [Grant(Role.TREASURER, ALMATY)]),
            "auditor": issuer.mint("ainur", [Grant(Role.AUDITOR, PARTY)]),
            "operations": issuer.mint("ops", [Grant(Role.OPERATIONS)]),
            "clerk": issuer.mint("aigerim", [Grant(Role.CLERK, PARTY)]),
            "member": issuer.mint("asel", [Grant(Role.MEMBER)], member_id=uuid.uuid4()),
            "nobody": issuer.mint("stranger", []),
        }
        yield Finance(base, tokens)


def donation(**given: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount_tiyn": 5_000_000,
        "credited_on": "2026-03-02",
        "bank_document": "PP-4471",
        "organisation_id": str(ALMATY),
        "purpose": {"kind": "party_funds"},
        "donor": {
            "kind": "person",
            "iin": CITIZEN_IIN,
            "surname": "Абенова",
            "given_name": "Айгерим",
            "citizenship": "KZ",
            "receives_foreign_grants": False,
        },
        "evidence": [PAYMENT, DECLARATION],
    }
    body.update(given)
    return body


def test_a_citizens_documented_donation_is_accepted_with_every_rule_checked_listed(
    finance: Finance,
) -> None:
    """Constitution Art. 6(4), Law Art. 18(2): accepted names every rule it checked."""
    made = finance.call("treasurer-almaty", "POST", "/donations", donation())
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "accepted"
    seen = finance.call("treasurer-almaty", "GET", f"/donations/{made.json()['donation_id']}")
    assert seen.status_code == 200, seen.text
    view = seen.json()
    assert view["donor"]["iin"] == CITIZEN_IIN
    assert view["recorded_by"] == "dana"  # the user in the token, on the event
    decision = view["history"][-1]
    assert decision["kind"] == "accepted"
    assert decision["recorded_by"] == "dana"
    # two kinds of time: the business dates, and when it was recorded
    assert (view["credited_on"], decision["on"]) == ("2026-03-02", "2026-03-02")
    assert datetime.fromisoformat(view["recorded_at"]).utcoffset() == timedelta(0)
    rules = {check["rule"] for check in decision["checks"]}
    assert rules == {  # every rule that applies to a person, each with its clause
        "identification-number",
        "foreigner-or-stateless-person",
        "foreign-grants",
        "declaration-documented",
    }
    assert all(check["clause"] for check in decision["checks"])


def test_the_documented_example_donation_is_accepted_as_the_docs_promise(finance: Finance) -> None:
    """Law Art. 18(2): the /docs example a treasurer copies carries a valid IIN and its
    evidence, so it is accepted (it once had a wrong check digit and was refused)."""
    spec = finance.call(None, "GET", "/openapi.json").json()
    [example] = spec["components"]["schemas"]["ReceiveDonationRequest"]["examples"]
    made = finance.call(
        "treasurer", "POST", "/donations", {**example, "organisation_id": str(ALMATY)}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["status"], made.json()["rule"]) == ("accepted", None)


def test_a_non_resident_company_is_refused_with_the_rule_and_clause_and_its_money_owed_back(
    finance: Finance,
) -> None:
    """BIN digit 5 = 5: a foreign legal entity, prohibited whatever is declared (Art. 18(2))."""
    company = {"kind": "organisation", "bin": NON_RESIDENT_BIN, "name": "Foreign LLP"}
    made = finance.call("treasurer", "POST", "/donations", donation(donor=company))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "rejected"
    view = finance.call("auditor", "GET", f"/donations/{made.json()['donation_id']}").json()
    assert "Art. 18(2)" in view["history"][-1]["clause"]
    obligation = made.json()["obligation_id"]
    listed = finance.call("auditor", "GET", "/obligations", params={"as_of": "2026-03-10"})
    ours = next(o for o in listed.json()["items"] if o["obligation_id"] == obligation)
    assert (ours["status"], ours["deadline"], ours["disposition"]) == (
        "open",
        "2026-04-01",
        "return_to_donor",
    )
    late = finance.call("auditor", "GET", "/obligations", params={"as_of": "2026-04-02"})
    assert obligation in {
        o["obligation_id"] for o in late.json()["items"] if o["status"] == "overdue"
    }
    settled = finance.call(
        "treasurer",
        "POST",
        f"/obligations/{obligation}/settlement",
        {"payment_reference": "PP-9001", "settled_on": "2026-03-20"},
    )
    assert settled.status_code == 200, settled.text
    after = finance.call("auditor", "GET", "/obligations", params={"status": "settled"})
    assert obligation in {o["obligation_id"] for o in after.json()["items"]}


def test_cash_is_refused_with_its_clause_and_nothing_is_recorded(finance: Finance) -> None:
    """Ch. 12.6: donations are credited to the party's bank account."""
    refused = finance.call("treasurer", "POST", "/donations", donation(channel="cash"))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["clause"] == "Ch. 12.6"
    assert refused.json()["rule"]


def test_a_held_donation_is_accepted_once_its_declaration_arrives(finance: Finance) -> None:
    made = finance.call("treasurer", "POST", "/donations", donation(evidence=[PAYMENT]))
    assert made.json()["status"] == "held", made.text
    added = finance.call(
        "treasurer",
        "POST",
        f"/donations/{made.json()['donation_id']}/evidence",
        {"documents": [DECLARATION], "added_on": "2026-03-05"},
    )
    assert (added.status_code, added.json()["status"]) == (200, "accepted"), added.text


def test_a_retry_with_the_same_idempotency_key_records_the_donation_once(finance: Finance) -> None:
    first = finance.call("treasurer", "POST", "/donations", donation(), key="once")
    again = finance.call("treasurer", "POST", "/donations", donation(), key="once")
    assert again.json()["donation_id"] == first.json()["donation_id"]
    assert again.headers["idempotent-replayed"] == "true"
    missing = httpx.post(
        f"{finance.base}/donations",
        json=donation(),
        headers={"Authorization": f"Bearer {finance.tokens['treasurer']}"},
    )
    assert (missing.status_code, missing.json()["field"]) == (400, "Idempotency-Key")


def test_a_branch_treasurer_acts_and_reads_in_their_branch_only(finance: Finance) -> None:
    """Decision 165: another branch's organisation is unknown to them, its donations 404."""
    elsewhere = finance.call(
        "treasurer-almaty", "POST", "/donations", donation(organisation_id=str(ASTANA))
    )
    assert (elsewhere.status_code, elsewhere.json()["field"]) == (422, "organisation_id")
    astana = finance.call("treasurer", "POST", "/donations", donation(organisation_id=str(ASTANA)))
    hidden = finance.call("treasurer-almaty", "GET", f"/donations/{astana.json()['donation_id']}")
    assert (hidden.status_code, hidden.json()["rule"]) == (404, "not-found")
    listed = finance.call("treasurer-almaty", "GET", "/donations").json()["items"]
    assert listed
    assert {row["organisation_id"] for row in listed} == {str(ALMATY)}
    everything = finance.call("auditor", "GET", "/donations").json()["items"]
    assert str(ASTANA) in {row["organisation_id"] for row in everything}


def test_the_auditor_reads_everything_and_may_record_nothing(finance: Finance) -> None:
    refused = finance.call("auditor", "POST", "/donations", donation())
    assert (refused.status_code, refused.json()["permission"]) == (403, "record-donations")
    period = {"from": "2026-01-01", "to": "2026-12-31", "decision": "accepted"}
    rows = finance.call("auditor", "GET", "/donations", params=period).json()["items"]
    assert rows
    assert {row["status"] for row in rows} == {"accepted"}
    assert all("iin" not in row for row in rows)  # lists carry no personal data
    backwards = finance.call(
        "auditor", "GET", "/donations", params={"from": "2026-12-31", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422


def test_a_donors_identity_is_kept_for_the_retention_period_and_erased_after_it(
    finance: Finance,
) -> None:
    """Ch. 12.9: records kept 5 years (configuration); after that the names and IIN go (the key
    is destroyed), the amount, dates and decision stay."""
    made = finance.call("treasurer", "POST", "/donations", donation()).json()
    path = f"/donations/{made['donation_id']}"
    early = finance.call("treasurer", "POST", f"{path}/erasure", {"erased_on": "2031-03-02"})
    assert (early.status_code, early.json()["rule"]) == (409, "retention-period"), early.text
    assert "2031-03-02 inclusive" in early.json()["detail"]
    assert early.json()["clause"].startswith("Ch. 12.9")
    erased = finance.call("treasurer", "POST", f"{path}/erasure", {"erased_on": "2031-03-03"})
    assert erased.status_code == 200, erased.text
    view = finance.call("auditor", "GET", path).json()
    assert view["donor"]["personal_data_erased"] is True
    assert CITIZEN_IIN not in json.dumps(view)
    assert (view["amount_tiyn"], view["status"]) == (5_000_000, "accepted")


def test_a_statement_imported_twice_records_each_credit_once_and_lists_what_it_cannot_read(
    finance: Finance,
) -> None:
    """Issue 11 item 8: each credit checked as it is imported (a statement carries no
    declaration: a citizen's credit is held until it arrives), every prohibited donor refused."""
    statement = "\n".join(
        [
            "credited_on,amount,currency,document,payer_kind,payer_id,payer_name,purpose",
            f"2026-03-03,25000.00,KZT,ST-1,person,{CITIZEN_IIN},Абенова Айгерим,party_funds",
            "2026-03-03,1000.00,KZT,ST-2,anonymous,,,",
            f"2026-03-04,90000.50,KZT,ST-3,organisation,{NON_RESIDENT_BIN},Foreign LLP,",
            "2026-03-04,-500.00,KZT,ST-4,anonymous,,,",
        ]
    )
    body = {"organisation_id": str(ALMATY), "csv": statement}
    first = finance.call("treasurer-almaty", "POST", "/statements", body)
    assert first.status_code == 200, first.text
    outcomes = [line["outcome"] for line in first.json()["lines"]]
    assert outcomes == ["held", "rejected", "rejected", "unmatched"]
    # each refused credit names the rule that refused it (Law Art. 18(2))
    assert [line["rule"] for line in first.json()["lines"][:3]] == [
        None,
        "anonymous-donor",
        "foreign-state-or-legal-entity",  # a non-resident BIN, whatever is declared
    ]
    assert all("18(2)" in line["clause"] for line in first.json()["lines"][1:3])
    assert "debit" in first.json()["lines"][3]["reason"]
    again = finance.call("treasurer-almaty", "POST", "/statements", body).json()
    assert (again["recorded"], again["already_imported"], again["unmatched"]) == (0, 3, 1)
    assert [line["donation_id"] for line in again["lines"][:3]] == [
        line["donation_id"] for line in first.json()["lines"][:3]
    ]
    held = first.json()["lines"][0]["donation_id"]
    declared = finance.call(
        "treasurer-almaty",
        "POST",
        f"/donations/{held}/evidence",
        {
            "documents": [DECLARATION],
            "declarations": {
                "kind": "person",
                "citizenship": "KZ",
                "receives_foreign_grants": False,
            },
            "added_on": "2026-03-06",
        },
    )
    assert declared.json()["status"] == "accepted", declared.text
    unreadable = finance.call(
        "treasurer-almaty", "POST", "/statements", {**body, "csv": "a,b\n1,2"}
    )
    assert (unreadable.status_code, unreadable.json()["field"]) == (422, "csv")


def test_the_annual_statement_sums_the_years_receipts_by_fund_and_source_as_of_a_date(
    finance: Finance,
) -> None:
    """Ch. 12.10: published receipts by source; as of a date before any decision, nothing."""
    company = {"kind": "organisation", "bin": NON_RESIDENT_BIN, "name": "Foreign LLP"}
    finance.call("treasurer", "POST", "/donations", donation(credited_on="2025-06-01"))
    finance.call(
        "treasurer", "POST", "/donations", donation(credited_on="2025-06-02", donor=company)
    )
    report = finance.call("auditor", "GET", "/reports/annual-statement", params={"year": 2025})
    assert report.status_code == 200, report.text
    rows = {(r["fund"], r["donor_kind"]): r for r in report.json()["items"]}
    assert rows[("party_funds", "person")]["accepted_tiyn"] == 5_000_000
    assert rows[("party_funds", "organisation")]["rejected_tiyn"] == 5_000_000
    assert CITIZEN_IIN not in report.text
    before = finance.call(
        "auditor", "GET", "/reports/annual-statement", params={"year": 2025, "as_of": "2025-05-31"}
    )
    assert before.json()["items"] == []


# --- access control, as for every service (tests/e2e/access.py) ------------------------------


def representative(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """Made-up ids in the path, and for a POST an empty body (refused as invalid if allowed:
    nothing changes)."""
    url = re.sub(r"\{(\w+)\}", lambda _: str(uuid.uuid4()), path)
    if method == "GET":
        return url, {}
    return url, {"json": {}, "headers": {"Idempotency-Key": str(uuid.uuid4())}}


def test_every_finance_operation_declares_its_permission() -> None:
    check_declared(create_app().openapi(), OPERATIONS)


@pytest.mark.parametrize(
    "who", ["treasurer", "treasurer-almaty", "auditor", "operations", "clerk", "member", "nobody"]
)
def test_each_role_is_refused_every_finance_operation_it_lacks_the_permission_for(
    finance: Finance, who: str
) -> None:
    """Issue 11 item 1 with issue 10's rules: the treasurer records and reads donations (in their
    subtree), the auditor reads everything and changes nothing, operations reads no personal
    data (nothing here), a clerk or member nothing yet."""
    allowed = walk(finance.base, OPERATIONS, who, finance.tokens[who], representative)
    everything = set(OPERATIONS)
    auditors_only = {("GET", "/access-log")}  # decision 247
    expected = {
        "treasurer": everything - auditors_only,
        "treasurer-almaty": everything - auditors_only,
        "auditor": {op for op in everything if op[0] == "GET"},
    }.get(who, PUBLIC_OPERATIONS)
    assert allowed == expected


def test_without_a_token_every_finance_operation_but_health_ready_and_metrics_answers_401(
    finance: Finance,
) -> None:
    anonymous_calls(finance.base, OPERATIONS, representative)
