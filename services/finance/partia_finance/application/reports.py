"""The per-donor register against caps (issue 11 items 5, 7): each identified donor's accepted
total per fund and period next to the cap in force, and what is left or exceeded. The totals come
from the donation index (`FinanceQueries.donor_totals`); the caps from configuration, never a
constant (decision 182)."""

from __future__ import annotations

from datetime import date
from typing import Any

from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.funds import FundKind, Purpose
from partia_finance.domain.policies.caps import CapPeriod, cap_in_tiyn


def purpose_of(fund: str) -> Purpose:
    """The inverse of `Purpose.key`: "party_funds" or "election_fund:<election>"."""
    kind, _, election = fund.partition(":")
    return Purpose(FundKind(kind), election or None)


def against_caps(
    rows: list[dict[str, Any]], year: int, as_of: date, configuration: FinanceConfiguration
) -> list[dict[str, Any]]:
    """Each row with its period ("<year>" or "whole_fund", as the fund's cap counts), the total
    accepted in it, the cap in tiyn (the MCI in force on the period's last day, or `as_of` if
    earlier; None: no cap), and what is left under it or accepted past it (a cap lowered, or an
    MCI that fell, can leave a donor over)."""
    day = min(as_of, date(year, 12, 31))
    rate = configuration.mci.rate_on(max(day, configuration.mci.rates[0].effective_from))
    found = []
    for row in rows:
        cap = configuration.fund_policy(purpose_of(row["fund"])).cap
        whole = cap is not None and cap.period is CapPeriod.WHOLE_FUND
        total = row["life_accepted_tiyn"] if whole else row["year_accepted_tiyn"]
        limit = None if cap is None else cap_in_tiyn(cap.mci_multiple, rate.kzt)
        found.append(
            {
                "donor_digest": row["donor_digest"].hex(),
                "donor_kind": row["donor_kind"],
                "fund": row["fund"],
                "period": CapPeriod.WHOLE_FUND.value if whole else str(year),
                "donations": row["donations"],
                "received_tiyn": row["received_tiyn"],
                "accepted_tiyn": total,
                "returned_excess_tiyn": row["returned_excess_tiyn"],
                "cap_mci": None if cap is None else str(cap.mci_multiple),
                "mci_kzt": None if cap is None else rate.kzt,
                "cap_tiyn": limit,
                "left_tiyn": None if limit is None else max(0, limit - total),
                "exceeded_tiyn": None if limit is None else max(0, total - limit),
            }
        )
    return found
