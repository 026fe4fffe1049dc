"""Membership dues over HTTP against a served finance process with real JWTs (issue 12 items 2, 3,
5, 6): a member known from the registry's events (finance's membership view, seeded here as its
consumer leaves it) is charged their entrance fee and months; a treasurer declares a category and
records and reverses payments; the statement of account and arrears on any date follow; a bank
statement line naming the member's party card becomes their dues payment, once; refusals are
problem+json naming the field, the rule and the clause."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from partia_finance.settings import FinanceSettings
from partia_kit import testing
from partia_kit.auth import Grant, Role
from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.testing import new_master_key, new_schema
from tests.finance.dues_support import PPO_ALMATY, PPO_ASTANA, seed_member_at, seed_ppos_at
from tests.finance.support import ALMATY, PARTY, seed_tree_at

pytestmark = pytest.mark.e2e

WORKING_2026 = 43_250


@dataclass
class Finance:
    base: str
    tokens: dict[str, str]
    database_url: str
    schema: str

    def call(self, who: str | None, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        if method == "POST":
            headers["Idempotency-Key"] = kw.pop("key", str(uuid.uuid4()))
        return httpx.request(method, self.base + path, json=body, headers=headers, timeout=30, **kw)

    def member(self, ppo: UUID, admitted: date, card: str) -> str:
        return str(
            seed_member_at(
                self.database_url, self.schema, (ppo, admitted, None, "admission"), card=card
            )
        )


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
        seed_ppos_at(database_url, settings.database_schema)
        tokens = {
            "treasurer": issuer.mint("tolkyn", [Grant(Role.TREASURER, PARTY)]),
            "treasurer-ppo": issuer.mint("dana", [Grant(Role.TREASURER, PPO_ALMATY)]),
            "treasurer-almaty": issuer.mint("erlan", [Grant(Role.TREASURER, ALMATY)]),
            "auditor": issuer.mint("ainur", [Grant(Role.AUDITOR, PARTY)]),
            "clerk": issuer.mint("aigerim", [Grant(Role.CLERK, PARTY)]),
        }
        yield Finance(base, tokens, database_url, settings.database_schema)


def test_a_ppo_treasurer_records_cash_dues_and_the_arrears_follow_on_any_date(
    finance: Finance,
) -> None:
    """Ch. 10.4: the PPO bureau collects dues against its receipt; Ch. 12.2 entrance fee and
    0.1 MCI a month (4,325 KZT in 2026); FIFO allocation (decision 216)."""
    member = finance.member(PPO_ALMATY, date(2026, 1, 20), "BQ-0000101-0")
    before = finance.call(
        "treasurer-ppo", "GET", f"/members/{member}/dues/arrears", params={"as_of": "2026-04-01"}
    )
    assert before.status_code == 200, before.text
    assert (before.json()["months_owed"], before.json()["amount_tiyn"]) == (3, 4 * WORKING_2026)
    paid = finance.call(
        "treasurer-ppo",
        "POST",
        f"/members/{member}/dues/payments",
        {
            "paid_on": "2026-04-02",
            "amount_tiyn": 5 * WORKING_2026,
            "channel": "cash",
            "reference": "Receipt 0042",
        },
    )
    assert paid.status_code == 201, paid.text
    after = finance.call(
        "auditor", "GET", f"/members/{member}/dues/arrears", params={"as_of": "2026-04-03"}
    )
    assert (after.json()["months_owed"], after.json()["amount_tiyn"]) == (0, 0)
    past = finance.call(
        "auditor", "GET", f"/members/{member}/dues/arrears", params={"as_of": "2026-04-01"}
    )
    assert past.json()["months_owed"] == 3  # as of a past date, before the payment
    statement = finance.call(
        "treasurer-ppo", "GET", f"/members/{member}/dues/statement", params={"as_of": "2026-04-30"}
    ).json()
    assert [(c["kind"], c["month"], c["owed_tiyn"]) for c in statement["charges"]] == [
        ("entrance_fee", "2026-01", 0),
        ("month", "2026-01", 0),
        ("month", "2026-02", 0),
        ("month", "2026-03", 0),
        ("month", "2026-04", 0),
    ]
    assert statement["payments"][0]["reference"] == "Receipt 0042"
    assert (statement["credit_tiyn"], statement["balance_tiyn"]) == (0, 0)
    reversed_ = finance.call(
        "treasurer-ppo",
        "POST",
        f"/members/{member}/dues/payments/{paid.json()['payment_id']}/reversal",
        {"reason": "Entered twice", "reversed_on": "2026-04-10"},
    )
    assert reversed_.status_code == 200, reversed_.text
    again = finance.call(
        "auditor", "GET", f"/members/{member}/dues/arrears", params={"as_of": "2026-05-01"}
    )
    assert again.json()["months_owed"] == 4


def test_a_declared_student_rate_lowers_the_months_from_its_date(finance: Finance) -> None:
    """Ch. 12.2: students of higher education pay 0.01 MCI; the category of a month is the one
    in force on its first day; only the rate class is ever returned."""
    member = finance.member(PPO_ALMATY, date(2026, 1, 1), "BQ-0000102-8")
    declared = finance.call(
        "treasurer-ppo",
        "POST",
        f"/members/{member}/dues/categories",
        {
            "category": "student",
            "effective_from": "2026-03-01",
            "evidence_reference": "Student card 12-3456",
            "declared_on": "2026-03-02",
        },
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["rate_class"] == "student"
    statement = finance.call(
        "auditor", "GET", f"/members/{member}/dues/statement", params={"as_of": "2026-03-31"}
    )
    body = statement.json()
    assert [c["amount_tiyn"] for c in body["charges"]] == [
        WORKING_2026,
        WORKING_2026,
        WORKING_2026,
        4_325,
    ]
    assert "student" not in {c["rate_class"] for c in body["charges"][:3]}
    assert "Student card" not in statement.text


def test_refusals_name_the_field_the_rule_and_the_clause(finance: Finance) -> None:
    member = finance.member(PPO_ALMATY, date(2026, 1, 1), "BQ-0000103-6")
    no_evidence = finance.call(
        "treasurer",
        "POST",
        f"/members/{member}/dues/categories",
        {"category": "pensioner", "effective_from": "2026-01-01", "declared_on": "2026-01-02"},
    )
    assert no_evidence.status_code == 422
    assert no_evidence.headers["content-type"] == "application/problem+json"
    assert (
        no_evidence.json()["field"],
        no_evidence.json()["rule"],
        no_evidence.json()["clause"],
    ) == (
        "evidence_reference",
        "dues-category-evidence",
        "Ch. 12.2",
    )
    stranger = finance.call(
        "treasurer",
        "POST",
        f"/members/{uuid.uuid4()}/dues/payments",
        {"paid_on": "2026-02-01", "amount_tiyn": 100, "channel": "cash", "reference": "R-1"},
    )
    assert (stranger.status_code, stranger.json()["rule"]) == (404, "not-found")
    assert "member" in stranger.json()["detail"]
    unknown_payment = finance.call(
        "treasurer",
        "POST",
        f"/members/{member}/dues/payments/{uuid.uuid4()}/reversal",
        {"reason": "x", "reversed_on": "2026-02-01"},
    )
    assert (unknown_payment.status_code, unknown_payment.json()["rule"]) == (404, "not-found")
    assert "dues payment" in unknown_payment.json()["detail"]


def test_treasurers_act_on_members_of_their_subtree_only_and_the_auditor_records_nothing(
    finance: Finance,
) -> None:
    """Decision 165: a member of another branch is unknown to them."""
    astana = finance.member(PPO_ASTANA, date(2026, 1, 1), "BQ-0000104-4")
    body = {"paid_on": "2026-02-01", "amount_tiyn": 100, "channel": "cash", "reference": "R-9"}
    elsewhere = finance.call("treasurer-almaty", "POST", f"/members/{astana}/dues/payments", body)
    assert elsewhere.status_code == 404, elsewhere.text
    hidden = finance.call("treasurer-ppo", "GET", f"/members/{astana}/dues/statement")
    assert hidden.status_code == 404
    auditor = finance.call("auditor", "POST", f"/members/{astana}/dues/payments", body)
    assert (auditor.status_code, auditor.json()["permission"]) == (403, "record-dues")
    clerk = finance.call("clerk", "GET", f"/members/{astana}/dues/arrears")
    assert clerk.status_code == 403


def test_a_retry_with_the_same_key_records_the_payment_once(finance: Finance) -> None:
    member = finance.member(PPO_ALMATY, date(2026, 1, 1), "BQ-0000105-1")
    body = {"paid_on": "2026-02-01", "amount_tiyn": 1_000, "channel": "bank", "reference": "PP-1"}
    first = finance.call(
        "treasurer", "POST", f"/members/{member}/dues/payments", body, key="dues-once"
    )
    again = finance.call(
        "treasurer", "POST", f"/members/{member}/dues/payments", body, key="dues-once"
    )
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert again.headers["idempotent-replayed"] == "true"
    statement = finance.call(
        "auditor", "GET", f"/members/{member}/dues/statement", params={"as_of": "2026-02-02"}
    )
    assert len(statement.json()["payments"]) == 1


def test_a_statement_line_naming_a_party_card_becomes_that_members_dues_once(
    finance: Finance,
) -> None:
    """Issue 12 item 5: the member is identified by the card number in the payment's purpose;
    an unknown card, or a dues line naming none, stays for a person; a second import records
    nothing; donations on the same statement go their own way."""
    member = finance.member(PPO_ALMATY, date(2026, 1, 1), "BQ-0012345-0")
    statement = "\n".join(
        [
            "credited_on,amount,currency,document,payer_kind,payer_id,payer_name,purpose",
            "2026-02-03,432.50,KZT,DU-1,person,,Абенова Айгерим,членские взносы билет 0012345",
            "2026-02-03,432.50,KZT,DU-2,person,,Иванов Иван,членские взносы билет 0099999",
            "2026-02-03,432.50,KZT,DU-3,person,,Иванов Иван,членские взносы за февраль",
            "2026-02-04,1000.00,KZT,DU-4,anonymous,,,",
        ]
    )
    body = {"organisation_id": str(ALMATY), "csv": statement}
    first = finance.call("treasurer-almaty", "POST", "/statements", body)
    assert first.status_code == 200, first.text
    lines = first.json()["lines"]
    assert [line["outcome"] for line in lines] == [
        "dues_recorded",
        "unmatched",
        "unmatched",
        "rejected",
    ]
    assert lines[0]["member_id"] == member
    assert "card" in lines[1]["reason"]
    again = finance.call("treasurer-almaty", "POST", "/statements", body).json()
    assert [line["outcome"] for line in again["lines"][:1]] == ["already_imported"]
    assert again["lines"][0]["payment_id"] == lines[0]["payment_id"]
    account = finance.call(
        "auditor", "GET", f"/members/{member}/dues/statement", params={"as_of": "2026-02-28"}
    )
    assert [p["amount_tiyn"] for p in account.json()["payments"]] == [43_250]
    assert account.json()["payments"][0]["channel"] == "bank"
