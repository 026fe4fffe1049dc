"""What a member owes in dues, on any date (issue 12; decision 216; Ch. 12.2, 3.2, 5.2): the
categories and their exemptions, the entrance fee per admission, the MCI by month, the months
membership starts and stops, FIFO allocation and credit, and arrears as of past dates. An
independent day-by-day oracle is held equal to the domain over generated histories."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partia_finance.domain.dues import (
    ADMISSION,
    RESTORATION,
    CategorySpell,
    Charge,
    ChargeKind,
    DuesPayment,
    MembershipSpell,
    arrears_on,
    charges,
    statement_of_account,
)
from partia_finance.domain.mci import MciRate, MciTable
from partia_finance.domain.policies.dues import (
    DuesCategory,
    RateClass,
    check_evidence,
    check_payment,
    check_voluntary_amount,
    entrance_fee_tiyn,
    monthly_rate_tiyn,
    rate_class,
)
from partia_kit.rules import RuleViolation

MCI = MciTable(
    [
        MciRate(date(2024, 1, 1), 3692),
        MciRate(date(2025, 1, 1), 3932),
        MciRate(date(2026, 1, 1), 4325),
    ]
)
PPO = UUID("00000000-0000-4000-8000-0000000000a1")
OTHER_PPO = UUID("00000000-0000-4000-8000-0000000000a2")
WORKING_2026 = 43_250  # 0.1 × 4,325 KZT in tiyn
STUDENT_2026 = 4_325


def admitted(on: date, until: date | None = None, ppo: UUID = PPO) -> MembershipSpell:
    return MembershipSpell(ppo, on, until, ADMISSION)


def paid(on: date, tiyn: int, reversed_on: date | None = None) -> DuesPayment:
    return DuesPayment(uuid4(), on, tiyn, reversed_on)


def months(found: list[Charge]) -> list[date]:
    return [c.month for c in found if c.kind is ChargeKind.MONTH]


# --- categories and exemptions (Ch. 12.2)


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (DuesCategory.WORKING, RateClass.WORKING),
        (DuesCategory.STUDENT, RateClass.STUDENT),
        (DuesCategory.PENSIONER, RateClass.EXEMPT),
        (DuesCategory.DISABLED, RateClass.EXEMPT),
        (DuesCategory.UNEMPLOYED, RateClass.EXEMPT),
        (DuesCategory.PARENTAL_LEAVE, RateClass.EXEMPT),
    ],
)
def test_each_category_of_ch_12_2_has_its_rate_class(
    category: DuesCategory, expected: RateClass
) -> None:
    """Ch. 12.2: pensioners, persons with disabilities, the unemployed and those on parental
    leave are exempt; students pay the student rate."""
    assert rate_class(category) is expected


def test_the_working_rate_is_a_tenth_of_the_mci_and_the_student_rate_a_hundredth() -> None:
    """Ch. 12.2: 0.1 MCI and 0.01 MCI a month, exact tiyn."""
    assert monthly_rate_tiyn(RateClass.WORKING, 4325) == 43_250
    assert monthly_rate_tiyn(RateClass.STUDENT, 4325) == 4_325
    assert monthly_rate_tiyn(RateClass.EXEMPT, 4325) == 0
    assert monthly_rate_tiyn(RateClass.WORKING, 3692) == 36_920


def test_no_category_declared_means_the_working_rate() -> None:
    """Ch. 12.2, decision 216: none declared = working citizen of working age."""
    found = charges([admitted(date(2026, 2, 1))], [], MCI, date(2026, 3, 31))
    assert [(c.kind, c.amount_tiyn) for c in found] == [
        (ChargeKind.ENTRANCE_FEE, WORKING_2026),
        (ChargeKind.MONTH, WORKING_2026),
        (ChargeKind.MONTH, WORKING_2026),
    ]


@pytest.mark.parametrize(
    "category",
    [
        DuesCategory.PENSIONER,
        DuesCategory.DISABLED,
        DuesCategory.UNEMPLOYED,
        DuesCategory.PARENTAL_LEAVE,
    ],
)
def test_an_exempt_member_owes_nothing_and_no_entrance_fee(category: DuesCategory) -> None:
    """Ch. 12.2: the exempt groups pay no dues and no entrance fee."""
    declared = [CategorySpell(date(2026, 1, 1), rate_class(category))]
    found = charges([admitted(date(2026, 1, 10))], declared, MCI, date(2026, 6, 30))
    assert all(c.kind is ChargeKind.MONTH and c.amount_tiyn == 0 for c in found)
    assert (
        arrears_on([admitted(date(2026, 1, 10))], declared, [], MCI, date(2026, 7, 1)).months_owed
        == 0
    )


def test_a_student_pays_the_student_rate_and_no_entrance_fee() -> None:
    """Ch. 12.2: students of higher and postgraduate education 0.01 MCI; no entrance fee."""
    declared = [CategorySpell(date(2026, 1, 1), RateClass.STUDENT)]
    found = charges([admitted(date(2026, 3, 5))], declared, MCI, date(2026, 4, 30))
    assert [(c.kind, c.amount_tiyn) for c in found] == [
        (ChargeKind.MONTH, STUDENT_2026),
        (ChargeKind.MONTH, STUDENT_2026),
    ]


def test_a_voluntary_higher_amount_replaces_the_rate_but_not_the_entrance_fee() -> None:
    """Ch. 12.2: any member may choose to pay more; the entrance fee is the rate."""
    declared = [CategorySpell(date(2026, 1, 1), RateClass.WORKING, voluntary_tiyn=100_000)]
    found = charges([admitted(date(2026, 1, 1))], declared, MCI, date(2026, 1, 31))
    assert [(c.kind, c.amount_tiyn) for c in found] == [
        (ChargeKind.ENTRANCE_FEE, WORKING_2026),
        (ChargeKind.MONTH, 100_000),
    ]


def test_an_exempt_member_may_still_choose_to_pay_a_voluntary_amount() -> None:
    """Ch. 12.2: "any member may choose to pay more" includes the exempt."""
    declared = [CategorySpell(date(2026, 1, 1), RateClass.EXEMPT, voluntary_tiyn=5_000)]
    found = charges([admitted(date(2026, 1, 1))], declared, MCI, date(2026, 1, 31))
    assert [(c.kind, c.amount_tiyn) for c in found] == [(ChargeKind.MONTH, 5_000)]


def test_the_category_of_a_month_is_the_one_in_force_on_its_first_day() -> None:
    """Decision 216: a pensioner declaring the exemption on 15 March pays March at the working
    rate and nothing from April."""
    declared = [CategorySpell(date(2026, 3, 15), RateClass.EXEMPT)]
    found = charges([admitted(date(2026, 1, 1))], declared, MCI, date(2026, 4, 30))
    assert [c.amount_tiyn for c in found if c.kind is ChargeKind.MONTH] == [
        WORKING_2026,
        WORKING_2026,
        WORKING_2026,
        0,
    ]


def test_a_category_declared_from_the_admission_date_applies_to_the_admission_month() -> None:
    """Decision 216: the month's first day of membership is the admission date."""
    declared = [CategorySpell(date(2026, 5, 20), RateClass.STUDENT)]
    found = charges([admitted(date(2026, 5, 20))], declared, MCI, date(2026, 5, 31))
    assert [(c.kind, c.amount_tiyn) for c in found] == [(ChargeKind.MONTH, STUDENT_2026)]


