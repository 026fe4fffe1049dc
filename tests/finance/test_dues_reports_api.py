"""The dues reports over HTTP (issue 12 item 6), against the finance app on the real database:
arrears per level and per member of a PPO as JSON and CSV on past dates, the collections per
regional branch (Ch. 12.4), the members without a declaration, and clear refusals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from partia_finance.api.app import create_app
from partia_finance.settings import FinanceSettings
from tests.finance.support import ALMATY, PARTY, seed_tree_at

TOKEN = {"Authorization": "Bearer treasurer-token"}
DISTRICT, PPO = uuid4(), uuid4()
MEMBER, STUDENT = uuid4(), uuid4()


def insert(url: str, schema: str, name: str, row: dict[str, Any]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            SQL("INSERT INTO {} ({}) VALUES ({})").format(
                Identifier(schema, name),
                SQL(", ").join(map(Identifier, row)),
                SQL(", ").join(SQL("%s") for _ in row),
            ),
            list(row.values()),
        )


@pytest.fixture
def client(finance_settings: FinanceSettings) -> Iterator[TestClient]:
    """A PPO in Almaty with a working member admitted on 10 January 2024 who paid the fee and
    January on 20 January, and a student admitted the same day who declared it."""
    with TestClient(create_app(finance_settings)) as client:
        url, schema = finance_settings.database_url, finance_settings.database_schema
        assert url is not None
        seed_tree_at(url, schema)
        for org, parent, kind in (
            (DISTRICT, ALMATY, "territorial_branch"),
            (PPO, DISTRICT, "primary_organisation"),
        ):
            insert(url, schema, "finance_organisations", {"organisation_id": org,
                   "parent_id": parent, "kind": kind, "registry_position": 0})  # fmt: skip
        for member, card in ((MEMBER, "00000001"), (STUDENT, "00000002")):
            insert(url, schema, "finance_membership_spells", {"member_id": member,
                   "organisation_id": PPO, "from_on": date(2024, 1, 10), "opened_by": "admission",
                   "card_number": card, "registry_position": 1})  # fmt: skip
        insert(url, schema, "finance_dues_categories", {"member_id": STUDENT,
               "effective_from": date(2024, 1, 10), "category": "student",
               "declared_on": date(2024, 1, 10)})  # fmt: skip
        insert(url, schema, "finance_dues_payments", {"payment_id": uuid4(), "member_id": MEMBER,
               "organisation_id": PPO, "paid_on": date(2024, 1, 20), "amount_tiyn": 73_840,
               "channel": "cash", "reference": "R-1"})  # fmt: skip
        yield client


def get(client: TestClient, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params, headers=TOKEN)
    assert answer.status_code == 200, answer.text
    return answer


def test_arrears_per_level_on_past_dates_count_months_and_amounts(client: TestClient) -> None:
    """Ch. 12.2, decision 216: on 1 April 2024 the working member owes February and March
    (0.1 MCI = 36,920 tiyn each, fee and January paid), the student January to March
    (0.01 MCI = 3,692 each, no fee); on 1 February only the student owes January."""
    april = get(client, "/reports/dues-arrears", level="regional_branch", as_of="2024-04-01")
    assert april.json()["items"] == [
        {"organisation_id": str(ALMATY), "kind": "regional_branch", "parent_id": str(PARTY),
         "members_in_arrears": 2, "months_owed": 5, "arrears_tiyn": 2 * 36_920 + 3 * 3_692}
    ]  # fmt: skip
    february = get(client, "/reports/dues-arrears", as_of="2024-02-01").json()["items"]
    assert [
        (r["organisation_id"], r["members_in_arrears"], r["arrears_tiyn"]) for r in february
    ] == [(str(PARTY), 1, 3_692)]


def test_arrears_per_member_of_a_ppo_as_json_and_csv(client: TestClient) -> None:
    members = get(
        client, "/reports/dues-arrears/members", organisation_id=str(PPO), as_of="2024-04-01"
    ).json()["items"]
    assert [(r["card_number"], r["months_owed"], r["arrears_tiyn"]) for r in members] == [
        ("00000001", 2, 73_840),
        ("00000002", 3, 11_076),
    ]
    answer = get(client, "/reports/dues-arrears/members", organisation_id=str(PPO),
                 as_of="2024-04-01", format="csv")  # fmt: skip
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["card_number"], r["total_arrears_tiyn"]) for r in rows] == [
        ("00000001", "73840"),
        ("00000002", "11076"),
    ]


def test_collections_per_regional_branch_and_month(client: TestClient) -> None:
    """Ch. 12.4: the January payment counts for Almaty's January."""
    items = get(client, "/reports/dues-collected", year=2024).json()["items"]
    assert items == [
        {"regional_branch_id": str(ALMATY), "period": "2024-01-01", "payments": 1,
         "paid_tiyn": 73_840, "reversed": 0, "reversed_tiyn": 0, "collected_tiyn": 73_840}
    ]  # fmt: skip
    per_year = get(client, "/reports/dues-collected", year=2024, per="year").json()["items"]
    assert [(r["period"], r["collected_tiyn"]) for r in per_year] == [("2024-01-01", 73_840)]


def test_members_without_a_declaration_are_listed(client: TestClient) -> None:
    """Ch. 12.2: no category declared means the working rate, and such members are a report."""
    items = get(client, "/reports/dues-undeclared", as_of="2024-03-01").json()["items"]
    assert [(r["member_id"], r["card_number"]) for r in items] == [(str(MEMBER), "00000001")]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/reports/dues-arrears", {"level": "galaxy"}, 422, "level"),
        ("/reports/dues-arrears/members", {}, 422, "organisation_id"),
        (
            "/reports/dues-arrears/members",
            {"organisation_id": str(UUID(int=7))},
            422,
            "organisation_id",
        ),
        ("/reports/dues-collected", {}, 422, "year"),
    ],
)
def test_bad_requests_are_refused_clearly(
    client: TestClient, path: str, params: dict[str, str], status: int, field: str | None
) -> None:
    answer = client.get(path, params=params, headers=TOKEN)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in answer.text
