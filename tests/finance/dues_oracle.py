"""An independent reading of decision 216 (how dues are owed), written straight from its text
and nothing else, day by day and month by month, as slow and plain as possible: the oracle the
dues reports' SQL is held equal to (tests/finance/adapters/test_dues_reports.py), and the dues
domain's own function after merging.

Interface, per member: `charges(history, mci, until)` lists the charges (entrance fees and
months) in the order payments settle them; `arrears(history, mci, day)` gives the months owed,
the amount owed and the same per primary organisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

EXEMPT = ("pensioner", "disabled", "unemployed", "parental_leave", "exempt")


@dataclass(frozen=True)
class Stint:
    """Membership of one primary organisation over [from_on, until_on)."""

    organisation_id: UUID
    from_on: date
    until_on: date | None
    opened_by: str  # 'admission' (an entrance fee arises), 'transfer', 'restoration', ...


@dataclass(frozen=True)
class Declaration:
    effective_from: date
    category: str  # working, student, or one of EXEMPT
    monthly_tiyn: int | None = None  # a voluntary higher monthly amount


@dataclass(frozen=True)
class Payment:
    paid_on: date
    amount_tiyn: int
    reversed_on: date | None = None


@dataclass
class History:
    stints: list[Stint] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


@dataclass(frozen=True)
class Charge:
    kind: str  # 'entrance_fee' or 'month'
    month: date  # the month's 1st
    due_on: date  # the month's last day
    organisation_id: UUID
    amount_tiyn: int


@dataclass(frozen=True)
class Arrears:
    months: int
    tiyn: int
    by_organisation: dict[UUID, tuple[int, int]]  # organisation -> (months, tiyn)


def charges(history: History, mci: Sequence[tuple[date, int]], until: date) -> list[Charge]:
    """Every charge of months starting on or before `until`, oldest first (a fee before its
    admission month)."""
    if not history.stints:
        return []
    found: list[Charge] = []
    month = _first_of(min(s.from_on for s in history.stints))
    while month <= until:
        last = _next_month(month) - timedelta(days=1)
        days = [d for d in _days(month, last) if _stint_on(history, d) is not None]
        if days and month >= _first_month(mci):
            owner = _stint_on(history, days[-1])
            assert owner is not None
            kzt = _mci_on(mci, month)
            for stint in history.stints:
                if (
                    stint.opened_by == "admission"
                    and _first_of(stint.from_on) == month
                    and (stint.until_on is None or stint.until_on > stint.from_on)
                ):  # an admission with no day of membership is no admission to pay for
                    category = _declared_on(history, stint.from_on)
                    fee = kzt * 10 if category.category == "working" else 0
                    found.append(Charge("entrance_fee", month, last, owner.organisation_id, fee))
            declared = _declared_on(history, days[0])
            amount = _rate(declared.category, kzt)
            if declared.monthly_tiyn is not None:
                amount = max(amount, declared.monthly_tiyn)
            found.append(Charge("month", month, last, owner.organisation_id, amount))
        month = _next_month(month)
    return found


def arrears(history: History, mci: Sequence[tuple[date, int]], day: date) -> Arrears:
    """On `day`: the charges due before it, settled oldest first by the payments made on or
    before it and not reversed by then; what is left unpaid, where it arose."""
    paid = sum(
        p.amount_tiyn
        for p in history.payments
        if p.paid_on <= day and (p.reversed_on is None or p.reversed_on > day)
    )
    months = tiyn = 0
    by: dict[UUID, tuple[int, int]] = {}
    for charge in charges(history, mci, day):
        settled = min(paid, charge.amount_tiyn)
        paid -= settled
        unpaid = charge.amount_tiyn - settled
        if charge.due_on >= day or unpaid == 0:
            continue
        counted = 1 if charge.kind == "month" else 0
        months += counted
        tiyn += unpaid
        m, t = by.get(charge.organisation_id, (0, 0))
        by[charge.organisation_id] = (m + counted, t + unpaid)
    return Arrears(months, tiyn, by)


def _rate(category: str, kzt: int) -> int:
    """Ch. 12.2 in tiyn: 0.1 MCI = MCI * 10 tiyn, 0.01 MCI = MCI tiyn, the exempt nothing."""
    if category == "working":
        return kzt * 10
    if category == "student":
        return kzt
    assert category in EXEMPT, category
    return 0


def _declared_on(history: History, day: date) -> Declaration:
    in_force = [d for d in history.declarations if d.effective_from <= day]
    if not in_force:
        return Declaration(day, "working")
    return max(in_force, key=lambda d: d.effective_from)


def _stint_on(history: History, day: date) -> Stint | None:
    for stint in history.stints:
        if stint.from_on <= day and (stint.until_on is None or day < stint.until_on):
            return stint
    return None


def _first_month(mci: Sequence[tuple[date, int]]) -> date:
    """Decision 225: the dues records begin with the first month whose 1st the table covers."""
    start = min(r[0] for r in mci)
    return start if start.day == 1 else _next_month(start)


def _mci_on(mci: Sequence[tuple[date, int]], day: date) -> int:
    return max((r for r in mci if r[0] <= day), key=lambda r: r[0])[1]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _first_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
