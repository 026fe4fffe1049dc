"""The registry's commands in batches, one transaction for many (group commit): the runner is the
kit's (`partia_kit.batches`, decision 194); the registry says which exceptions refuse a command."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from partia_contracts.text import MESSAGE, RULE
from partia_kit import batches
from partia_kit.batches import Outcome
from partia_registry.application.commands import Command
from partia_registry.application.handlers import Handler
from partia_registry.application.ports import Store
from partia_registry.application.scope import OutOfScope
from partia_registry.domain.rules import NotFound, RuleViolation


class UnstorableText(RuleViolation):
    """A text the database cannot store (NUL, a lone surrogate) reached the store: the API refuses
    these (`partia_contracts.text`), so this is the last line for any other way in."""

    def __init__(self, field: str) -> None:
        super().__init__(RULE, "", f"{field}: {MESSAGE}", field=field)


class BatchRunner(batches.BatchRunner[Command]):
    def __init__(self, store: Store, handlers: Mapping[type[Command], Handler]) -> None:
        super().__init__(
            store,
            handlers,
            refusals=(RuleViolation, NotFound, OutOfScope),
            recheckable=(RuleViolation, NotFound),
            unstorable=UnstorableText,
        )


CommandRunner = Callable[[Sequence[Command]], list[Outcome]]
__all__ = ["BatchRunner", "CommandRunner", "Outcome", "UnstorableText"]
