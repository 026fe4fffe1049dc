"""The clocks of the party's money: a return obligation's deadline, and how long a donation may
wait for its decision. The party law is silent on both, so the number of days is configuration
(default 30, the UK standard; an election fund may follow the election law: DOMAIN §6)."""

from __future__ import annotations

from datetime import date, timedelta


def return_deadline(opened_on: date, days: int) -> date:
    """The last day, inclusive, to return the money: `days` calendar days after the obligation
    opened (opened 1 March, 30 days: 31 March)."""
    return opened_on + timedelta(days=days)


def decision_deadline(credited_on: date, days: int) -> date:
    """The last day, inclusive, to decide on a donation: `days` calendar days after the credit.
    A donation still undecided after it is flagged, never silently accepted."""
    return credited_on + timedelta(days=days)


def is_overdue(deadline: date, on: date) -> bool:
    """Overdue from the day after the deadline; on the deadline itself there is still time."""
    return on > deadline
