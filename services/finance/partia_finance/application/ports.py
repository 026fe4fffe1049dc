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

    def personal_data_erased(self, member_id: UUID) -> bool:
        """Whether the registry erased the member's personal data (finance destroyed their key)."""
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


class RegistryUnavailable(Exception):
    """The registry cannot answer now (down, an error, finance's token refused)."""


class MemberDirectory(Protocol):
    """The registry, asked whose record holds an IIN (decision 296): finance keeps no IINs of
    members, so a bank line naming one is matched by asking."""

    def member_with_iin(self, iin: str) -> UUID | None:
        """The record holding this valid IIN; None for nobody (or a person whose data was
        erased). Raises `RegistryUnavailable` when the registry cannot answer now."""
        ...
