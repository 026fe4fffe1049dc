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

A commit that fails for any other reason (a value PostgreSQL cannot store, a bug in one handler)
must not fail the other commands of the batch: the batch is split in halves and each half decided
again and committed on its own, until the command that fails is alone (about 2·log2(n) commits for
one culprit among n; a batch that commits costs nothing more). Only a failure of the database
itself (connection lost, already retried by the library) fails the whole batch.

Shared by every service (moved from the registry, decision 194): a service gives its store (units
of work over its event store), its handlers and which exceptions are its refusals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from partia_contracts.text import unstorable
from partia_kit.auth.scope import WHOLE_PARTY, Scope
from partia_kit.idempotency import IdempotencyKey, IdempotencyKeyReused, StoredOutcome

log = logging.getLogger(__name__)

Receipt = dict[str, Any]
"""What a decided command answers (JSON)."""


class StoreUnavailable(Exception):
    """The database itself failed during a commit (connection lost, server shutting down, out of
    resources): no command's fault, so every command of the batch is answered with it."""


class ConcurrentChange(Exception):
    """Another writer changed the same record (or claimed the same unique value) first; try
    again."""


@dataclass(frozen=True, kw_only=True)
class CommandBase:
    """What every service's commands carry: the acting user (recorded on every event), the
    request's Idempotency-Key, and where the actor may act."""

    actor: str
    idempotency: IdempotencyKey | None = field(default=None, compare=False)
    scope: Scope = field(default=WHOLE_PARTY, compare=False)
    """Where the actor may act: the whole party unless their grants say less (decision 165)."""

    def named_records(self) -> tuple[Any, ...]:
        """The records this command names, so a batch can load them all at once."""
        return ()


class BatchCommand(Protocol):
    """What the runner needs of a command (a dataclass: its fields name the request's)."""

    @property
    def idempotency(self) -> IdempotencyKey | None: ...

    def named_records(self) -> Iterable[Any]:
        """The records it reads, to load in one go with the batch's others."""
        ...


class UnitOfWork(Protocol):
    """The records one batch reads and changes, saved in one transaction."""

    def prefetch(self, record_ids: Iterable[Any]) -> None: ...

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
        """After `commit`: the log positions of the events that command caused, in order."""
        ...


class Store(Protocol):
    def unit_of_work(self) -> Any:
        """A new `UnitOfWork` (the service's own type, with its records' accessors)."""
        ...

    def catch_up(self) -> bool:
        """Forget cached records that other writers changed; True when the log had changed."""
        ...

    def stored_outcomes(
        self, keys: Sequence[IdempotencyKey]
    ) -> dict[tuple[str, str], StoredOutcome]: ...


C = TypeVar("C", bound=BatchCommand)
Handler = Callable[[Any, Any], Receipt]
"""(command, unit of work) -> receipt; raises to refuse."""

