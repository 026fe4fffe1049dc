"""The finance registers on the real database (issue 11 item 7), each as of any date: monthly
receipts per regional branch (Ch. 12.4), the per-donor register against caps, the refused
donations with their rule and clause (Law Art. 18(2)), the obligations opened by a date; and an
accepted donation found impermissible later, which opens its return (issue 11 item 2)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from partia_finance.application import commands as c
from partia_finance.application.handlers import handlers
from partia_finance.application.reports import against_caps
from partia_finance.composition import Finance, unstorable_text
from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.donors import DonorPersonalData
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.obligations import ReturnObligation
from partia_finance.domain.policies.permissibility import RULE_BOOK
from partia_kit.auth import Scope
from partia_kit.auth.scope import bootstrapped_organisation_id
from partia_kit.batches import BatchRunner, Outcome
from partia_kit.rules import NotFound, RuleViolation, StateConflict
from tests.finance.domain.support import (
    CITIZEN_IIN,
    DECLARATION,
    NON_RESIDENT_BIN,
    PAYMENT,
    citizen,
    company,
)
from tests.finance.domain.test_caps import CAPPED, ELECTION
from tests.finance.support import ALMATY, ASTANA, PARTY, seed_tree

WHOLE = Scope()
MEDEU = bootstrapped_organisation_id("baytaq", "almaty-medeu")  # a local branch in Almaty


@pytest.fixture
def runner(finance: Finance) -> BatchRunner:
    seed_tree(finance)
    assert finance.settings.database_url is not None
    with psycopg.connect(finance.settings.database_url, autocommit=True) as conn:
        conn.execute(
            SQL(
                "INSERT INTO {} (organisation_id, parent_id, kind, registry_position)"
                " VALUES (%s, %s, 'local_branch', 0)"
            ).format(Identifier(finance.settings.database_schema, "finance_organisations")),
            (MEDEU, ALMATY),
        )
    return BatchRunner(
        finance.store,
        handlers(FinanceConfiguration.from_toml(CAPPED), RULE_BOOK),
        refusals=(RuleViolation, NotFound, StateConflict),
        recheckable=(RuleViolation, NotFound),
        unstorable=unstorable_text,
    )


def run(runner: BatchRunner, command: c.Command) -> dict[str, Any]:
    [outcome] = runner.run([command])
    assert isinstance(outcome, Outcome)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.receipt is not None
    return outcome.receipt


def give(runner: BatchRunner, tenge: int, credited_on: date, **given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "actor": "tolkyn",
        "donation_id": uuid4(),
        "amount": Amount(tenge * 100),
        "credited_on": credited_on,
        "bank_document": "PP-1",
        "organisation_id": ALMATY,
        "purpose": Purpose.party_funds(),
        "donor": citizen(),
        "personal": DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим"),
        "evidence": Evidence((DECLARATION, PAYMENT)),
    }
    values.update(given)
    return run(runner, c.ReceiveDonation(**values))


def find(runner: BatchRunner, donation_id: str, found_on: date, **given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "actor": "tolkyn",
        "donation_id": UUID(donation_id),
        "rule": "foreigner-or-stateless-person",
        "reason": "the donor's passport shows another citizenship",
        "documents": (DECLARATION,),
        "found_on": found_on,
    }
    values.update(given)
    return run(runner, c.FindImpermissible(**values))


def test_monthly_receipts_count_a_local_branch_for_its_region_by_month_and_fund(
    runner: BatchRunner, finance: Finance
) -> None:
    """Ch. 12.4: receipts per regional branch and month; the central office's under none."""
    give(runner, 100_000, date(2026, 1, 15), organisation_id=MEDEU)
    give(runner, 50_000, date(2026, 1, 20))
    give(runner, 70_000, date(2026, 2, 3), organisation_id=ASTANA)
    give(runner, 10_000, date(2026, 2, 4), organisation_id=PARTY)
    give(runner, 20_000, date(2026, 2, 5), donor=company(NON_RESIDENT_BIN), personal=None)
    rows = finance.queries.monthly_receipts(WHOLE, date(2026, 1, 1), date(2026, 12, 31), date.max)
    found = {(r["regional_branch_id"], r["month"], r["fund"]): r["accepted_tiyn"] for r in rows}
    assert found == {
        (None, date(2026, 2, 1), "party_funds"): 10_000_00,
        (ALMATY, date(2026, 1, 1), "party_funds"): 150_000_00,
        (ASTANA, date(2026, 2, 1), "party_funds"): 70_000_00,
    }


