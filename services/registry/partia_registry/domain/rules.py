"""The registry's refusals are the kit's (`partia_kit.rules`), shared with the finance service."""

from __future__ import annotations

from partia_kit.rules import NotFound, RuleViolation, StateConflict

__all__ = ["NotFound", "RuleViolation", "StateConflict"]