def test_an_exemption_or_student_rate_needs_its_evidence_reference() -> None:
    """Ch. 12.2: the category rests on a document, named when it is declared."""
    check_evidence(DuesCategory.WORKING, None)
    check_evidence(DuesCategory.STUDENT, "Student card 12-345")
    with pytest.raises(RuleViolation) as refused:
        check_evidence(DuesCategory.DISABLED, " ")
    assert (refused.value.rule, refused.value.clause, refused.value.field) == (
        "dues-category-evidence",
        "Ch. 12.2",
        "evidence_reference",
    )


def test_a_voluntary_amount_must_be_more_than_the_rate() -> None:
    """Ch. 12.2: "more" than the rate; an amount at or under it is refused."""
    check_voluntary_amount(None, WORKING_2026)
    check_voluntary_amount(WORKING_2026 + 1, WORKING_2026)
    with pytest.raises(RuleViolation) as refused:
        check_voluntary_amount(WORKING_2026, WORKING_2026)
    assert (refused.value.rule, refused.value.field) == ("dues-voluntary-higher", "monthly_tiyn")


def test_a_cash_payment_names_the_bureaus_receipt() -> None:
    """Ch. 10.4: the PPO bureau collects dues against its receipt."""
    check_payment(100, "cash", "Receipt 0042")
    for amount, channel, reference, rule in (
        (0, "cash", "R-1", "dues-amount-positive"),
        (100, "card", "R-1", "dues-channel"),
        (100, "cash", "", "dues-receipt-required"),
    ):
        with pytest.raises(RuleViolation) as refused:
            check_payment(amount, channel, reference)
        assert refused.value.rule == rule


