"""Where a sanctioned member may appeal (Ch. 5.1), as a notice tells them."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

NEXT_BODY_UP: dict[str, str | None] = {
    "ppo_meeting": "branch_bureau",
    "ppo_bureau": "branch_bureau",
    "ppo_chair": "branch_bureau",
    "branch_bureau": "branch_political_council",
    "branch_political_council": "branch_conference",
    "branch_conference": "party_bureau",
    "party_bureau": "party_political_council",
    "party_political_council": "party_congress",
    "party_congress": None,
}


def appeal_body(decided_by: str) -> str | None:
    """Ch. 5.1: decisions on exclusion or sanctions may be appealed to higher party bodies within
    three months. The nearest body the registry accepts as higher (its `check_appeal_body`): a
    primary organisation's decision goes to the bureau of the branch above it; within a branch or
    the party, Bureau < Political Council < Conference or Congress; a branch conference's to the
    party Bureau (the party's bodies stand above every branch). None: the Congress decided, and
    no party body stands higher."""
    if decided_by not in NEXT_BODY_UP:
        raise ValueError(f"unknown deciding body {decided_by!r}")
    return NEXT_BODY_UP[decided_by]


_LEVELS: dict[str, frozenset[str]] = {
    "ppo": frozenset({"primary_organisation"}),
    "branch": frozenset({"regional_branch", "territorial_branch"}),
    "party": frozenset({"party"}),
}


def appeal_organisation(chain: Sequence[tuple[UUID, str]], body: str) -> UUID | None:
    """Ch. 5.1: the organisation whose `body` hears the appeal: the nearest organisation, from the
    deciding body's own (`chain[0]`) up to the party (`chain[-1]`, each as (id, kind)), at the
    body's level: a PPO decision goes to the branch above the PPO, a branch bureau's to the same
    branch's council, a branch conference's to the party. None: the chain is not known that far."""
    kinds = _LEVELS[body.split("_", 1)[0]]
    return next((organisation for organisation, kind in chain if kind in kinds), None)
