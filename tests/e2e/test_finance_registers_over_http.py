"""The finance registers over HTTP against a served finance process (issue 11 item 7): an
accepted donation found impermissible (Law Art. 18(2)) opens its return and moves from the
monthly receipts (Ch. 12.4) to the refused register, each read as of a date, as JSON and CSV; the
per-donor register names no donor."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_finance_donations_over_http import (  # the served process, one per module
    DECLARATION,
    Finance,
    donation,
    finance,
)
from tests.finance.domain.support import CITIZEN_IIN
from tests.finance.support import ALMATY

__all__ = ["finance"]

pytestmark = pytest.mark.e2e

FINDING = {
    "rule": "foreigner-or-stateless-person",
    "reason": "the donor's passport shows another citizenship",
    "documents": [DECLARATION],
    "found_on": "2024-04-01",
}


def test_a_donation_found_impermissible_over_http_moves_between_the_registers_by_date(
    finance: Finance,
) -> None:
    """Ch. 12.4 and Law Art. 18(2): accepted in January, found in April; as of March it is a
    receipt of Almaty's January, as of April a refusal with its rule and an open obligation."""
    given = donation(credited_on="2024-01-12", bank_document="PP-9001")
    accepted = finance.call("treasurer-almaty", "POST", "/donations", given).json()
    found = finance.call(
        "treasurer-almaty", "POST", f"/donations/{accepted['donation_id']}/finding", FINDING
    )
    assert found.status_code == 200, found.text
    assert found.json()["status"] == "found_impermissible"

    def receipts(as_of: str) -> list[dict[str, object]]:
        answer = finance.call(
            "auditor", "GET", "/reports/monthly-receipts", params={"year": 2024, "as_of": as_of}
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, object]] = answer.json()["items"]
        return items

    assert receipts("2024-03-31") == [
        {
            "regional_branch_id": str(ALMATY),
            "month": "2024-01-01",
            "fund": "party_funds",
            "accepted": 1,
            "accepted_tiyn": 5_000_000,
        }
    ]
    assert receipts("2024-04-01") == []
    refused = finance.call(
        "treasurer-almaty",
        "GET",
        "/reports/refused-donations",
        params={"year": 2024, "as_of": "2024-04-01", "format": "csv"},
    )
    assert refused.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(refused.text)))
    assert (row["decision"], row["rule"]) == (
        "found_impermissible",
        "foreigner-or-stateless-person",
    )
    assert "Art. 18(2)" in row["clause"]
    obligations = finance.call(
        "auditor", "GET", "/obligations", params={"as_of": "2024-04-01", "format": "csv"}
    )
    [owed] = [
        o for o in csv.DictReader(io.StringIO(obligations.text)) if o["opened_on"] == "2024-04-01"
    ]
    assert (owed["cause"], owed["status"], owed["deadline"]) == (
        "found_impermissible",
        "open",
        "2024-05-01",
    )


def test_the_donor_register_over_http_gives_figures_by_digest_and_never_the_donor(
    finance: Finance,
) -> None:
    finance.call("treasurer", "POST", "/donations", donation(credited_on="2023-05-02"))
    answer = finance.call("auditor", "GET", "/reports/donors", params={"year": 2023})
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["items"]
    assert (row["fund"], row["accepted_tiyn"], row["cap_tiyn"]) == ("party_funds", 5_000_000, None)
    assert CITIZEN_IIN not in answer.text
    assert "Абенова" not in answer.text
    as_csv = finance.call(
        "auditor", "GET", "/reports/donors", params={"year": 2023, "format": "csv"}
    )
    assert row["donor_digest"] in as_csv.text


def test_a_finding_naming_no_prohibited_source_is_refused_naming_the_field(
    finance: Finance,
) -> None:
    given = donation(credited_on="2022-01-12", bank_document="PP-9002")
    accepted = finance.call("treasurer", "POST", "/donations", given).json()
    refused = finance.call(
        "treasurer",
        "POST",
        f"/donations/{accepted['donation_id']}/finding",
        {**FINDING, "rule": "declaration-documented"},
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["field"] == "rule"
    period = finance.call("auditor", "GET", "/reports/monthly-receipts")
    assert (period.status_code, period.json()["field"]) == (422, "year")


def test_an_empty_register_as_csv_still_has_its_header(finance: Finance) -> None:
    empty = finance.call(
        "auditor", "GET", "/reports/refused-donations", params={"year": 2001, "format": "csv"}
    )
    assert empty.status_code == 200
    assert empty.text.splitlines() == [
        "donation_id,organisation_id,fund,donor_kind,amount_tiyn,credited_on,decision,"
        "decided_on,returned_tiyn,rule,clause"
    ]
