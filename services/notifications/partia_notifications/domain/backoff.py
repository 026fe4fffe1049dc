"""When a notice whose delivery failed is tried again: capped exponential backoff."""

from __future__ import annotations


def retry_delay(attempts: int, first: float, cap: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1, 2, ...): `first`, then doubling,
    never more than `cap` (an SMTP server down for a day is tried about hourly, not hammered)."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    return min(cap, first * float(2 ** min(attempts - 1, 62)))


def gives_up(attempts: int, max_attempts: int) -> bool:
    """After `max_attempts` failed attempts the notice is marked failed (an operator may resend)."""
    return attempts >= max_attempts
