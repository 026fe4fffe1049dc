"""A unit of work over a service's event store (moved from the registry, decision 196): the
aggregates one batch of commands reads and changes, committed in one transaction with whatever the
service stores alongside (index rows, destroyed keys) and the idempotency records of its requests,
each command's events attributed to it for its answer.

A service subclasses `EventUnitOfWork` with its record accessors (`self._get(id, cls, what)`) and
overrides the hooks: `_cached` (an aggregate cache), `_alongside` (statements for the events),
`_committed` and `_unchanged` (after the commit, or when nothing changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from partia_kit.batches import ConcurrentChange, StoreUnavailable
from partia_kit.idempotency import IdempotencyKey
from partia_kit.postgres.event_store import EventStore
from partia_kit.postgres.failures import UNIQUE_VIOLATION, database_failed, sqlstate
from partia_kit.postgres.idempotency import remembered
from partia_kit.postgres.statements import Statement
from partia_kit.rules import NotFound

A = TypeVar("A", bound=Aggregate)


class EventUnitOfWork:
    def __init__(self, events: EventStore, idempotency_table: str) -> None:
        self._events = events
        self._idempotency_table = idempotency_table
        self._aggregates: dict[UUID, Any] = {}
        self._outcomes: list[tuple[IdempotencyKey, Mapping[str, Any], int]] = []
        self._handed_out: dict[UUID, int] = {}  # record -> its pending events when handed out
        self._command = -1  # the current command's number (-1: none begun)
        self._caused_by: dict[tuple[UUID, int], int] = {}  # (record, version) -> command
        self._positions: dict[int, list[int]] = {}  # command -> its events' positions
        self._read: dict[UUID, int] = {}  # stored record -> the version its commands read

    # --- hooks ------------------------------------------------------------------------------

    def _cached(self, aggregate_id: UUID) -> Any | None:
        """A committed copy the service keeps between batches (taken out while worked on)."""
        return None

    def _alongside(self, events: Sequence[Any]) -> list[Statement]:
        """Statements to run in the events' transaction (index rows, destroyed keys)."""
        return []

    def _committed(self, aggregates: list[Any], positions: list[int]) -> None:
        """After a commit that stored these aggregates' events at `positions`."""

    def _unchanged(self, aggregates: list[Any]) -> None:
        """After a commit with no events to store."""

    # --- records ----------------------------------------------------------------------------

    def prefetch(self, record_ids: Iterable[UUID]) -> None:
        """A hint: the default loads each record when it is asked for."""

    def add(self, aggregate: Any) -> None:
        self._aggregates[aggregate.id] = aggregate
        self._handed_out[aggregate.id] = -1  # a new record is a change by itself

    def _get(self, aggregate_id: UUID, cls: type[A], what: str) -> A:
        found = self._aggregates.get(aggregate_id)
        if found is None:
            found = self._cached(aggregate_id)
            if found is None:
                try:
                    found = self._events.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    raise NotFound(what, aggregate_id) from None
            self._aggregates[aggregate_id] = found
            self._read[found.id] = found.version
        if not isinstance(found, cls):
            raise NotFound(what, aggregate_id)
        self._handed_out.setdefault(aggregate_id, len(found.pending_events))
        return found

    # --- commands ---------------------------------------------------------------------------

    def begin_command(self) -> int:
        self._attribute()
        self._handed_out = {}
        self._command += 1
        return self._command

    def _attribute(self) -> None:
        """Note which events the current command caused: those its records gained since they
        were handed out to it (each command's answer and idempotency record hold its own)."""
        for aggregate_id, pending in self._handed_out.items():
            for event in self._aggregates[aggregate_id].pending_events[max(pending, 0) :]:
                self._caused_by.setdefault(
                    (event.originator_id, event.originator_version), self._command
                )

    def positions_of(self, command: int) -> tuple[int, ...]:
        return tuple(sorted(self._positions.get(command, ())))

    def command_changed_state(self) -> bool:
        return any(
            len(self._aggregates[aggregate_id].pending_events) != pending
            for aggregate_id, pending in self._handed_out.items()
        )

    def remember_outcome(self, key: IdempotencyKey, result: Mapping[str, Any]) -> None:
        self._outcomes.append((key, result, self._command))

    # --- the commit -------------------------------------------------------------------------

    def commit(self) -> Sequence[int]:
        self._attribute()
        aggregates = list(self._aggregates.values())
        events = [e for a in aggregates for e in a.collect_events()]
        if not events:
            self._unchanged(aggregates)
            return []
        vault = self._events.vault
        try:
            recordings = self._events.events.put(
                events,
                alongside=self._alongside(events),
                remembered=remembered(
                    self._events.schema, self._idempotency_table, self._outcomes, self._caused_by
                ),
                read=self._read,
            )
        except IntegrityError as conflict:
            vault.keys_not_saved()
            if sqlstate(conflict) not in (None, UNIQUE_VIOLATION):
                raise  # one command's rows broke a table's rule: retrying cannot help
            raise ConcurrentChange(str(conflict)) from conflict
        except (OperationalError, InterfaceError) as failure:
            vault.keys_not_saved()
            if database_failed(failure):
                raise StoreUnavailable(str(failure)) from failure
            raise  # e.g. an index row too large (54000): one command's doing
        except BaseException:
            vault.keys_not_saved()
            raise
        vault.keys_saved()
        for r in recordings:
            caused = (r.domain_event.originator_id, r.domain_event.originator_version)
            self._positions.setdefault(self._caused_by.get(caused, -1), []).append(
                r.notification.id
            )
        positions = sorted(r.notification.id for r in recordings)
        self._committed(aggregates, positions)
        return positions