# --- entrance fee (Ch. 12.2; decision 216)


def test_the_entrance_fee_is_due_once_per_admission_with_the_admission_month() -> None:
    found = charges([admitted(date(2026, 2, 17))], [], MCI, date(2026, 2, 28))
    fee = found[0]
    assert (fee.kind, fee.month, fee.due_on, fee.amount_tiyn) == (
        ChargeKind.ENTRANCE_FEE,
        date(2026, 2, 1),
        date(2026, 2, 28),
        WORKING_2026,
    )
    assert entrance_fee_tiyn(RateClass.STUDENT, 4325) == 0


def test_a_member_readmitted_after_leaving_pays_the_entrance_fee_again() -> None:
    """Ch. 12.2, decision 216: a re-admission is a new admission."""
    spells = [admitted(date(2025, 3, 1), date(2025, 6, 1)), admitted(date(2026, 2, 1))]
    found = charges(spells, [], MCI, date(2026, 2, 28))
    fees = [c for c in found if c.kind is ChargeKind.ENTRANCE_FEE]
    assert [(f.month, f.amount_tiyn) for f in fees] == [
        (date(2025, 3, 1), 39_320),
        (date(2026, 2, 1), WORKING_2026),
    ]
    assert date(2025, 8, 1) not in months(found)  # the months between are not owed


def test_a_restored_member_pays_no_second_entrance_fee_and_owes_the_gap() -> None:
    """Decision 216: an expulsion annulled on appeal, "as if it had not ended"."""
    spells = [
        admitted(date(2026, 1, 10), date(2026, 3, 5)),
        MembershipSpell(PPO, date(2026, 6, 20), None, RESTORATION),
    ]
    found = charges(spells, [], MCI, date(2026, 7, 31))
    assert [c.kind for c in found].count(ChargeKind.ENTRANCE_FEE) == 1
    assert months(found) == [date(2026, m, 1) for m in range(1, 8)]


def test_a_restoration_that_reopens_the_same_spell_also_keeps_the_gap_owed() -> None:
    spells = [admitted(date(2026, 1, 10))]  # the registry's view after the annulment
    assert months(charges(spells, [], MCI, date(2026, 4, 30))) == [
        date(2026, m, 1) for m in range(1, 5)
    ]


# --- the MCI by month (decision 216)


def test_the_mci_of_a_month_is_the_one_in_force_on_its_first_day() -> None:
    """A change on 1 July applies from July; one on 15 July from August."""
    table = MciTable(
        [
            MciRate(date(2026, 1, 1), 4325),
            MciRate(date(2026, 7, 1), 4500),
            MciRate(date(2026, 7, 15), 4600),
        ]
    )
    found = charges([admitted(date(2026, 6, 1))], [], table, date(2026, 8, 31))
    assert [(c.kind, c.month, c.amount_tiyn) for c in found] == [
        (ChargeKind.ENTRANCE_FEE, date(2026, 6, 1), 43_250),
        (ChargeKind.MONTH, date(2026, 6, 1), 43_250),
        (ChargeKind.MONTH, date(2026, 7, 1), 45_000),
        (ChargeKind.MONTH, date(2026, 8, 1), 46_000),
    ]


def test_a_new_year_brings_the_new_mci() -> None:
    found = charges([admitted(date(2024, 12, 1))], [], MCI, date(2025, 1, 31))
    assert [c.amount_tiyn for c in found if c.kind is ChargeKind.MONTH] == [36_920, 39_320]


# --- months start and stop (Ch. 3.2, 5.2; decision 216)


