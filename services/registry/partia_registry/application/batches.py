"""Running commands in batches, so that many decisions share one transaction (group commit).

The event store serialises writers on a table lock (NOTES-eventsourcing), so throughput comes from
putting more events in each transaction, not from more threads. A batch runs its commands one by one
against one unit of work and commits once. A refused command is reported to its caller alone; if it
had already changed something before it was refused, the batch starts again without it, so a refusal
never leaves half a decision behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from partia_registry.application.commands import Command
from partia_registry.application.handlers import Handler, Receipt
from partia_registry.application.ports import ConcurrentChange, Store, UnitOfWork

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


class BatchRunner:
    def __init__(self, store: Store, handlers: Mapping[type[Command], Handler]) -> None:
        self._store = store
        self._handlers = handlers

    def run(self, commands: Sequence[Command]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        todo = self._skip_repeated_requests(commands, outcomes)
        self._attempt(todo, outcomes)
        return [outcomes[i] for i in range(len(commands))]

    def _skip_repeated_requests(
        self, commands: Sequence[Command], outcomes: dict[int, Outcome]
    ) -> list[tuple[int, Command]]:
        """Answer retried requests from their stored outcome instead of deciding them again."""
        keys = [cmd.idempotency for cmd in commands if cmd.idempotency is not None]
        stored = self._store.stored_outcomes(keys) if keys else {}
        first_with_key: dict[tuple[str, str], int] = {}
        todo: list[tuple[int, Command]] = []
        for i, cmd in enumerate(commands):
            key = cmd.idempotency
            if key is None:
                todo.append((i, cmd))
                continue
            earlier = stored.get((key.actor, key.key))
            if earlier is not None:
                outcomes[i] = _replay(earlier.fingerprint, key.fingerprint, earlier.result)
            elif (key.actor, key.key) in first_with_key:
                # The same key twice in one batch: the second is a retry racing the first.
                outcomes[i] = Outcome(
                    error=ConcurrentChange(
                        "a request with this Idempotency-Key is being processed; retry shortly"
                    )
                )
            else:
                first_with_key[(key.actor, key.key)] = i
                todo.append((i, cmd))
        return todo

    def _attempt(self, todo: list[tuple[int, Command]], outcomes: dict[int, Outcome]) -> None:
        if not todo:
            return
        uow = self._store.unit_of_work()
        decided: list[tuple[int, Receipt]] = []
        for i, cmd in todo:
            before = uow.change_count()
            try:
                receipt = self._decide(cmd, uow)
            except Exception as refusal:
                if not _is_refusal(refusal):
                    log.exception("command %s failed", type(cmd).__name__)
                outcomes[i] = Outcome(error=refusal)
                if uow.change_count() != before:
                    # The command changed state before it was refused: start over without it.
                    self._attempt([(j, other) for j, other in todo if j not in outcomes], outcomes)
                    return
                continue
            decided.append((i, receipt))
        self._commit(uow, decided, dict(todo), outcomes)

    def _commit(
        self,
        uow: UnitOfWork,
        decided: list[tuple[int, Receipt]],
        commands: dict[int, Command],
        outcomes: dict[int, Outcome],
    ) -> None:
        if not decided:
            return
        try:
            positions = tuple(uow.commit())
        except ConcurrentChange as conflict:
            if len(decided) > 1:
                for i, _ in decided:  # find the one that conflicted by trying each alone
                    self._attempt_alone(i, commands[i], outcomes)
            else:
                i = decided[0][0]
                self._attempt_alone(i, commands[i], outcomes, previous=conflict)
            return
        for i, receipt in decided:
            outcomes[i] = Outcome(receipt=receipt, positions=positions)

    def _attempt_alone(
        self,
        i: int,
        cmd: Command,
        outcomes: dict[int, Outcome],
        previous: ConcurrentChange | None = None,
    ) -> None:
        for _ in range(RETRIES_AFTER_CONFLICT):
            outcomes.pop(i, None)
            answered: dict[int, Outcome] = {}
            if not self._skip_repeated_requests([cmd], answered):  # another writer stored it
                outcomes[i] = answered[0]
                return
            self._attempt_once(i, cmd, outcomes)
            outcome = outcomes.get(i)
            if outcome is not None and not isinstance(outcome.error, ConcurrentChange):
                return
        if i not in outcomes:
            outcomes[i] = Outcome(error=previous or ConcurrentChange("concurrent change; retry"))

    def _attempt_once(self, i: int, cmd: Command, outcomes: dict[int, Outcome]) -> None:
        uow = self._store.unit_of_work()
        try:
            receipt = self._decide(cmd, uow)
            positions = tuple(uow.commit())
        except Exception as refusal:
            if not _is_refusal(refusal):
                log.exception("command %s failed", type(cmd).__name__)
            outcomes[i] = Outcome(error=refusal)
            return
        outcomes[i] = Outcome(receipt=receipt, positions=positions)

    def _decide(self, cmd: Command, uow: UnitOfWork) -> Receipt:
        receipt = self._handlers[type(cmd)](cmd, uow)
        if cmd.idempotency is not None:
            uow.remember_outcome(cmd.idempotency, receipt)
        return receipt


def _replay(stored_fingerprint: str, fingerprint: str, result: Mapping[str, Any]) -> Outcome:
    if stored_fingerprint != fingerprint:
        return Outcome(
            error=IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different request; use a new key"
            )
        )
    return Outcome(receipt=dict(result), replayed=True)


def _is_refusal(error: BaseException) -> bool:
    from partia_registry.domain.rules import NotFound, RuleViolation

    return isinstance(error, RuleViolation | NotFound | ConcurrentChange)


CommandRunner = Callable[[Sequence[Command]], list[Outcome]]
