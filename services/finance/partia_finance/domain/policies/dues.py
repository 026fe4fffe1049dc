"""The Charter's dues rules (Ch. 12.2 rates and exemptions, Ch. 3.2 / 5.2 the member's duty to pay,
Ch. 10.4 the PPO bureau collects), one small pure function each; how they combine into months,
charges and arrears is decision 216 (`partia_finance.domain.dues`)."""

from __future__ import annotations

from enum import StrEnum

from partia_kit.rules import RuleViolation

RATES_CLAUSE = "Ch. 12.2"
DUTY_CLAUSE = "Ch. 3.2, 5.2"
COLLECTION_CLAUSE = "Ch. 10.4"


class DuesCategory(StrEnum):
    """The categories of Ch. 12.2 a member declares (sealed: some reveal health or employment)."""

    WORKING = "working"  # working citizens of working age
    STUDENT = "student"  # students of higher and postgraduate education
    PENSIONER = "pensioner"
    DISABLED = "disabled"
    UNEMPLOYED = "unemployed"
    PARENTAL_LEAVE = "parental_leave"


class RateClass(StrEnum):
    """What a category means for the money, and all finance keeps in the clear."""

    WORKING = "working"
    STUDENT = "student"
    EXEMPT = "exempt"


_RATE_CLASS = {
    DuesCategory.WORKING: RateClass.WORKING,
    DuesCategory.STUDENT: RateClass.STUDENT,
    DuesCategory.PENSIONER: RateClass.EXEMPT,
    DuesCategory.DISABLED: RateClass.EXEMPT,
    DuesCategory.UNEMPLOYED: RateClass.EXEMPT,
    DuesCategory.PARENTAL_LEAVE: RateClass.EXEMPT,
}

_MCI_SHARE = {  # (numerator, denominator) of the MCI a month
    RateClass.WORKING: (1, 10),
    RateClass.STUDENT: (1, 100),
    RateClass.EXEMPT: (0, 1),
}


def rate_class(category: DuesCategory) -> RateClass:
    """Ch. 12.2: pensioners, persons with disabilities, the unemployed and those on parental
    leave are exempt; students pay the student rate; everyone else the working rate."""
    return _RATE_CLASS[category]


def monthly_rate_tiyn(rate: RateClass, mci_kzt: int) -> int:
    """Ch. 12.2: 0.1 MCI a month for the working, 0.01 MCI for students, nothing for the exempt.
    In tiyn: 0.1 × MCI tenge = MCI × 10 tiyn. Were it ever a fraction of a tiyn it is rounded half
    up (decision 216; never happens while the MCI is whole tenge)."""
    numerator, denominator = _MCI_SHARE[rate]
    tiyn_times_denominator = numerator * mci_kzt * 100
    return (2 * tiyn_times_denominator + denominator) // (2 * denominator)


def monthly_amount_tiyn(rate: RateClass, mci_kzt: int, voluntary_tiyn: int | None) -> int:
    """Ch. 12.2: any member may choose to pay more; a declared voluntary monthly amount replaces
    the rate when it is higher."""
    due = monthly_rate_tiyn(rate, mci_kzt)
    return max(due, voluntary_tiyn or 0)


def entrance_fee_tiyn(rate: RateClass, mci_kzt: int) -> int:
    """Ch. 12.2: an entrance fee on admission equal to the monthly amount (the rate, without a
    voluntary amount); students and the exempt groups pay none."""
    if rate is not RateClass.WORKING:
        return 0
    return monthly_rate_tiyn(rate, mci_kzt)


def check_evidence(category: DuesCategory, evidence_reference: str | None) -> None:
    """Ch. 12.2: a student rate or an exemption rests on a document (a student card, a pension
    or disability certificate, a leave order); its reference is recorded with the declaration."""
    if category is DuesCategory.WORKING:
        return
    if evidence_reference is None or not evidence_reference.strip():
        raise RuleViolation(
            "dues-category-evidence",
            RATES_CLAUSE,
            f"the category {category.value!r} is declared with the reference of the document it"
            " rests on",
            field="evidence_reference",
        )


def check_voluntary_amount(voluntary_tiyn: int | None, rate_tiyn: int) -> None:
    """Ch. 12.2: a voluntary amount is "more": higher than the rate it replaces."""
    if voluntary_tiyn is None:
        return
    if isinstance(voluntary_tiyn, bool) or voluntary_tiyn <= rate_tiyn:
        raise RuleViolation(
            "dues-voluntary-higher",
            RATES_CLAUSE,
            f"a voluntary monthly amount is higher than the rate it replaces ({rate_tiyn} tiyn"
            f" on the date it takes effect); got {voluntary_tiyn}",
            field="monthly_tiyn",
        )


def check_payment(amount_tiyn: int, channel: str, reference: str) -> None:
    """Ch. 3.2, 5.2, 10.4: dues are paid to the PPO bureau in cash against its receipt, or by
    bank; a payment is a positive amount and names its receipt or bank document."""
    if isinstance(amount_tiyn, bool) or amount_tiyn <= 0:
        raise RuleViolation(
            "dues-amount-positive",
            DUTY_CLAUSE,
            f"a dues payment is a positive whole number of tiyn; got {amount_tiyn!r}",
            field="amount_tiyn",
        )
    if channel not in ("cash", "bank"):
        raise RuleViolation(
            "dues-channel",
            COLLECTION_CLAUSE,
            f"dues are collected in cash by the PPO bureau or credited by bank; got {channel!r}",
            field="channel",
        )
    if not reference.strip():
        what = "the receipt number the bureau gave" if channel == "cash" else "the bank document"
        raise RuleViolation(
            "dues-receipt-required",
            COLLECTION_CLAUSE,
            f"a {channel} dues payment names {what}",
            field="reference",
        )
