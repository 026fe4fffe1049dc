"""The order of business dates: what cannot happen before what, and nothing after today.

Each business date a command carries is the day a fact took effect (a decision, a signature, a
move), as opposed to the day it was entered.
"""

from __future__ import annotations

from datetime import date

from partia_registry.domain.rules import RuleViolation


def check_not_in_future(day: date, today: date, *, field: str) -> None:
    """A business date records something that already happened: a decision taken, a document
    signed, a move made. A date after today (in Asia/Almaty, where the party's bodies sit) is a
    typing error or a decision not yet taken; accepted, it would put the fact on tomorrow's rolls
    and reports and let a body "decide" ahead of its meeting. Records of the party's decisions
    (Ch. 4.1, 4.4) hold what was decided, so such a date is refused."""
    if day > today:
        raise RuleViolation(
            "date-in-the-future",
            "Ch. 4.4",
            f"{field} is {day}, after today ({today} in Asia/Almaty): record a decision or a "
            "document once it has been taken or signed",
            field=field,
        )


def check_not_before_admission(on: date, admitted_on: date, *, field: str) -> None:
    """Ch. 3.6: membership cannot end, nor anything happen to it, before it began."""
    if on < admitted_on:
        raise RuleViolation(
            "end-before-admission",
            "Ch. 3.6",
            f"membership cannot end ({on}) before it began ({admitted_on})",
            field=field,
        )


def check_decision_not_before_application(
    decided_on: date, signed_on: date, *, clause: str = "Ch. 3.4"
) -> None:
    """A decision on a written application (to join, Ch. 3.4; to leave, Ch. 3.6) cannot precede
    the application it decides."""
    if decided_on < signed_on:
        raise RuleViolation(
            "decision-before-application",
            clause,
            f"the decision ({decided_on}) cannot precede the written application ({signed_on}) "
            "it decides",
            field="decision.decided_on",
        )


def check_withdrawal_not_before_application(effective_on: date, signed_on: date) -> None:
    """Ch. 3.6: a withdrawal rests on the member's written application, so it cannot take effect
    before that application was signed (an EDS-signed one counts as written, Ch. 3.4)."""
    if effective_on < signed_on:
        raise RuleViolation(
            "withdrawal-before-application",
            "Ch. 3.6",
            f"the withdrawal cannot take effect ({effective_on}) before the written application "
            f"was signed ({signed_on})",
            field="effective_on",
        )
