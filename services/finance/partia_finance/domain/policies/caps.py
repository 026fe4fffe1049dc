"""Caps on what one donor may give one fund in one period, in MCI multiples (DOMAIN §6; the
election law caps election-fund donations and sends the excess back to the donor).

A donor's total is kept across every branch of the party (the service keys it by a digest of the
IIN or BIN) and passed in here as `prior_total_tiyn`: the amounts already accepted from the same
donor into the same fund in the same period.

Rounding, the one place it happens: cap in tiyn = floor(multiple × MCI in tenge × 100), the MCI
being the one in force on the day the money was credited. Rounding down keeps the party inside the
law; everything after is whole-tiyn integer arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from partia_finance.domain.mci import MciTable
from partia_finance.domain.money import TIYN_PER_TENGE


class CapPeriod(StrEnum):
    CALENDAR_YEAR = "calendar_year"  # 1 January to 31 December of the day credited
    WHOLE_FUND = "whole_fund"  # the fund's whole life (an election fund: one campaign)


@dataclass(frozen=True, slots=True)
class Cap:
    """At most `mci_multiple` MCI per donor per period into one fund."""

    mci_multiple: Fraction
    period: CapPeriod

    def period_containing(self, day: date) -> tuple[date, date] | None:
        """The first and last day of the period whose donations add up against the cap, or None
        when the period is the fund's whole life."""
        if self.period is CapPeriod.CALENDAR_YEAR:
            return date(day.year, 1, 1), date(day.year, 12, 31)
        return None


@dataclass(frozen=True, slots=True)
class CapApplied:
    """What a decision records of the cap it applied, so that it can be checked by hand."""

    mci_multiple: str  # the multiple as written, e.g. "1000" or "2.5"
    mci_kzt: int
    mci_effective_from: date
    cap_tiyn: int
    period: CapPeriod
    prior_total_tiyn: int


@dataclass(frozen=True, slots=True)
class Split:
    """A donation divided at the cap: the part accepted and the excess that goes back."""

    accepted_tiyn: int
    excess_tiyn: int
    cap: CapApplied | None


def cap_in_tiyn(mci_multiple: Fraction, mci_kzt: int) -> int:
    """floor(multiple × MCI × 100): rounded down to the whole tiyn, never up past the law."""
    return math.floor(mci_multiple * mci_kzt * TIYN_PER_TENGE)


def split_at_cap(
    amount_tiyn: int,
    prior_total_tiyn: int,
    cap: Cap | None,
    mci: MciTable,
    credited_on: date,
) -> Split:
    """DOMAIN §6: a donation over the cap is accepted up to it; the excess goes back to the
    donor. No cap (the default for party funds): all of it is accepted."""
    if prior_total_tiyn < 0:
        raise ValueError("a donor's prior total is never negative")
    if cap is None:
        return Split(amount_tiyn, 0, None)
    rate = mci.rate_on(credited_on)
    limit = cap_in_tiyn(cap.mci_multiple, rate.kzt)
    accepted = max(0, min(amount_tiyn, limit - prior_total_tiyn))
    applied = CapApplied(
        mci_multiple=str(cap.mci_multiple),
        mci_kzt=rate.kzt,
        mci_effective_from=rate.effective_from,
        cap_tiyn=limit,
        period=cap.period,
        prior_total_tiyn=prior_total_tiyn,
    )
    return Split(accepted, amount_tiyn - accepted, applied)
