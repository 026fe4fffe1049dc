"""What a member owes in dues and what they have paid, on any date (issue 12; decision 216).

Pure: the caller passes the member's membership spells (finance's view of the registry's events),
the categories they declared, their payments and the MCI table. Nothing here is stored: charges are
computed from spells × category spells × MCI every time they are asked for, so a late fact (a
category declared, a payment reversed, a restoration) changes every later figure at once.

The functions others call:
- `charges(spells, categories, mci, through)`: every charge up to the month containing `through`;
- `arrears_on(spells, categories, payments, mci, on)`: months and tiyn due before `on` and unpaid;
- `statement_of_account(spells, categories, payments, mci, on)`: charges, payments, allocation,
  credit and balance as of `on`.
The SQL behind the party-wide reports is held equal to `arrears_on` by a test (decision 216).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from partia_finance.domain.mci import MciTable
from partia_finance.domain.policies.dues import (
    RateClass,
    entrance_fee_tiyn,
    monthly_amount_tiyn,
)

_ONE_DAY = timedelta(days=1)

ADMISSION = "admission"
"""A spell opened by an admission (a re-admission too) carries an entrance fee (Ch. 12.2)."""
RESTORATION = "restoration"
"""A spell opened by a restoration (an expulsion annulled) continues the one before it: the gap
is owed and no entrance fee arises (decision 216)."""


@dataclass(frozen=True, slots=True)
class MembershipSpell:
    """A stint of the member in one primary organisation, half-open `[from_on, until_on)`."""

    organisation_id: UUID
    from_on: date
    until_on: date | None
    opened_by: str = ADMISSION


@dataclass(frozen=True, slots=True)
class MemberSpells:
    """A member as finance knows them: their spells and the party card numbers they held."""

    spells: list[MembershipSpell]
    card_numbers: list[str]

    def organisation_on(self, day: date) -> UUID:
        """The primary organisation on `day`; before the first spell the first one's, after the
        last the last one's (where a payment outside membership is booked)."""
        ordered = sorted(self.spells, key=lambda s: s.from_on)
        chosen = ordered[0]
        for spell in ordered:
            if spell.from_on <= day:
                chosen = spell
        return chosen.organisation_id


@dataclass(frozen=True, slots=True)
class CategorySpell:
    """The rate class in force from a date, and a voluntary higher monthly amount if declared."""

    effective_from: date
    rate: RateClass
    voluntary_tiyn: int | None = None


@dataclass(frozen=True, slots=True)
class DuesPayment:
    payment_id: UUID
    paid_on: date
    amount_tiyn: int
    reversed_on: date | None = None

    def counts_on(self, day: date) -> bool:
        """Paid on or before `day` and not reversed by then."""
        return self.paid_on <= day and (self.reversed_on is None or self.reversed_on > day)


class ChargeKind(StrEnum):
    ENTRANCE_FEE = "entrance_fee"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Charge:
    """A month's dues (or an admission's entrance fee), due on the month's last day."""

    kind: ChargeKind
    month: date  # the month's first day
    organisation_id: UUID  # where it arose and stays visible
    amount_tiyn: int
    rate: RateClass
    mci_kzt: int

    @property
    def due_on(self) -> date:
        return month_end(self.month)


@dataclass(frozen=True, slots=True)
class ChargeLine:
    charge: Charge
    paid_tiyn: int

    @property
    def owed_tiyn(self) -> int:
        return self.charge.amount_tiyn - self.paid_tiyn


@dataclass(frozen=True, slots=True)
class Allocation:
    """Part of a payment applied to a charge (FIFO: the oldest unpaid charge first)."""

    payment_id: UUID
    kind: ChargeKind
    month: date
    tiyn: int


@dataclass(frozen=True, slots=True)
class Arrears:
    on: date
    months_owed: int  # monthly charges due before `on` and not fully paid
    amount_tiyn: int  # what those charges (and an unpaid entrance fee) still lack
    oldest_unpaid: date | None  # the month of the oldest charge in arrears