def test_dues_start_with_the_month_of_admission_and_stop_with_the_month_membership_ends() -> None:
    """Withdrawal effective 1 May: April is the last month owed; effective 2 May: May too."""
    assert months(
        charges([admitted(date(2026, 1, 31), date(2026, 5, 1))], [], MCI, date(2026, 12, 31))
    ) == [date(2026, m, 1) for m in range(1, 5)]
    assert months(
        charges([admitted(date(2026, 1, 31), date(2026, 5, 2))], [], MCI, date(2026, 12, 31))
    ) == [date(2026, m, 1) for m in range(1, 6)]


def test_a_transfer_moves_the_month_to_the_organisation_of_its_last_day() -> None:
    """Decision 216: a transfer on 20 April puts April in the new PPO; March stays."""
    spells = [
        admitted(date(2026, 1, 1), date(2026, 4, 20)),
        MembershipSpell(OTHER_PPO, date(2026, 4, 20), None, "transfer"),
    ]
    found = charges(spells, [], MCI, date(2026, 5, 31))
    by_month = {c.month: c.organisation_id for c in found if c.kind is ChargeKind.MONTH}
    assert by_month[date(2026, 3, 1)] == PPO
    assert by_month[date(2026, 4, 1)] == OTHER_PPO
    assert [c.kind for c in found].count(ChargeKind.ENTRANCE_FEE) == 1
    assert len(by_month) == 5


def test_the_entrance_fee_belongs_where_its_admission_month_belongs() -> None:
    """Decision 216 (readings settled): admitted on 5 March and transferred on 20 March, the
    fee is the new PPO's, with March; the old PPO has no charge at all."""
    spells = [
        admitted(date(2026, 3, 5), date(2026, 3, 20)),
        MembershipSpell(OTHER_PPO, date(2026, 3, 20), None, "transfer"),
    ]
    found = charges(spells, [], MCI, date(2026, 3, 31))
    assert [(c.kind, c.organisation_id) for c in found] == [
        (ChargeKind.ENTRANCE_FEE, OTHER_PPO),
        (ChargeKind.MONTH, OTHER_PPO),
    ]


def test_joining_and_leaving_on_one_day_charges_nothing() -> None:
    """Decision 216 (readings settled): a stint [d, d) has no day of membership, so no month
    and no entrance fee (decision 217: such a stint is what the registry's events leave)."""
    assert charges([admitted(date(2026, 3, 5), date(2026, 3, 5))], [], MCI, date(2026, 4, 30)) == []


def test_no_charge_arises_after_the_date_asked_about() -> None:
    assert charges([admitted(date(2026, 5, 1))], [], MCI, date(2026, 4, 30)) == []


# --- allocation, credit, arrears (decision 216)


def test_payments_go_to_the_entrance_fee_first_then_the_oldest_month() -> None:
    spells = [admitted(date(2026, 1, 15))]
    payment = paid(date(2026, 3, 1), WORKING_2026 * 2 + 100)
    account = statement_of_account(spells, [], [payment], MCI, date(2026, 3, 15))
    assert [(a.kind, a.month, a.tiyn) for a in account.allocations] == [
        (ChargeKind.ENTRANCE_FEE, date(2026, 1, 1), WORKING_2026),
        (ChargeKind.MONTH, date(2026, 1, 1), WORKING_2026),
        (ChargeKind.MONTH, date(2026, 2, 1), 100),
    ]
    assert account.arrears.months_owed == 1  # a partly paid February counts as owed
    assert account.arrears.amount_tiyn == WORKING_2026 - 100
    assert account.arrears.oldest_unpaid == date(2026, 2, 1)
    assert account.balance_tiyn == 4 * WORKING_2026 - payment.amount_tiyn  # March not due yet


def test_an_overpayment_is_kept_as_credit_and_used_as_later_months_fall_due() -> None:
    spells = [admitted(date(2026, 1, 1))]
    payment = paid(date(2026, 1, 5), WORKING_2026 * 6)
    january = statement_of_account(spells, [], [payment], MCI, date(2026, 1, 31))
    assert january.credit_tiyn == WORKING_2026 * 4  # the fee and January are paid
    may = statement_of_account(spells, [], [payment], MCI, date(2026, 5, 10))
    assert may.credit_tiyn == 0
    assert may.arrears.months_owed == 0
    assert arrears_on(spells, [], [payment], MCI, date(2026, 6, 30)).months_owed == 0
    july = arrears_on(spells, [], [payment], MCI, date(2026, 7, 1))
    assert (july.months_owed, july.amount_tiyn) == (1, WORKING_2026)  # June's dues


