"""Membership card numbers (Ch. 3.5): unique, never reused, easy to read out and to check."""

from __future__ import annotations

SERIAL_DIGITS = 7


def luhn_digit(digits: str) -> int:
    """The Luhn check digit for a string of digits: catches every single-digit typo and most swaps."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        d = int(ch)
        if position % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def card_number(prefix: str, serial: int) -> str:
    """E.g. "BQ-0000123-4": the party's prefix, a serial never issued before, a check digit."""
    body = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{prefix}-{body}-{luhn_digit(body)}"


def is_well_formed(prefix: str, text: str) -> bool:
    parts = text.split("-")
    if not text.isascii() or len(parts) != 3 or parts[0] != prefix:
        return False
    if not parts[1].isdigit() or not parts[2].isdigit():
        return False
    if len(parts[1]) < SERIAL_DIGITS:
        return False
    return len(parts[2]) == 1 and luhn_digit(parts[1]) == int(parts[2])
