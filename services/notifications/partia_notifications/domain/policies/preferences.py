"""Which notices a member's choices may stop (issue 13 item 5)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

OPTIONAL: Final = frozenset({"reminder", "information"})
"""The categories a member may opt out of; every other (a decision, a sanction with its appeal
deadline) is legally significant."""


def withheld_by_choice(category: str, opted_out: Collection[str]) -> bool:
    """Ch. 5.1 and 3.8: a member must learn of a decision about them and of their last day to
    appeal, so a legally significant notice always goes, whatever they chose (and its text says
    so); a reminder or a piece of information goes unless they opted out of its category."""
    return category in OPTIONAL and category in opted_out
