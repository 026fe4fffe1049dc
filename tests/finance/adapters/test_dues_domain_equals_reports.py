"""Decision 216's promise: the SQL behind the party-wide dues reports (the positions of decision
235) is held equal to the domain's function (`partia_finance.domain.dues`), fed the way the dues
API feeds it (`DuesQueries`, the member's statement and arrears), over generated histories with
transfers, re-admission, restoration, exempt classes, voluntary amounts, reversals, months before
the MCI table and a mid-year MCI change on 15 July."""

from __future__ import annotations

import os
import random
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from partia_finance.adapters.postgres.dues_queries import DuesQueries
from partia_finance.api.app import create_app
from partia_finance.composition import Finance
from partia_finance.domain.mci import MciRate, MciTable
from partia_finance.settings import FinanceSettings
from tests.finance.adapters.test_dues_reports import (
    DATES,
    MCI,
    WHOLE,
    Party,
    new_party,
    random_history,
    store,
)


@pytest.fixture(name="party")
def a_party(finance: Finance) -> Party:
    return new_party(finance)


TOKEN = {"Authorization": "Bearer treasurer-token"}
SEEDS = [int(s) for s in os.environ.get("PARTIA_DUES_SEEDS", "216 12").split()]


def per_organisation(statement: dict[str, Any], day: date) -> dict[UUID, tuple[int, int]]:
    """From the member's statement of account: per organisation where the charges arose, the
    months due before `day` not fully paid and what is still owed (the fee adds to the amount)."""
    found: dict[UUID, tuple[int, int]] = {}
    for line in statement["charges"]:
        if line["due_on"] >= day or line["owed_tiyn"] == 0:
            continue
        months, tiyn = found.get(line["organisation_id"], (0, 0))
        month = 1 if line["kind"] == "month" else 0
        found[line["organisation_id"]] = (months + month, tiyn + line["owed_tiyn"])
    return found


@pytest.mark.parametrize("seed", SEEDS)
def test_the_reports_owe_what_each_members_statement_of_account_says_on_every_date(
    party: Party, finance: Finance, seed: int
) -> None:
    """Decision 216 (Ch. 12.2, 3.2, 5.2): on past and future dates, every member's arrears and
    statement of account as the dues API computes them equal the report's figures per member of
    each PPO (what arose there and in all) and per PPO, and the listed members are exactly those
    with arrears who had a month there by then."""
    rng = random.Random(seed)
    ppos = list(party.ppos)
    members = {uuid4(): random_history(rng, ppos) for _ in range(120)}
    store(party, members)
    queries = DuesQueries(finance.store, MciTable(MciRate(d, k) for d, k in MCI))
    for day in DATES:
        owed: dict[UUID, dict[UUID, tuple[int, int]]] = {}
        totals: dict[UUID, tuple[int, int]] = {}
        present: dict[UUID, set[UUID]] = {}
        for member in members:
            statement = queries.statement(WHOLE, member, day)
            arrears = queries.arrears(WHOLE, member, day)
            owed[member] = per_organisation(statement, day)
            totals[member] = (arrears["months_owed"], arrears["amount_tiyn"])
            assert (
                totals[member]
                == (
                    sum(m for m, _ in owed[member].values()),
                    sum(t for _, t in owed[member].values()),
                )
                == (statement["arrears"]["months_owed"], statement["arrears"]["amount_tiyn"])
            )
            present[member] = {c["organisation_id"] for c in statement["charges"]}
        for ppo in ppos:
            got = {
                r["member_id"]: (r["months_owed"], r["arrears_tiyn"], r["total_months_owed"],
                                 r["total_arrears_tiyn"])
                for r in party.reports.arrears_of_members(ppo, day)
            }  # fmt: skip
            want = {
                m: (*owed[m].get(ppo, (0, 0)), *totals[m])
                for m in members
                if totals[m][1] > 0 and ppo in present[m]
            }
            assert got == want, (day, ppo)
        got_ppos = {
            r["organisation_id"]: (r["members_in_arrears"], r["months_owed"], r["arrears_tiyn"])
            for r in party.reports.arrears_by_organisation(WHOLE, day, "primary_organisation")
        }
        want_ppos: dict[UUID, tuple[int, int, int]] = {}
        for by in owed.values():
            for ppo, (months, tiyn) in by.items():
                n, m, t = want_ppos.get(ppo, (0, 0, 0))
                want_ppos[ppo] = (n + 1, m + months, t + tiyn)
        assert got_ppos == want_ppos, day


def test_a_members_arrears_over_http_are_what_the_ppos_report_lists_for_them(
    party: Party, finance_settings: FinanceSettings
) -> None:
    """What a treasurer reads: `/members/{id}/dues/arrears` (the domain) and
    `/reports/dues-arrears/members` (the positions) name the same months and amount for each
    member, on a past date and today's figures for a later one (the app's own MCI table)."""
    rng = random.Random(234)  # two members whose stints all lie in 2023
    members = {uuid4(): random_history(rng, list(party.ppos)) for _ in range(30)}
    store(party, members)
    with TestClient(create_app(finance_settings)) as client:  # its start-up copies its MCI
        for day in (date(2025, 3, 1), date(2026, 11, 30)):
            listed: dict[str, tuple[int, int]] = {}
            for ppo in party.ppos:
                report = client.get(
                    "/reports/dues-arrears/members",
                    params={"organisation_id": str(ppo), "as_of": day.isoformat()},
                    headers=TOKEN,
                )
                assert report.status_code == 200, report.text
                for row in report.json()["items"]:
                    listed[row["member_id"]] = (
                        row["total_months_owed"],
                        row["total_arrears_tiyn"],
                    )
            owing: dict[str, tuple[int, int]] = {}
            for member in members:
                got = client.get(
                    f"/members/{member}/dues/arrears",
                    params={"as_of": day.isoformat()},
                    headers=TOKEN,
                )
                assert got.status_code == 200, got.text
                if got.json()["amount_tiyn"] > 0:
                    owing[str(member)] = (got.json()["months_owed"], got.json()["amount_tiyn"])
            assert listed == owing, day


def test_the_clocks_work_list_is_every_member_whose_side_of_the_threshold_changed(
    party: Party, finance: Finance
) -> None:
    """Issue 12 item 6 (decision 225): the daily clock takes from the positions the members on
    the day whose months owed (as the domain counts them) reach three and whose account has not
    noted it, and the accounts that noted it whose months owed are below three again; nobody
    else (a former member's arrears call for no notice)."""
    rng = random.Random(225)
    members = {uuid4(): random_history(rng, list(party.ppos)) for _ in range(120)}
    store(party, members)
    queries = DuesQueries(finance.store, MciTable(MciRate(d, k) for d, k in MCI))
    noted = {m: date(2024, 6, 1) for m in rng.sample(list(members), 40)}
    party.insert(
        "finance_dues_accounts", ("member_id", "threshold_reached_on"), list(noted.items())
    )
    for day in DATES:
        want = []
        for member, history in members.items():
            months = queries.arrears(WHOLE, member, day)["months_owed"]
            member_on_day = any(
                s.from_on <= day and (s.until_on is None or s.until_on > day)
                for s in history.stints
            )
            if (member in noted and months < 3) or (
                member not in noted and months >= 3 and member_on_day
            ):
                want.append(member)
        assert queries.threshold_changes(day, 3) == sorted(want), day