def test_arrears_as_of_a_past_date_ignore_later_payments_and_later_reversals() -> None:
    spells = [admitted(date(2026, 1, 1))]
    late = paid(date(2026, 6, 1), WORKING_2026 * 6)
    reversed_later = paid(date(2026, 2, 1), WORKING_2026 * 2, reversed_on=date(2026, 7, 1))
    on_1_may = arrears_on(spells, [], [late, reversed_later], MCI, date(2026, 5, 1))
    assert (on_1_may.months_owed, on_1_may.amount_tiyn) == (3, 3 * WORKING_2026)
    on_1_july = arrears_on(spells, [], [late, reversed_later], MCI, date(2026, 7, 1))
    assert on_1_july.amount_tiyn == WORKING_2026  # June; the reversal took 2 back
    assert on_1_july.months_owed == 1


def test_a_month_falls_into_arrears_the_day_after_its_last_day() -> None:
    spells = [admitted(date(2026, 1, 1))]
    declared = [CategorySpell(date(2026, 1, 1), RateClass.STUDENT)]
    assert arrears_on(spells, declared, [], MCI, date(2026, 1, 31)).months_owed == 0
    assert arrears_on(spells, declared, [], MCI, date(2026, 2, 1)).months_owed == 1


def test_a_payment_by_a_member_who_owes_nothing_is_all_credit() -> None:
    account = statement_of_account([], [], [paid(date(2026, 1, 1), 500)], MCI, date(2026, 2, 1))
    assert (account.credit_tiyn, account.balance_tiyn, account.arrears.amount_tiyn) == (
        500,
        -500,
        0,
    )


# --- an independent oracle: day by day, pooled payments


def oracle_charges(
    spells: list[MembershipSpell], cats: list[CategorySpell], table: MciTable, through: date
) -> list[tuple[str, date, UUID, int]]:
    owner: dict[date, UUID] = {}
    previous: MembershipSpell | None = None
    for spell in sorted(spells, key=lambda s: s.from_on):
        if spell.opened_by == RESTORATION and previous is not None and previous.until_on:
            day = previous.until_on
            while day < spell.from_on:
                owner[day] = previous.organisation_id
                day += timedelta(days=1)
        day = spell.from_on
        end = spell.until_on or date(through.year + 1, 1, 1)
        while day < end:
            owner[day] = spell.organisation_id
            day += timedelta(days=1)
        previous = spell

    def rate_of(day: date) -> tuple[RateClass, int | None]:
        chosen = None
        for c in cats:
            if c.effective_from <= day and (
                chosen is None or c.effective_from > chosen.effective_from
            ):
                chosen = c
        return (RateClass.WORKING, None) if chosen is None else (chosen.rate, chosen.voluntary_tiyn)

    def share(rate: RateClass, kzt: int) -> int:
        return {RateClass.WORKING: kzt * 10, RateClass.STUDENT: kzt, RateClass.EXEMPT: 0}[rate]

    out: list[tuple[str, date, UUID, int]] = []
    for year in range(2024, through.year + 1):
        for m in range(1, 13):
            first = date(year, m, 1)
            if first > through:
                break
            days = [
                d
                for d in (first + timedelta(n) for n in range(calendar.monthrange(year, m)[1]))
                if d in owner
            ]
            kzt = table.rate_on(first).kzt
            for spell in spells:
                if spell.opened_by == ADMISSION and spell.from_on.replace(day=1) == first:
                    rate, _ = rate_of(spell.from_on)
                    if rate is RateClass.WORKING:  # where the admission month belongs
                        out.append(("entrance_fee", first, owner[days[-1]], kzt * 10))
            if days:
                rate, voluntary = rate_of(days[0])
                out.append(("month", first, owner[days[-1]], max(share(rate, kzt), voluntary or 0)))
    return out


