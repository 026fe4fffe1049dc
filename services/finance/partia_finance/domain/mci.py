"""The monthly calculation index (MCI): a KZT amount the republican budget law fixes, usually per
year and now and then changed mid-year. Caps are multiples of it, so the amount is looked up by
date in a table loaded from configuration, never written into code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from partia_kit.rules import RuleViolation


@dataclass(frozen=True, slots=True)
class MciRate:
    """One MCI amount in whole tenge, in force from `effective_from` until the next rate."""

    effective_from: date
    kzt: int


class MciTable:
    """The MCI amounts by date of effect."""

    def __init__(self, rates: Iterable[MciRate]) -> None:
        self.rates = tuple(sorted(rates, key=lambda r: r.effective_from))
        days = [r.effective_from for r in self.rates]
        if not days or len(set(days)) != len(days):
            raise ValueError("an MCI table has at least one rate and one rate per date")
        if any(r.kzt <= 0 for r in self.rates):
            raise ValueError("an MCI amount is a positive number of tenge")

    def rate_on(self, day: date) -> MciRate:
        """The rate in force on `day`: the latest that took effect on or before it."""
        in_force = [r for r in self.rates if r.effective_from <= day]
        if not in_force:
            raise RuleViolation(
                "mci-unknown",
                "Law on the republican budget (MCI)",
                f"the MCI table starts on {self.rates[0].effective_from.isoformat()}; it has no "
                f"amount for {day.isoformat()}",
                field="credited_on",
            )
        return in_force[-1]
