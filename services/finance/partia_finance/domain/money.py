"""Money as the bank credits it: whole tiyn (1 tenge = 100 tiyn), in tenge only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from partia_kit.rules import RuleViolation

CURRENCY = "KZT"
TIYN_PER_TENGE = 100


class PaymentChannel(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"  # named only so that it can be refused with its clause (Ch. 12.6)


@dataclass(frozen=True, slots=True)
class Amount:
    """A positive number of tiyn in KZT. Integers only: no rounding ever happens inside an amount."""

    tiyn: int
    currency: str = CURRENCY

    def __post_init__(self) -> None:
        if self.currency != CURRENCY:
            raise RuleViolation(
                "currency-kzt",
                "Ch. 12.6",
                f"donations are credited to the party's bank account in tenge (KZT); "
                f"got {self.currency!r}",
                field="amount.currency",
            )
        if isinstance(self.tiyn, bool) or not isinstance(self.tiyn, int) or self.tiyn <= 0:
            raise RuleViolation(
                "amount-positive",
                "Ch. 12.1",
                f"an amount is a positive whole number of tiyn; got {self.tiyn!r}",
                field="amount.tiyn",
            )

    def __str__(self) -> str:
        tenge, tiyn = divmod(self.tiyn, TIYN_PER_TENGE)
        return f"{tenge:,}.{tiyn:02d} {self.currency}".replace(",", " ")
