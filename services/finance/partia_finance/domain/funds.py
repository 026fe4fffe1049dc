"""What a donation is for: the party's own funds or a named election fund, kept apart (DOMAIN §6)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from partia_kit.rules import RuleViolation


class FundKind(StrEnum):
    PARTY_FUNDS = "party_funds"  # Ch. 12.1
    ELECTION_FUND = "election_fund"  # Constitutional Law "On Elections": one per election


@dataclass(frozen=True, slots=True)
class Purpose:
    """Party funds, or one election fund by name (e.g. "mazhilis-2026"). Caps, deadlines and
    reports are kept per fund, so a donation names exactly one."""

    kind: FundKind
    election: str | None = None

    def __post_init__(self) -> None:
        named = bool(self.election and self.election.strip())
        if self.kind is FundKind.ELECTION_FUND and not named:
            raise RuleViolation(
                "election-fund-named",
                "Constitutional Law On Elections (election funds)",
                "a donation to an election fund names the election",
                field="purpose.election",
            )
        if self.kind is FundKind.PARTY_FUNDS and self.election is not None:
            raise RuleViolation(
                "funds-kept-apart",
                "Ch. 12.1",
                "a donation to the party's funds names no election: election funds are kept apart",
                field="purpose.election",
            )

    @classmethod
    def party_funds(cls) -> Purpose:
        return cls(FundKind.PARTY_FUNDS)

    @classmethod
    def election_fund(cls, election: str) -> Purpose:
        return cls(FundKind.ELECTION_FUND, election)

    @property
    def key(self) -> str:
        """One stable text per fund: "party_funds" or "election_fund:<election>"."""
        return self.kind.value if self.election is None else f"{self.kind.value}:{self.election}"