@dataclass(frozen=True, slots=True)
class StatementOfAccount:
    on: date
    lines: tuple[ChargeLine, ...]
    payments: tuple[DuesPayment, ...]  # those that count on `on`
    allocations: tuple[Allocation, ...]
    charged_tiyn: int
    paid_tiyn: int
    credit_tiyn: int  # paid and not yet needed by any charge
    arrears: Arrears

    @property
    def balance_tiyn(self) -> int:
        """Charged minus paid: positive is owed (including the current month), negative credit."""
        return self.charged_tiyn - self.paid_tiyn


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return _next_month(day) - _ONE_DAY


def _next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def continuous(spells: Iterable[MembershipSpell]) -> list[MembershipSpell]:
    """The spells in order, a restoration joined to the spell before it: the one that ended
    continues up to the restoration (an annulled expulsion, "as if it had not ended")."""
    ordered = sorted(spells, key=lambda s: (s.from_on, s.until_on or date.max))
    joined: list[MembershipSpell] = []
    for spell in ordered:
        if spell.opened_by == RESTORATION and joined:
            before = joined[-1]
            if before.until_on is not None and before.until_on < spell.from_on:
                joined[-1] = replace(before, until_on=spell.from_on)
        joined.append(spell)
    return joined


def _category_on(categories: Sequence[CategorySpell], day: date) -> CategorySpell:
    """The category in force on `day`; none declared means the working rate (decision 216)."""
    in_force = [c for c in categories if c.effective_from <= day]
    if not in_force:
        return CategorySpell(day, RateClass.WORKING)
    return max(in_force, key=lambda c: c.effective_from)


def _month_of_membership(
    spells: Sequence[MembershipSpell], first: date
) -> tuple[date, UUID] | None:
    """The month's first day of membership and the organisation of its last day, or None when
    the person was not a member on any day of the month."""
    last = month_end(first)
    first_day: date | None = None
    last_day: tuple[date, date, UUID] | None = None  # (last day, spell start, organisation)
    for spell in spells:
        begins = max(spell.from_on, first)
        ends = last if spell.until_on is None else min(spell.until_on - timedelta(days=1), last)
        if begins > ends:
            continue
        first_day = begins if first_day is None else min(first_day, begins)
        candidate = (ends, spell.from_on, spell.organisation_id)
        if last_day is None or candidate[:2] > last_day[:2]:
            last_day = candidate
    if first_day is None or last_day is None:
        return None
    return first_day, last_day[2]


def charges(
    spells: Iterable[MembershipSpell],
    categories: Iterable[CategorySpell],
    mci: MciTable,
    through: date,
) -> list[Charge]:
    """Every charge up to the month containing `through`, oldest due first (an entrance fee before
    its admission month): each month with a day of membership (Ch. 3.2, 5.2) at the rate of the
    category in force on its first day of membership and the MCI in force on its 1st (Ch. 12.2),
    and an entrance fee per admission (decision 216)."""
    joined = continuous(spells)
    cats = sorted(categories, key=lambda c: c.effective_from)
    if not joined:
        return []
    found: list[Charge] = []
    first_month = first_month_owed(mci)
    for spell in joined:
        if spell.opened_by == ADMISSION and first_month <= month_start(spell.from_on) <= through:
            fee = _entrance_fee(spell, joined, cats, mci)
            if fee is not None:
                found.append(fee)
    month = max(month_start(joined[0].from_on), first_month)
    while month <= through:
        membership = _month_of_membership(joined, month)
        if membership is not None:
            first_day, organisation = membership
            category = _category_on(cats, first_day)
            kzt = mci.rate_on(month).kzt
            amount = monthly_amount_tiyn(category.rate, kzt, category.voluntary_tiyn)
            found.append(Charge(ChargeKind.MONTH, month, organisation, amount, category.rate, kzt))
        month = _next_month(month)
    return sorted(found, key=_charge_order)


def first_month_owed(mci: MciTable) -> date:
    """The first month whose 1st the MCI table covers: finance's dues records begin there, and
    months (and entrance fees) before it are not charged (decision 225)."""
    start = mci.rates[0].effective_from
    return start if start.day == 1 else _next_month(start)


