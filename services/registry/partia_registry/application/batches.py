"""Running commands in batches, so that many decisions share one transaction (group commit).

The event store serialises writers on a table lock (NOTES-eventsourcing), so throughput comes from
putting more events in each transaction, not from more threads. A batch runs its commands one by one
against one unit of work and commits once. A refused command is reported to its caller alone; if it
had already changed something before it was refused, the batch starts again without it, so a refusal
never leaves half a decision behind.

Idempotency costs nothing on the happy path: a command's outcome is stored in the same transaction
as its events, under a unique (user, key). A retried request that was already decided is either
refused by the domain (the state has moved on) or collides with the stored key; only then is the
stored outcome looked up and returned instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from partia_registry.application.commands import Command
from partia_registry.application.handlers import Handler, Receipt
from partia_registry.application.ports import ConcurrentChange, IdempotencyKey, Store, UnitOfWork
from partia_registry.domain.rules import NotFound, RuleViolation

log = logging.getLogger(__name__)

RETRIES_AFTER_CONFLICT = 3


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one command: a receipt, or the reason it was refused."""

    receipt: Receipt | None = None
    error: BaseException | None = None
    replayed: bool = False
    positions: tuple[int, ...] = ()


Todo = list[tuple[int, Command]]


class BatchRunner:
    def __init__(self, store: Store, handlers: Mapping[type[Command], Handler]) -> None:
        self._store = store
        self._handlers = handlers

    def run(self, commands: Sequence[Command]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        self._attempt(_first_use_of_each_key(commands, outcomes), outcomes)
        return [outcomes[i] for i in range(len(commands))]

    def _attempt(self, todo: Todo, outcomes: dict[int, Outcome]) -> None:
        if not todo:
            return
        uow = self._store.unit_of_work()
        uow.prefetch({record for _, cmd in todo for record in cmd.named_records()})
        decided: list[tuple[int, Receipt]] = []
        for i, cmd in todo:
            uow.begin_command()
            try:
                receipt = self._decide(cmd, uow)
            except Exception as refusal:
                outcomes[i] = self._refused(cmd, refusal)
                if uow.command_changed_state():
                    # It changed state before it was refused: start over without it.
                    self._attempt([(j, other) for j, other in todo if j not in outcomes], outcomes)
                    return
                continue
            decided.append((i, receipt))
        if decided:
            self._commit(uow, decided, dict(todo), outcomes)

    def _commit(
        self,
        uow: UnitOfWork,
        decided: list[tuple[int, Receipt]],
        commands: dict[int, Command],
        outcomes: dict[int, Outcome],
    ) -> None:
        try:
            positions = tuple(uow.commit())
        except ConcurrentChange:
            # Another writer got there first for one of them: decide each again, alone.
            for i, _ in decided:
                self._attempt_alone(i, commands[i], outcomes)
            return
        for i, receipt in decided:
            outcomes[i] = Outcome(receipt=receipt, positions=positions)

    def _attempt_alone(self, i: int, cmd: Command, outcomes: dict[int, Outcome]) -> None:
        for _ in range(RETRIES_AFTER_CONFLICT):
            earlier = self._earlier_outcome(cmd.idempotency)
            if earlier is not None:
                outcomes[i] = earlier
                return
            uow = self._store.unit_of_work()
            try:
                receipt = self._decide(cmd, uow)
                positions = tuple(uow.commit())
            except ConcurrentChange:
                continue
            except Exception as refusal:
                outcomes[i] = self._refused(cmd, refusal)
                return
            outcomes[i] = Outcome(receipt=receipt, positions=positions)
            return
        outcomes[i] = Outcome(error=ConcurrentChange("the record kept changing; retry"))

    def _decide(self, cmd: Command, uow: UnitOfWork) -> Receipt:
        receipt = self._handlers[type(cmd)](cmd, uow)
        if cmd.idempotency is not None:
            uow.remember_outcome(cmd.idempotency, receipt)
        return receipt

    def _refused(self, cmd: Command, refusal: Exception) -> Outcome:
        """A refusal may be the retry of a request that was already decided: if so, answer it
        the way it was answered then."""
        earlier = self._earlier_outcome(cmd.idempotency)
        if earlier is not None:
            return earlier
        if not isinstance(refusal, RuleViolation | NotFound | ConcurrentChange):
            log.error("command %s failed", type(cmd).__name__, exc_info=refusal)
        return Outcome(error=refusal)

    def _earlier_outcome(self, key: IdempotencyKey | None) -> Outcome | None:
        if key is None:
            return None
        stored = self._store.stored_outcomes([key]).get((key.actor, key.key))
        if stored is None:
            return None
        if stored.fingerprint != key.fingerprint:
            return Outcome(
                error=IdempotencyKeyReused(
                    "this Idempotency-Key was already used for a different request; use a new key"
                )
            )
        return Outcome(receipt=dict(stored.result), replayed=True)


def _first_use_of_each_key(commands: Sequence[Command], outcomes: dict[int, Outcome]) -> Todo:
    """The same key twice in one batch is a retry racing its original: the later one waits."""
    seen: set[tuple[str, str]] = set()
    todo: Todo = []
    for i, cmd in enumerate(commands):
        key = cmd.idempotency
        if key is not None and (key.actor, key.key) in seen:
            outcomes[i] = Outcome(
                error=ConcurrentChange("a request with this Idempotency-Key is being processed")
            )
            continue
        if key is not None:
            seen.add((key.actor, key.key))
        todo.append((i, cmd))
    return todo


CommandRunner = Callable[[Sequence[Command]], list[Outcome]]
__all__ = ["BatchRunner", "CommandRunner", "IdempotencyKeyReused", "Outcome"]
