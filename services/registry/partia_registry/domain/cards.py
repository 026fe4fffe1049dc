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
    """True only for a number exactly as `card_number` writes it, check digit included."""
    parts = text.split("-")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
        return False
    return text == card_number(prefix, int(parts[1]))
