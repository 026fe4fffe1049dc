"""The finance rules that are configuration, not code: the MCI table, caps and deadlines per fund,
where an anonymous donor's money goes, how long records are kept (DOMAIN §6).

Pure parsing: the caller reads the text (e.g. `parties/baytaq.toml` in this package) and passes
it in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from partia_finance.domain.funds import FundKind, Purpose
from partia_finance.domain.mci import MciRate, MciTable
from partia_finance.domain.policies.caps import Cap, CapPeriod
from partia_finance.domain.policies.returns import Disposition

DEFAULT_RETURN_WITHIN_DAYS = 30
"""The UK's standard for returning an impermissible donation (DOMAIN §6); the party law is silent."""


@dataclass(frozen=True, slots=True)
class FundPolicy:
    """A fund's clock and cap: days to return money (and to decide a donation), the cap or none."""

    return_within_days: int = DEFAULT_RETURN_WITHIN_DAYS
    cap: Cap | None = None


@dataclass(frozen=True, slots=True)
class FinanceConfiguration:
    mci: MciTable
    anonymous_disposition: Disposition = Disposition.TRANSFER_TO_REPUBLICAN_BUDGET
    retention_years: int = 5
    party_funds: FundPolicy = FundPolicy()
    election_funds_default: FundPolicy = FundPolicy()
    election_funds: Mapping[str, FundPolicy] = field(default_factory=dict)
    dues_arrears_threshold_months: int = 3
    """Unpaid months that make a notice to the member (issue 12 item 6; never a sanction)."""

    def fund_policy(self, purpose: Purpose) -> FundPolicy:
        """Party funds have theirs; a named election fund its own entry, else the default."""
        if purpose.kind is FundKind.PARTY_FUNDS or purpose.election is None:
            return self.party_funds
        return self.election_funds.get(purpose.election, self.election_funds_default)

    @classmethod
    def from_toml(cls, text: str) -> FinanceConfiguration:
        return cls.from_mapping(tomllib.loads(text))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FinanceConfiguration:
        funds = data.get("funds", {})
        elections = funds.get("election_funds", {})
        return cls(
            mci=MciTable(MciRate(_date(r["effective_from"]), int(r["kzt"])) for r in data["mci"]),
            anonymous_disposition=Disposition(
                data.get("anonymous_disposition", Disposition.TRANSFER_TO_REPUBLICAN_BUDGET)
            ),
            retention_years=_positive(data.get("retention_years", 5), "retention_years"),
            party_funds=_fund_policy(funds.get("party_funds", {})),
            election_funds_default=_fund_policy(funds.get("election_fund_default", {})),
            election_funds={name: _fund_policy(entry) for name, entry in elections.items()},
            dues_arrears_threshold_months=_positive(
                data.get("dues", {}).get("arrears_threshold_months", 3),
                "dues.arrears_threshold_months",
            ),
        )


def _fund_policy(entry: Mapping[str, Any]) -> FundPolicy:
    days = _positive(
        entry.get("return_within_days", DEFAULT_RETURN_WITHIN_DAYS), "return_within_days"
    )
    if "cap_mci" not in entry:
        return FundPolicy(days, None)
    # Written as text or an integer ("2.5", 1000): a float would not be exact.
    if isinstance(entry["cap_mci"], float):
        raise ValueError('cap_mci is an integer or a decimal in quotes ("2.5"), never a float')
    multiple = Fraction(str(entry["cap_mci"]))
    if multiple <= 0:
        raise ValueError("cap_mci is a positive number of MCI")
    period = CapPeriod(entry.get("cap_period", CapPeriod.CALENDAR_YEAR))
    return FundPolicy(days, Cap(multiple, period))


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} is a positive whole number")
    return value


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
