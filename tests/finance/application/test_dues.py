"""Dues through the finance service's write path on the real database (issue 12 items 2, 5, 6):
categories declared with their evidence sealed, payments recorded and reversed as events of the
member's dues account with the read tables written in the same transaction, refusals naming the
rule, and the clock noting arrears that reach the threshold once per crossing."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import psycopg
import pytest

from partia_finance.adapters.postgres.dues_queries import DuesQueries
from partia_finance.application import commands as c
from partia_finance.application.clock import run_dues_clock
from partia_finance.composition import Finance
from partia_finance.domain.dues_account import DuesAccount, DuesDeclaration
from partia_finance.domain.policies.dues import DuesCategory
from partia_kit.auth import Scope
from partia_kit.rules import NotFound, RuleViolation, StateConflict
from tests.finance.dues_support import PPO_ALMATY, PPO_ASTANA, pay, rows, seed_member, seed_ppos
from tests.finance.support import ALMATY

WORKING_2026 = 43_250


@pytest.fixture
def ppos(finance: Finance) -> Finance:
    seed_ppos(finance)
    return finance


def queries(finance: Finance) -> DuesQueries:
    return DuesQueries(finance.store, finance.configuration.mci)


def declare(finance: Finance, member: UUID, category: DuesCategory, **given: object) -> None:
    values: dict[str, object] = {
        "actor": "tolkyn",
        "member_id": member,
        "category": category,
        "effective_from": date(2026, 1, 1),
        "evidence_reference": "Certificate MSE-2291",
        "monthly_tiyn": None,
        "declared_on": date(2026, 1, 5),
    }
    values.update(given)
    outcome = finance.writer.execute(c.DeclareDuesCategory(**values))  # type: ignore[arg-type]
    if outcome.error is not None:
        raise outcome.error


def test_a_cash_payment_is_recorded_with_its_receipt_and_clears_the_arrears(ppos: Finance) -> None:
    """Ch. 10.4: the PPO bureau collects dues against its receipt; FIFO allocation."""
    member = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 20), None, "admission"))
    outcome = pay(ppos, member, amount_tiyn=3 * WORKING_2026, paid_on=date(2026, 3, 10))
    assert outcome.error is None
    assert outcome.receipt is not None
    assert outcome.receipt["status"] == "recorded"
    [row] = rows(ppos, "finance_dues_payments", member)
    assert row[2:] == (
        PPO_ALMATY,
        date(2026, 3, 10),
        3 * WORKING_2026,
        "cash",
        "Receipt 0042",
        None,
    )
    account: DuesAccount = ppos.events.repository.get(member)
    assert [p.amount_tiyn for p in account.payments.values()] == [3 * WORKING_2026]
    on_1_march = queries(ppos).arrears(Scope(), member, date(2026, 3, 1))
    assert (on_1_march["months_owed"], on_1_march["amount_tiyn"]) == (2, 3 * WORKING_2026)
    on_11_march = queries(ppos).arrears(Scope(), member, date(2026, 3, 11))
    assert (on_11_march["months_owed"], on_11_march["amount_tiyn"]) == (0, 0)


def test_a_payment_for_someone_finance_never_saw_as_a_member_is_refused(ppos: Finance) -> None:
    outcome = pay(ppos, uuid4())
    assert isinstance(outcome.error, NotFound)
    assert (outcome.error.what, outcome.error.field) == ("member", "member_id")


def test_a_treasurer_of_another_branch_cannot_record_or_read_a_members_dues(ppos: Finance) -> None:
    """Decision 165: the member lies outside the treasurer's subtree: reported as unknown."""
    member = seed_member(ppos, (PPO_ASTANA, date(2026, 1, 1), None, "admission"))
    outcome = pay(ppos, member, scope=Scope(frozenset({ALMATY})))
    assert isinstance(outcome.error, NotFound)
    with pytest.raises(NotFound):
        queries(ppos).statement(Scope(frozenset({ALMATY})), member, date(2026, 3, 1))
    assert queries(ppos).statement(Scope(frozenset({PPO_ASTANA})), member, date(2026, 3, 1))


def test_a_cash_payment_without_the_bureaus_receipt_number_is_refused(ppos: Finance) -> None:
    """Ch. 10.4."""
    member = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"))
    outcome = pay(ppos, member, reference="  ")
    assert isinstance(outcome.error, RuleViolation)
    assert (outcome.error.rule, outcome.error.clause, outcome.error.field) == (
        "dues-receipt-required",
        "Ch. 10.4",
        "reference",
    )
    assert rows(ppos, "finance_dues_payments", member) == []


def test_a_declared_exemption_is_sealed_and_only_its_rate_class_is_readable(ppos: Finance) -> None:
    """Ch. 12.2: a disability exemption reveals health; the category and its evidence are sealed
    with the member's key, the read table says only 'exempt'."""
    member = seed_member(ppos, (PPO_ALMATY, date(2025, 6, 1), None, "admission"))
    declare(ppos, member, DuesCategory.DISABLED, evidence_reference="MSE certificate 2291")
    [row] = rows(ppos, "finance_dues_categories", member)
    assert row[1:] == (date(2026, 1, 1), "exempt", None, None, date(2026, 1, 5))
    with psycopg.connect(ppos.settings.database_url or "") as conn:
        stored = conn.execute(
            f'SELECT state FROM "{ppos.settings.database_schema}".finance_events'
            " WHERE originator_id = %s",
            (member,),
        ).fetchall()
    raw = b"".join(bytes(s[0]) for s in stored)
    assert b"disabled" not in raw
    assert b"MSE certificate" not in raw
    account: DuesAccount = ppos.events.repository.get(member)
    assert [e.declaration for e in _events(ppos, member, DuesAccount.CategoryDeclared)] == [
        DuesDeclaration("disabled", "MSE certificate 2291")
    ]
    assert account.category_spells[0].rate.value == "exempt"
    statement = queries(ppos).statement(Scope(), member, date(2026, 2, 1))
    assert [line["amount_tiyn"] for line in statement["charges"][-2:]] == [0, 0]


