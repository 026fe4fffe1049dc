"""Individual identification numbers (IIN): the check digit and what the digits say (DOMAIN §9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_FIRST_WEIGHTS = tuple(range(1, 12))
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# Digit 7 gives the century of birth and the sex.
_CENTURY_AND_SEX = {
    "1": (1800, "male"),
    "2": (1800, "female"),
    "3": (1900, "male"),
    "4": (1900, "female"),
    "5": (2000, "male"),
    "6": (2000, "female"),
}


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class InvalidIIN(ValueError):
    """The text is not a valid IIN; `reason` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_digit(first_eleven: str) -> int | None:
    """The twelfth digit that the first eleven call for, or None when no digit can be valid.

    Weights 1..11, sum mod 11; when that is 10, weights 3..11,1,2; when 10 again the number is invalid.
    The same rule serves IINs and BINs.
    """
    digits = [int(ch) for ch in first_eleven]
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


@dataclass(frozen=True, slots=True)
class IIN:
    """A valid IIN. Build one with `IIN.parse`; it proves the check digit and the birth date."""

    value: str
    birth_date: date
    sex: Sex

    @classmethod
    def parse(cls, text: str) -> IIN:
        if len(text) != 12 or not text.isascii() or not text.isdigit():
            raise InvalidIIN("an IIN is exactly 12 digits")
        expected = check_digit(text[:11])
        if expected is None or expected != int(text[11]):
            raise InvalidIIN("the check digit (12th digit) does not match the first 11 digits")
        century_and_sex = _CENTURY_AND_SEX.get(text[6])
        if century_and_sex is None:
            raise InvalidIIN("the 7th digit must be 1-6 (century of birth and sex)")
        century, sex = century_and_sex
        try:
            born = date(century + int(text[0:2]), int(text[2:4]), int(text[4:6]))
        except ValueError:
            raise InvalidIIN("digits 1-6 are not a real birth date (YYMMDD)") from None
        return cls(value=text, birth_date=born, sex=Sex(sex))

    def __str__(self) -> str:
        return self.value


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on a given date (a birthday counts from its first day)."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)