RETRIES_AFTER_CONFLICT = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one command: a receipt, or the reason it was refused."""

    receipt: Receipt | None = None
    error: BaseException | None = None
    replayed: bool = False
    positions: tuple[int, ...] | None = ()  # None: a replay of an outcome stored without them


Todo = list[tuple[int, Any]]


class BatchRunner(Generic[C]):
    """`refusals`: the exceptions by which a command is refused (its caller alone gets them; any
    other is a failure, logged); `recheckable`: those of them that a fresher state might not
    raise (a rule, an unknown record), decided again alone after a batch with refusals if the log
    moved meanwhile; `unstorable`: the refusal for a text field the database cannot store."""

    def __init__(
        self,
        store: Store,
        handlers: Mapping[type[C], Handler],
        *,
        refusals: tuple[type[Exception], ...],
        recheckable: tuple[type[Exception], ...],
        unstorable: Callable[[str], Exception],
    ) -> None:
        self._store = store
        self._handlers = handlers
        self._refusals = (*refusals, ConcurrentChange)
        self._recheckable = recheckable
        self._unstorable = unstorable

    def run(self, commands: Sequence[C]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        self._attempt(_first_use_of_each_key(commands, outcomes), outcomes)
        self._recheck_refusals(commands, outcomes)
        return [outcomes[i] for i in range(len(commands))]

    def _recheck_refusals(self, commands: Sequence[C], outcomes: dict[int, Outcome]) -> None:
        """A batch decides on the records as this writer last knew them; a commit proves they
        were current (the store refuses a commit on a stale read), a refusal commits nothing. So
        after a batch with refusals, ask whether anything changed meanwhile, and if so decide the
        refused commands again, alone, on fresh records."""
        refused = [
            i
            for i, outcome in outcomes.items()
            if isinstance(outcome.error, self._recheckable) and not outcome.replayed
        ]
        if refused and self._store.catch_up():
            for i in refused:
                self._attempt_alone(i, commands[i], outcomes)

    def _attempt(self, todo: Todo, outcomes: dict[int, Outcome]) -> None:
        if not todo:
            return
        uow = self._store.unit_of_work()
        uow.prefetch({record for _, cmd in todo for record in cmd.named_records()})
        decided: list[tuple[int, Receipt, int]] = []  # (index, receipt, number in the uow)
        for i, cmd in todo:
            number = uow.begin_command()
            try:
                receipt = self._decide(cmd, uow)
            except Exception as refusal:
                outcomes[i] = self._refused(cmd, refusal)
                if uow.command_changed_state():
                    # It changed state before it was refused: start over without it.
                    self._attempt([(j, other) for j, other in todo if j not in outcomes], outcomes)
                    return
                continue
            decided.append((i, receipt, number))
        if decided:
            self._commit(uow, decided, dict(todo), outcomes)

    def _commit(
        self,
        uow: UnitOfWork,
        decided: list[tuple[int, Receipt, int]],
        commands: dict[int, C],
        outcomes: dict[int, Outcome],
    ) -> None:
        try:
            uow.commit()
        except ConcurrentChange:
            # Another writer got there first for one of them: decide each again, alone.
            for i, _, _ in decided:
                self._attempt_alone(i, commands[i], outcomes)
            return
        except StoreUnavailable as failure:
            # The database failed, not a command (the store tells by SQLSTATE: decision 088).
            log.error("commit of %d commands failed", len(decided), exc_info=failure)
            for i, _, _ in decided:
                outcomes[i] = Outcome(error=failure)
            return
        except Exception as failure:
            self._isolate([i for i, _, _ in decided], commands, outcomes, failure)
            return
        for i, receipt, number in decided:
            # Its own events' positions, as its idempotency record keeps them for a replay.
            outcomes[i] = Outcome(receipt=receipt, positions=uow.positions_of(number))

    def _isolate(
        self,
        failed: list[int],
        commands: dict[int, C],
        outcomes: dict[int, Outcome],
        failure: Exception,
    ) -> None:
        """One of these commands made the commit fail: decide each half again on its own, so
        that only the culprit gets the error."""
        if len(failed) == 1:
            outcomes[failed[0]] = self._refused(commands[failed[0]], failure)
            return
        half = len(failed) // 2
        for part in (failed[:half], failed[half:]):
            self._attempt([(i, commands[i]) for i in part], outcomes)

    def _attempt_alone(self, i: int, cmd: C, outcomes: dict[int, Outcome]) -> None:
        for _ in range(RETRIES_AFTER_CONFLICT):
            self._store.catch_up()  # it lost to another writer: forget what that one changed
            earlier = self._earlier_outcome(cmd.idempotency)
            if earlier is not None:
                outcomes[i] = earlier
                return
            uow = self._store.unit_of_work()
            try:
                receipt = self._decide(cmd, uow)
                positions = tuple(sorted(uow.commit()))
            except ConcurrentChange:
                continue
            except Exception as refusal:
                outcomes[i] = self._refused(cmd, refusal)
                return
            outcomes[i] = Outcome(receipt=receipt, positions=positions)
            return
        outcomes[i] = Outcome(error=ConcurrentChange("the record kept changing; retry"))

    def _decide(self, cmd: C, uow: UnitOfWork) -> Receipt:
        receipt = self._handlers[type(cmd)](cmd, uow)
        if cmd.idempotency is not None:
            uow.remember_outcome(cmd.idempotency, receipt)
        return receipt

    def _refused(self, cmd: C, refusal: Exception) -> Outcome:
        """A refusal may be the retry of a request that was already decided: if so, answer it
        the way it was answered then."""
        earlier = self._earlier_outcome(cmd.idempotency)
        if earlier is not None:
            return earlier
        if not isinstance(refusal, self._refusals):
            field = unstorable(asdict(cmd))  # type: ignore[call-overload]  # a dataclass
            if field is not None:
                return Outcome(error=self._unstorable(field))
            log.error("command %s failed", type(cmd).__name__, exc_info=refusal)
        return Outcome(error=refusal)

    def _earlier_outcome(self, key: IdempotencyKey | None) -> Outcome | None:
        if key is None:
            return None
        stored = self._store.stored_outcomes([key]).get((key.actor, key.key))
        if stored is None:
            return None
        if not key.same_request(stored.fingerprint):
            return Outcome(
                error=IdempotencyKeyReused(
                    "this Idempotency-Key was already used for a different request; use a new key"
                )
            )
        return Outcome(receipt=dict(stored.result), replayed=True, positions=stored.positions)


def _first_use_of_each_key(commands: Sequence[BatchCommand], outcomes: dict[int, Outcome]) -> Todo:
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
