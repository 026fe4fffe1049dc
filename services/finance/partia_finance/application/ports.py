"""What the finance application needs from the outside world, as protocols the adapters fulfil."""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID

from partia_finance.domain.donations import Donation
from partia_finance.domain.dues import MemberSpells
from partia_finance.domain.dues_account import DuesAccount
from partia_finance.domain.funds import Purpose
from partia_finance.domain.obligations import ReturnObligation
from partia_kit import batches


class UnitOfWork(batches.UnitOfWork, Protocol):
    def donation(self, donation_id: UUID) -> Donation: ...

    def obligation(self, obligation_id: UUID) -> ReturnObligation: ...

    def add(self, aggregate: Donation | ReturnObligation | DuesAccount) -> None: ...

    def dues_account(self, member_id: UUID) -> DuesAccount:
        """The member's dues account (NotFound: none opened yet)."""
        ...

    def membership(self, member_id: UUID) -> MemberSpells:
        """The member's spells (NotFound: never a member as far as finance knows)."""
        ...

    def members_with_card(self, card_number: str) -> list[UUID]:
        """Who holds the party card with this number (none, one, or more if ambiguous)."""
        ...

    def organisation_chain(self, organisation_id: UUID) -> list[UUID] | None:
        """The organisation and those above it up to the party (None: unknown to finance)."""
        ...

    def accepted_total(
        self, identification_number: str, purpose: Purpose, period: tuple[date, date] | None
    ) -> int:
        """Tiyn accepted from the donor with this IIN or BIN into the fund in the period (None:
        the fund's whole life), across every branch."""
        ...
