"""What the application needs from the outside world, stated as protocols the adapters fulfil."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

from partia_kit.idempotency import IdempotencyKey, StoredOutcome
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import Organisation


class UnitOfWork(Protocol):
    """The aggregates and indexes one batch of commands reads and changes, saved in one transaction."""

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

    def begin_command(self) -> int:
        """Mark the start of one command, so that `command_changed_state` can tell what it did;
        returns its number in this unit of work (for `positions_of`)."""
        ...

    def command_changed_state(self) -> bool:
        """Whether the current command added an event or a record (a refused one must not)."""
        ...

    def remember_outcome(self, key: IdempotencyKey, result: Mapping[str, Any]) -> None: ...

    def commit(self) -> Sequence[int]:
        """Save every change in one transaction; return the log positions of the new events.
        Raises `ConcurrentChange` when another writer got there first."""
        ...

    def positions_of(self, command: int) -> tuple[int, ...]:
        """After `commit`: the log positions of the events that command (numbered by
        `begin_command`) caused, in order; what its idempotency record stores too."""
        ...


class Store(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...

    def catch_up(self) -> bool:
        """Forget cached records that other writers changed; True when the log had changed."""
        ...

    def stored_outcomes(
        self, keys: Sequence[IdempotencyKey]
    ) -> dict[tuple[str, str], StoredOutcome]: ...


class StoreUnavailable(Exception):
    """The database itself failed during a commit (connection lost, server shutting down, out of
    resources): no command's fault, so every command of the batch is answered with it."""


class ConcurrentChange(Exception):
    """Another writer changed the same record (or claimed the same IIN) first; try again."""