def test_monthly_receipts_as_of_a_date_leave_out_what_was_decided_or_found_later(
    runner: BatchRunner, finance: Finance
) -> None:
    """Ch. 12.4 as of a date: a donation held in January and accepted in March counts from
    March; one found impermissible in April stops counting from April."""
    held = give(runner, 40_000, date(2026, 1, 10), evidence=Evidence((PAYMENT,)))
    run(
        runner,
        c.AddEvidence(
            actor="tolkyn",
            donation_id=UUID(held["donation_id"]),
            documents=(DECLARATION,),
            declarations=None,
            added_on=date(2026, 3, 1),
        ),
    )
    accepted = give(runner, 60_000, date(2026, 1, 12))
    find(runner, accepted["donation_id"], date(2026, 4, 1))

    def january(as_of: date) -> int:
        rows = finance.queries.monthly_receipts(WHOLE, date(2026, 1, 1), date(2026, 1, 31), as_of)
        return sum(r["accepted_tiyn"] for r in rows)

    assert january(date(2026, 2, 1)) == 60_000_00
    assert january(date(2026, 3, 1)) == 100_000_00
    assert january(date(2026, 4, 1)) == 40_000_00


def test_the_donor_register_shows_a_donors_total_across_branches_against_the_cap(
    runner: BatchRunner, finance: Finance
) -> None:
    """Election law caps (100 MCI of 4,325 KZT for the campaign): 300,000 KZT in Almaty and
    200,000 in Astana leave nothing and 67,500 owed back; no name or IIN in the register."""
    fund = Purpose.election_fund(ELECTION)
    give(runner, 300_000, date(2026, 3, 2), purpose=fund)
    give(runner, 200_000, date(2026, 3, 3), purpose=fund, organisation_id=ASTANA)
    rows = finance.queries.donor_totals(WHOLE, 2026, date.max, fund=None, limit=100, offset=0)
    [row] = against_caps(rows, 2026, date.max, FinanceConfiguration.from_toml(CAPPED))
    assert row["fund"] == f"election_fund:{ELECTION}"
    assert row["period"] == "whole_fund"
    assert (row["received_tiyn"], row["accepted_tiyn"]) == (500_000_00, 432_500_00)
    assert (row["cap_tiyn"], row["left_tiyn"], row["exceeded_tiyn"]) == (432_500_00, 0, 0)
    assert row["returned_excess_tiyn"] == 67_500_00
    assert row["donor_digest"] == finance.store.digest(CITIZEN_IIN).hex()
    assert CITIZEN_IIN not in str(row)
    assert "Абенова" not in str(row)


def test_the_donor_register_as_of_an_earlier_date_shows_what_was_left_then(
    runner: BatchRunner, finance: Finance
) -> None:
    fund = Purpose.election_fund(ELECTION)
    give(runner, 300_000, date(2026, 3, 2), purpose=fund)
    give(runner, 100_000, date(2026, 3, 9), purpose=fund, organisation_id=ASTANA)
    as_of = date(2026, 3, 5)
    rows = finance.queries.donor_totals(WHOLE, 2026, as_of, fund=None, limit=100, offset=0)
    [row] = against_caps(rows, 2026, as_of, FinanceConfiguration.from_toml(CAPPED))
    assert (row["accepted_tiyn"], row["left_tiyn"]) == (300_000_00, 132_500_00)


def test_a_branch_treasurer_sees_only_their_subtrees_figures_in_the_registers(
    runner: BatchRunner, finance: Finance
) -> None:
    """Decision 165: Astana's treasurer reads Astana's receipts, not Almaty's."""
    give(runner, 100_000, date(2026, 1, 15), organisation_id=MEDEU)
    give(runner, 70_000, date(2026, 2, 3), organisation_id=ASTANA)
    astana = Scope(frozenset({ASTANA}))
    rows = finance.queries.monthly_receipts(astana, date(2026, 1, 1), date(2026, 12, 31), date.max)
    assert [r["regional_branch_id"] for r in rows] == [ASTANA]
    donors = finance.queries.donor_totals(astana, 2026, date.max, fund=None, limit=10, offset=0)
    assert [d["received_tiyn"] for d in donors] == [70_000_00]


