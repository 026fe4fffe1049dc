"""Membership card numbers (Ch. 3.5): a prefix, a serial never reused, and a Luhn check digit."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partia_registry.domain.cards import SERIAL_DIGITS, card_number, is_well_formed, luhn_digit

serials = st.integers(min_value=0, max_value=10**SERIAL_DIGITS - 1)
prefixes = st.sampled_from(["BQ", "AM", "XYZ"])


def _luhn_valid(digits: str) -> bool:
    """The textbook Luhn test on a full number (payload followed by its check digit)."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        d = int(ch)
        if position % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def test_a_card_number_reads_prefix_serial_and_check_digit():
    """Serial 123 → body 0000123; Luhn doubles 3 and 1 (every other digit from the right):
    6 + 2 + 2 = 10 ≡ 0, so the check digit is 0."""
    assert card_number("BQ", 123) == "BQ-0000123-0"


def test_the_luhn_digit_of_a_known_number():
    """The standard example: 7992739871 has Luhn check digit 3."""
    assert luhn_digit("7992739871") == 3


@given(prefixes, serials)
def test_every_issued_card_number_is_well_formed_under_its_own_prefix(prefix, serial):
    number = card_number(prefix, serial)
    assert re.fullmatch(rf"{prefix}-\d{{{SERIAL_DIGITS}}}-\d", number)
    assert is_well_formed(prefix, number)
    assert int(number.split("-")[1]) == serial
    assert _luhn_valid(number.split("-")[1] + number.split("-")[2])


@given(serials)
def test_a_card_number_is_not_well_formed_under_another_prefix(serial):
    number = card_number("BQ", serial)
    assert not is_well_formed("AM", number)
    assert not is_well_formed("B", number)


@given(
    prefixes,
    serials,
    st.integers(min_value=0, max_value=SERIAL_DIGITS),
    st.integers(min_value=1, max_value=9),
)
def test_luhn_catches_every_single_digit_typo(prefix, serial, position, shift):
    """Any one digit of the body or the check digit mistyped: the number is no longer well-formed."""
    number = card_number(prefix, serial)
    digits = number.split("-")[1] + number.split("-")[2]
    typo = digits[:position] + str((int(digits[position]) + shift) % 10) + digits[position + 1 :]
    mistyped = f"{prefix}-{typo[:SERIAL_DIGITS]}-{typo[SERIAL_DIGITS:]}"
    assert not is_well_formed(prefix, mistyped)


@given(prefixes, serials, serials)
def test_distinct_serials_give_distinct_card_numbers(prefix, one, other):
    if one != other:
        assert card_number(prefix, one) != card_number(prefix, other)


@given(prefixes, serials, st.integers(min_value=0, max_value=SERIAL_DIGITS - 2))
def test_luhn_catches_adjacent_swaps_other_than_0_and_9(prefix, serial, position):
    number = card_number(prefix, serial)
    body, check = number.split("-")[1], number.split("-")[2]
    a, b = body[position], body[position + 1]
    if a != b and {a, b} != {"0", "9"}:
        swapped = body[:position] + b + a + body[position + 2 :]
        assert not is_well_formed(prefix, f"{prefix}-{swapped}-{check}")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "BQ",
        "BQ-0000123",
        "BQ0000123-0",
        "BQ-0000123-0-1",
        "BQ-000012a-0",
        "BQ-0000123-x",
        "BQ-0000123-00",
        "bq-0000123-0",
        " BQ-0000123-0",
        "BQ-0000123-1",
    ],
)
def test_malformed_card_numbers_are_refused(text):
    assert is_well_formed("BQ", "BQ-0000123-0")
    assert not is_well_formed("BQ", text)


def test_a_serial_written_without_its_leading_zeros_is_not_well_formed():
    """Ch. 3.5: one card, one number. "BQ-123-0" passes the Luhn test (leading zeros do not change
    it) but is not the number the registry issued ("BQ-0000123-0"); accepting both spellings lets
    the same card be written two ways."""
    assert card_number("BQ", 123) == "BQ-0000123-0"
    assert not is_well_formed("BQ", "BQ-123-0")


def test_a_serial_padded_with_extra_leading_zeros_is_not_well_formed():
    """Ch. 3.5: one card, one number. "BQ-00000123-0" has the same Luhn digit as the issued
    "BQ-0000123-0" (leading zeros add nothing), so it must be refused as a second spelling."""
    assert not is_well_formed("BQ", "BQ-00000123-0")
    assert not is_well_formed("BQ", "BQ-000000123-0")


@given(st.integers(min_value=10**SERIAL_DIGITS, max_value=10**9))
def test_a_serial_too_large_for_seven_digits_still_gives_a_well_formed_number(serial):
    number = card_number("BQ", serial)
    assert is_well_formed("BQ", number)
    assert int(number.split("-")[1]) == serial


def test_a_card_number_in_non_ascii_digits_is_not_well_formed():
    """'BQ-٠٠٠٠١٢٣-٠' is BQ-0000123-0 in Arabic-Indic digits: str.isdigit() and int() accept them,
    but no issued card looks like that."""
    arabic = "BQ-0000123-0".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert not is_well_formed("BQ", arabic)
