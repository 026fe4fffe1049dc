"""What a refusal says: which rule, which clause, which field (every service's domain raises these)."""

from __future__ import annotations


class RuleViolation(Exception):
    """A command was refused because the Charter or the law forbids it.

    `rule` is a stable machine-readable name, `clause` cites the source (e.g. "Ch. 3.2"),
    `field` names the input that broke it (dotted path) when one did.
    """

    def __init__(self, rule: str, clause: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.clause = clause
        self.message = message
        self.field = field


class StateConflict(RuleViolation):
    """Refused because of the current state of the records (HTTP 409), not because of the input."""


class NotFound(Exception):
    """The record named (an organisation, a member, a donation, ...) does not exist."""

    def __init__(self, what: str, identifier: object, field: str | None = None) -> None:
        super().__init__(f"{what} {identifier} does not exist")
        self.what = what
        self.identifier = identifier
        self.field = field