def _entrance_fee(
    spell: MembershipSpell,
    spells: Sequence[MembershipSpell],
    categories: Sequence[CategorySpell],
    mci: MciTable,
) -> Charge | None:
    """The admission's fee, where its month belongs (decision 216, readings settled): an
    admission with no day of membership (joined and left on one day) charges none."""
    if spell.until_on is not None and spell.until_on <= spell.from_on:
        return None
    month = month_start(spell.from_on)
    membership = _month_of_membership(spells, month)
    rate = _category_on(categories, spell.from_on).rate
    kzt = mci.rate_on(month).kzt
    fee = entrance_fee_tiyn(rate, kzt)
    if fee == 0 or membership is None:
        return None
    return Charge(ChargeKind.ENTRANCE_FEE, month, membership[1], fee, rate, kzt)


def _charge_order(charge: Charge) -> tuple[date, int]:
    return charge.month, 0 if charge.kind is ChargeKind.ENTRANCE_FEE else 1


def allocate(
    due: Sequence[Charge], payments: Iterable[DuesPayment], on: date
) -> tuple[list[ChargeLine], list[Allocation], int]:
    """FIFO: the payments that count on `on`, in the order paid, applied to the oldest charge
    not yet fully paid; what is left is credit (decision 216). Returns the charge lines, the
    allocations and the credit."""
    counted = sorted(
        (p for p in payments if p.counts_on(on)), key=lambda p: (p.paid_on, p.payment_id)
    )
    paid = [0] * len(due)
    allocations: list[Allocation] = []
    index = 0
    credit = 0
    for payment in counted:
        left = payment.amount_tiyn
        while left and index < len(due):
            room = due[index].amount_tiyn - paid[index]
            if room <= 0:
                index += 1
                continue
            applied = min(room, left)
            paid[index] += applied
            left -= applied
            allocations.append(
                Allocation(payment.payment_id, due[index].kind, due[index].month, applied)
            )
        credit += left
    lines = [ChargeLine(charge, p) for charge, p in zip(due, paid, strict=True)]
    return lines, allocations, credit


def _arrears(lines: Sequence[ChargeLine], on: date) -> Arrears:
    late = [line for line in lines if line.charge.due_on < on and line.owed_tiyn > 0]
    return Arrears(
        on=on,
        months_owed=sum(1 for line in late if line.charge.kind is ChargeKind.MONTH),
        amount_tiyn=sum(line.owed_tiyn for line in late),
        oldest_unpaid=late[0].charge.month if late else None,
    )


def statement_of_account(
    spells: Iterable[MembershipSpell],
    categories: Iterable[CategorySpell],
    payments: Iterable[DuesPayment],
    mci: MciTable,
    on: date,
) -> StatementOfAccount:
    """A member's account as of `on`: every charge up to `on`'s month with what paid it, the
    payments that count, the credit left, and the arrears (charges due before `on` unpaid)."""
    given = list(payments)
    due = charges(spells, categories, mci, on)
    lines, allocations, credit = allocate(due, given, on)
    counted = tuple(
        sorted((p for p in given if p.counts_on(on)), key=lambda p: (p.paid_on, p.payment_id))
    )
    return StatementOfAccount(
        on=on,
        lines=tuple(lines),
        payments=counted,
        allocations=tuple(allocations),
        charged_tiyn=sum(c.amount_tiyn for c in due),
        paid_tiyn=sum(p.amount_tiyn for p in counted),
        credit_tiyn=credit,
        arrears=_arrears(lines, on),
    )


def arrears_on(
    spells: Iterable[MembershipSpell],
    categories: Iterable[CategorySpell],
    payments: Iterable[DuesPayment],
    mci: MciTable,
    on: date,
) -> Arrears:
    """Months and tiyn due before `on` and not paid by then (a partly paid month counts)."""
    return statement_of_account(spells, categories, payments, mci, on).arrears