def oracle_arrears(
    found: list[tuple[str, date, UUID, int]], payments: list[DuesPayment], on: date
) -> tuple[int, int]:
    pool = sum(
        p.amount_tiyn
        for p in payments
        if p.paid_on <= on and (p.reversed_on is None or p.reversed_on > on)
    )
    owed_months, owed = 0, 0
    for kind, month, _, amount in found:
        taken = min(pool, amount)
        pool -= taken
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        if last < on and amount - taken > 0:
            owed += amount - taken
            owed_months += kind == "month"
    return owed_months, owed


DAYS = st.integers(min_value=0, max_value=900)


@st.composite
def histories(
    draw: st.DrawFn,
) -> tuple[list[MembershipSpell], list[CategorySpell], list[DuesPayment], date]:
    start = date(2024, 1, 1) + timedelta(draw(st.integers(0, 600)))
    spells: list[MembershipSpell] = []
    day = start
    opened_by = ADMISSION
    for _ in range(draw(st.integers(1, 4))):
        length = draw(st.integers(1, 300))
        open_ended = draw(st.booleans()) and not spells
        until = None if open_ended else day + timedelta(length)
        spells.append(
            MembershipSpell(draw(st.sampled_from([PPO, OTHER_PPO])), day, until, opened_by)
        )
        if until is None:
            break
        opened_by = draw(st.sampled_from([ADMISSION, RESTORATION, "transfer"]))
        gap = 0 if opened_by == "transfer" else draw(st.integers(1, 200))
        day = until + timedelta(gap)
    cats = [
        CategorySpell(
            start + timedelta(draw(DAYS)),
            draw(st.sampled_from(list(RateClass))),
            draw(st.one_of(st.none(), st.integers(50_000, 90_000))),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    cats = list({c.effective_from: c for c in cats}.values())
    payments = [
        DuesPayment(
            uuid4(),
            start + timedelta(draw(DAYS)),
            draw(st.integers(1, 200_000)),
            draw(st.one_of(st.none(), st.just(start + timedelta(draw(DAYS))))),
        )
        for _ in range(draw(st.integers(0, 5)))
    ]
    payments = [p for p in payments if p.reversed_on is None or p.reversed_on >= p.paid_on]
    on = start + timedelta(draw(st.integers(0, 1000)))
    return spells, cats, payments, min(on, date(2026, 12, 31))


@settings(max_examples=300, deadline=None)
@given(histories())
def test_the_domain_agrees_with_a_day_by_day_oracle(
    history: tuple[list[MembershipSpell], list[CategorySpell], list[DuesPayment], date],
) -> None:
    spells, cats, payments, on = history
    found = charges(spells, cats, MCI, on)
    expected = oracle_charges(spells, cats, MCI, on)
    assert [(c.kind.value, c.month, c.organisation_id, c.amount_tiyn) for c in found] == expected
    got = arrears_on(spells, cats, payments, MCI, on)
    assert (got.months_owed, got.amount_tiyn) == oracle_arrears(expected, payments, on)


def test_months_before_the_mci_table_begins_are_not_charged() -> None:
    """Decision 225: a member admitted in 2019 owes from the first month the MCI table covers;
    the 2019 entrance fee is outside finance's records."""
    found = charges([admitted(date(2019, 5, 6))], [], MCI, date(2024, 2, 29))
    assert [(c.kind, c.month) for c in found] == [
        (ChargeKind.MONTH, date(2024, 1, 1)),
        (ChargeKind.MONTH, date(2024, 2, 1)),
    ]
    late_start = MciTable([MciRate(date(2024, 1, 15), 3692)])
    assert months(charges([admitted(date(2023, 1, 1))], [], late_start, date(2024, 2, 1))) == [
        date(2024, 2, 1)
    ]


def test_a_rate_with_a_fraction_of_a_tiyn_would_be_rounded_half_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Decision 216's rounding rule, for a share no Charter rate has today (0.001 MCI)."""
    from partia_finance.domain.policies import dues as policy

    monkeypatch.setitem(policy._MCI_SHARE, RateClass.WORKING, (1, 1000))
    assert monthly_rate_tiyn(RateClass.WORKING, 4325) == 433  # 432.5 tiyn
    assert monthly_rate_tiyn(RateClass.WORKING, 4324) == 432  # 432.4 tiyn