def test_the_refused_register_names_the_rule_and_clause_of_each_refusal_and_finding(
    runner: BatchRunner, finance: Finance
) -> None:
    """Constitution Art. 6(4), Law Art. 18(2): a rejected donation and an accepted one found
    impermissible later, each with its rule and clause, as of the day they were decided."""
    give(runner, 20_000, date(2026, 2, 5), donor=company(NON_RESIDENT_BIN), personal=None)
    accepted = give(runner, 60_000, date(2026, 1, 12))
    find(runner, accepted["donation_id"], date(2026, 4, 1))
    rows = finance.queries.refused_donations(
        WHOLE, date(2026, 1, 1), date(2026, 12, 31), date.max, 100, 0
    )
    found = {r["decision"]: r for r in rows}
    assert found["rejected"]["rule"] == "foreign-state-or-legal-entity"
    assert "Art. 18(2)" in found["rejected"]["clause"]
    assert found["found_impermissible"]["rule"] == "foreigner-or-stateless-person"
    assert found["found_impermissible"]["decided_on"] == date(2026, 4, 1)
    assert found["found_impermissible"]["returned_tiyn"] == 60_000_00
    before = finance.queries.refused_donations(
        WHOLE, date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 31), 100, 0
    )
    assert [r["decision"] for r in before] == ["rejected"]


def test_an_accepted_donation_found_impermissible_opens_the_return_of_what_was_accepted(
    runner: BatchRunner, finance: Finance
) -> None:
    """Law Art. 18(2): a false declaration found after acceptance; the money goes back."""
    accepted = give(runner, 60_000, date(2026, 1, 12))
    receipt = find(runner, accepted["donation_id"], date(2026, 4, 1))
    assert receipt["status"] == "found_impermissible"
    obligation: ReturnObligation = finance.events.repository.get(UUID(receipt["obligation_id"]))
    assert (obligation.amount.tiyn, obligation.cause.value) == (60_000_00, "found_impermissible")
    assert obligation.deadline == date(2026, 5, 1)
    listed = finance.queries.obligations(WHOLE, as_of=date(2026, 4, 1), status=None)
    assert [o["obligation_id"] for o in listed] == [obligation.id]
    assert finance.queries.obligations(WHOLE, as_of=date(2026, 3, 31), status=None) == []


def test_a_finding_must_name_a_prohibited_source_and_follow_the_acceptance(
    runner: BatchRunner,
) -> None:
    accepted = give(runner, 60_000, date(2026, 1, 12))
    with pytest.raises(RuleViolation) as not_a_source:
        find(runner, accepted["donation_id"], date(2026, 4, 1), rule="declaration-documented")
    assert not_a_source.value.field == "rule"
    with pytest.raises(RuleViolation) as too_early:
        find(runner, accepted["donation_id"], date(2026, 1, 1))
    assert too_early.value.field == "found_on"


def test_a_finding_is_refused_for_a_donation_outside_the_treasurers_subtree(
    runner: BatchRunner,
) -> None:
    """Decision 165: Astana's treasurer cannot find Almaty's donation impermissible."""
    accepted = give(runner, 60_000, date(2026, 1, 12))
    with pytest.raises(NotFound):
        find(runner, accepted["donation_id"], date(2026, 4, 1), scope=Scope(frozenset({ASTANA})))


def test_a_donors_name_is_kept_sealed_in_the_register_and_gone_once_erased(
    runner: BatchRunner, finance: Finance
) -> None:
    """Decision 247, issue 11 item 6: the index holds the name only sealed with the donation's
    key; after the retention period the erasure clears it and no name is found, while the
    figures stay."""
    given = give(runner, 100_000, date(2020, 1, 15))
    digest = finance.store.digest(CITIZEN_IIN)
    [named] = finance.queries.donor_names(WHOLE, [digest]).values()
    assert (named.name, str(named.personal_from)) == ("Абенова Айгерим", given["donation_id"])
    assert finance.settings.database_url is not None
    with psycopg.connect(finance.settings.database_url) as conn:
        [(sealed,)] = conn.execute(
            SQL("SELECT donor_name_sealed FROM {}").format(
                Identifier(finance.settings.database_schema, "finance_donation_index")
            )
        ).fetchall()
    assert "Абенова".encode() not in bytes(sealed)
    run(
        runner,
        c.EraseDonorData(
            actor="tolkyn", donation_id=UUID(given["donation_id"]), erased_on=date(2030, 1, 16)
        ),
    )
    assert finance.queries.donor_names(WHOLE, [digest]) == {}
    [statement] = finance.queries.annual_statement(WHOLE, 2020, date.max)
    assert statement["accepted_tiyn"] == 100_000_00