def test_an_exemption_without_its_evidence_reference_is_refused(ppos: Finance) -> None:
    """Ch. 12.2."""
    member = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"))
    with pytest.raises(RuleViolation) as refused:
        declare(ppos, member, DuesCategory.PENSIONER, evidence_reference=None)
    assert (refused.value.rule, refused.value.field) == (
        "dues-category-evidence",
        "evidence_reference",
    )


def test_a_reversed_payment_no_longer_counts_from_its_date_and_only_once(ppos: Finance) -> None:
    member = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"))
    payment = uuid4()
    assert pay(ppos, member, payment_id=payment, amount_tiyn=2 * WORKING_2026).error is None
    reverse = c.ReverseDuesPayment(
        actor="tolkyn",
        member_id=member,
        payment_id=payment,
        reason="Entered twice",
        reversed_on=date(2026, 3, 20),
    )
    assert ppos.writer.execute(reverse).error is None
    assert isinstance(ppos.writer.execute(reverse).error, StateConflict)
    assert rows(ppos, "finance_dues_payments", member)[0][-1] == date(2026, 3, 20)
    before = queries(ppos).arrears(Scope(), member, date(2026, 3, 19))
    after = queries(ppos).arrears(Scope(), member, date(2026, 3, 20))
    assert (before["months_owed"], after["months_owed"]) == (1, 2)


def test_arrears_reaching_the_threshold_are_noted_once_per_crossing(ppos: Finance) -> None:
    """Issue 12 item 6: for notifications; never a sanction. Three unpaid months on 1 April."""
    member = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"))
    seed_member(ppos, (PPO_ALMATY, date(2026, 3, 1), None, "admission"), card="BQ-0000002-4")

    def clock(on: date) -> int:
        changes = queries(ppos).threshold_changes(on, 3)
        return run_dues_clock(on, changes, 3, ppos.writer.execute).noted

    assert clock(date(2026, 3, 31)) == 0
    assert clock(date(2026, 4, 1)) == 1
    assert clock(date(2026, 4, 2)) == 0  # once
    [reached] = _events(ppos, member, DuesAccount.ArrearsThresholdReached)
    assert (reached.months_owed, reached.amount_tiyn, reached.organisation_id) == (
        3,
        4 * WORKING_2026,
        PPO_ALMATY,
    )
    assert pay(ppos, member, amount_tiyn=4 * WORKING_2026, paid_on=date(2026, 4, 5)).error is None
    assert clock(date(2026, 4, 6)) == 1  # below again
    # a new crossing (April, May, June), and the member admitted in March reaches it too
    assert clock(date(2026, 7, 1)) == 2
    assert len(_events(ppos, member, DuesAccount.ArrearsThresholdReached)) == 2


def test_the_clock_checking_a_member_with_nothing_new_is_harmless(ppos: Finance) -> None:
    member = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"))
    outcome = ppos.writer.execute(
        c.CheckDuesArrears(actor="clock", member_id=member, on=date(2026, 2, 1), threshold_months=3)
    )
    assert isinstance(outcome.error, StateConflict)
    assert rows(ppos, "finance_dues_accounts", member) == []


def _events(finance: Finance, member: UUID, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in finance.events.events.get(member) if isinstance(e, kind)]


def test_a_card_number_two_members_match_is_left_for_a_person_unless_its_check_digit_decides(
    ppos: Finance,
) -> None:
    """Issue 12 item 5: ambiguous lines stay unmatched; nothing is recorded for them."""
    from partia_finance.application.statements import read_statement

    first = seed_member(
        ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"), card="BQ-0055555-1"
    )
    seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), None, "admission"), card="XY-0055555-7")
    text = "\n".join(
        [
            "credited_on,amount,currency,document,payer_kind,payer_id,payer_name,purpose",
            "2026-02-03,432.50,KZT,A-1,person,,Абенова Айгерим,мүшелік жарна билет 0055555",
            "2026-02-03,432.50,KZT,A-2,person,,Абенова Айгерим,dues card 0055555-1",
            "2026-02-03,432.50,KZT,A-3,person,,Абенова Айгерим,dues card 0055555 / card 0066666",
        ]
    )
    lines = read_statement(text, ALMATY, "tolkyn")
    assert lines[2].command is None
    assert "2 card numbers" in (lines[2].reason or "")
    ambiguous = ppos.writer.execute(lines[0].command)  # type: ignore[arg-type]
    assert isinstance(ambiguous.error, RuleViolation)
    assert (ambiguous.error.rule, ambiguous.error.field) == ("dues-card-ambiguous", "card_number")
    decided = ppos.writer.execute(lines[1].command)  # type: ignore[arg-type]
    assert decided.receipt is not None, decided.error
    assert decided.receipt["member_id"] == str(first)
    assert len(rows(ppos, "finance_dues_payments", first)) == 1


def test_a_former_members_arrears_make_no_threshold_notice(ppos: Finance) -> None:
    """Issue 12 item 6: the notice is for members; a former member's arrears stay in the
    statement of account."""
    former = seed_member(ppos, (PPO_ALMATY, date(2026, 1, 1), date(2026, 5, 1), "admission"))
    assert queries(ppos).threshold_changes(date(2026, 5, 2), 3) == []
    assert queries(ppos).arrears(Scope(), former, date(2026, 5, 2))["months_owed"] == 4
