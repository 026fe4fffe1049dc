"""What the application needs from the outside world, stated as protocols the adapters fulfil."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol
from uuid import UUID

from partia_kit import batches
from partia_kit.batches import ConcurrentChange, StoreUnavailable
from partia_kit.idempotency import IdempotencyKey, StoredOutcome
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import Organisation


class UnitOfWork(batches.UnitOfWork, Protocol):
    """The aggregates and indexes one batch of commands reads and changes, saved in one transaction
    (what the batch runner needs of it: `partia_kit.batches.UnitOfWork`)."""

    def prefetch(self, record_ids: Iterable[UUID]) -> None:
        """Load these records in one go (a hint: missing ones are simply not loaded)."""
        ...

    def member(self, member_id: UUID) -> Member: ...

    def organisation(self, organisation_id: UUID) -> Organisation: ...

    def add(self, aggregate: Member | Organisation) -> None: ...

    def member_id_for_iin(self, iin: str) -> UUID | None: ...

    def next_card_serial(self) -> int: ...

    def members_on_roll(self, organisation_id: UUID) -> int: ...

    def active_children(self, organisation_id: UUID) -> int: ...


class Store(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...

    def catch_up(self) -> bool:
        """Forget cached records that other writers changed; True when the log had changed."""
        ...

    def stored_outcomes(
        self, keys: Sequence[IdempotencyKey]
    ) -> dict[tuple[str, str], StoredOutcome]: ...


__all__ = ["ConcurrentChange", "Store", "StoreUnavailable", "UnitOfWork"]
