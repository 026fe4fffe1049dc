"""The finance registers over HTTP against a served finance process (issue 11 item 7): an
accepted donation found impermissible (Law Art. 18(2)) opens its return and moves from the
monthly receipts (Ch. 12.4) to the refused register, each read as of a date, as JSON and CSV; the
per-donor register names each donor to readers allowed personal data, each read on the finance
access log (decision 247)."""

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
from tests.finance.domain.support import CITIZEN_IIN, RESIDENT_BIN
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


def access_log(finance: Finance, **params: object) -> list[dict[str, object]]:
    answer = finance.call("auditor", "GET", "/access-log", params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_the_donor_register_over_http_names_the_donor_and_puts_the_read_on_the_access_log(
    finance: Finance,
) -> None:
    """Decision 247: the treasurer and the auditor (read-donations) see each donor's name beside
    the figures, never the IIN; each read that opened a person's name is on finance's access log
    with who read it, when, the operation and the donation whose seal was opened."""
    finance.call("treasurer", "POST", "/donations", donation(credited_on="2023-05-02"))
    answer = finance.call("auditor", "GET", "/reports/donors", params={"year": 2023})
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["items"]
    assert (row["fund"], row["accepted_tiyn"], row["cap_tiyn"]) == ("party_funds", 5_000_000, None)
    assert row["donor_name"] == "Абенова Айгерим"
    assert CITIZEN_IIN not in answer.text
    record = access_log(finance, user="ainur")[0]  # newest first
    assert record["roles"] == ["auditor"]
    assert (record["operation"], record["route"]) == ("donor_register", "GET /reports/donors")
    # the name comes from the donor's newest donation (other tests' donations share the donor)
    [opened] = record["donation_ids"]
    assert record["fields"] == ["full_name"]
    assert access_log(finance, donation_id=opened)[0]["id"] == record["id"]
    as_csv = finance.call(
        "treasurer", "GET", "/reports/donors", params={"year": 2023, "format": "csv"}
    )
    [line] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert (line["donor_digest"], line["donor_name"]) == (row["donor_digest"], "Абенова Айгерим")
    by_treasurer = access_log(finance, user="tolkyn")[0]
    assert (by_treasurer["operation"], by_treasurer["donation_ids"]) == ("donor_register", [opened])


def records(finance: Finance) -> int:
    total: int = finance.call("auditor", "GET", "/access-log").json()["total"]
    return total


def test_the_donor_register_without_names_reads_none_and_logs_nothing(finance: Finance) -> None:
    finance.call("treasurer", "POST", "/donations", donation(credited_on="2021-05-02"))
    before = records(finance)
    answer = finance.call(
        "auditor", "GET", "/reports/donors", params={"year": 2021, "names": "false"}
    )
    [row] = answer.json()["items"]
    assert row["donor_name"] is None
    assert "Абенова" not in answer.text
    assert records(finance) == before


def test_an_organisations_name_is_shown_without_an_access_record(finance: Finance) -> None:
    """A company's name is not personal data (Constitution Art. 21 protects persons)."""
    company = {
        "kind": "organisation",
        "bin": RESIDENT_BIN,
        "name": "ТОО «Жасыл Дала»",
        "foreign_participation": False,
        "state_body_or_organisation": False,
        "religious_association": False,
        "charitable_organisation": False,
        "receives_foreign_grants": False,
    }
    made = finance.call(
        "treasurer", "POST", "/donations", donation(credited_on="2020-05-02", donor=company)
    )
    assert made.status_code == 201, made.text
    before = records(finance)
    answer = finance.call("auditor", "GET", "/reports/donors", params={"year": 2020})
    [row] = answer.json()["items"]
    assert (row["donor_kind"], row["donor_name"]) == ("organisation", "ТОО «Жасыл Дала»")
    assert records(finance) == before


def test_reading_one_donation_with_its_donors_personal_data_is_on_the_access_log(
    finance: Finance,
) -> None:
    made = finance.call("treasurer", "POST", "/donations", donation(credited_on="2019-05-02"))
    donation_id = made.json()["donation_id"]
    seen = finance.call("treasurer-almaty", "GET", f"/donations/{donation_id}")
    assert seen.json()["donor"]["iin"] == CITIZEN_IIN
    [record] = access_log(finance, donation_id=donation_id)
    assert (record["user"], record["operation"]) == ("dana", "get_donation")
    assert record["fields"] == ["iin", "surname", "given_name"]


def test_only_an_auditor_over_the_whole_party_reads_the_finance_access_log(
    finance: Finance,
) -> None:
    for who in ("treasurer", "treasurer-almaty", "operations"):
        refused = finance.call(who, "GET", "/access-log")
        assert refused.status_code == 403, who
        assert refused.headers["content-type"].startswith("application/problem+json")
    bad = finance.call("auditor", "GET", "/access-log", params={"limit": 0})
    assert bad.status_code == 422


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
