"""Where a sanctioned member may appeal (Ch. 5.1), as a notice tells them."""

from __future__ import annotations

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
