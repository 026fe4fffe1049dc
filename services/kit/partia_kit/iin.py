"""Kazakhstan's identification numbers: IIN (individuals) and BIN (businesses and other legal
entities), their shared check digit and what their digits say (DOMAIN §9)."""

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


class InvalidNumber(ValueError):
    """The text is not a valid IIN or BIN; `reason` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidIIN(InvalidNumber):
    """The text is not a valid IIN."""


class InvalidBIN(InvalidNumber):
    """The text is not a valid BIN."""


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


def _check_twelve_digits(text: str, what: str, invalid: type[InvalidNumber]) -> None:
    """What an IIN and a BIN share: twelve ASCII digits, the last the check digit."""
    if len(text) != 12 or not text.isascii() or not text.isdigit():
        raise invalid(f"{what} is exactly 12 digits")
    expected = check_digit(text[:11])
    if expected is None or expected != int(text[11]):
        raise invalid("the check digit (12th digit) does not match the first 11 digits")


@dataclass(frozen=True, slots=True)
class IIN:
    """A valid IIN. Build one with `IIN.parse`; it proves the check digit and the birth date."""

    value: str
    birth_date: date
    sex: Sex

    @classmethod
    def parse(cls, text: str) -> IIN:
        _check_twelve_digits(text, "an IIN", InvalidIIN)
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


class EntityType(StrEnum):
    """Digit 5 of a BIN."""

    RESIDENT_LEGAL_ENTITY = "4"
    NON_RESIDENT_LEGAL_ENTITY = "5"  # a foreign legal entity
    JOINT_INDIVIDUAL_ENTREPRENEURSHIP = "6"


class Office(StrEnum):
    """Digit 6 of a BIN."""

    HEAD_OFFICE = "0"
    BRANCH = "1"
    REPRESENTATIVE_OFFICE = "2"
    PEASANT_FARM = "3"


@dataclass(frozen=True, slots=True)
class BIN:
    """A valid BIN. Build one with `BIN.parse`; it proves the check digit, the month of
    registration (digits 1-4, YYMM) and the entity type and office (digits 5 and 6)."""

    value: str
    registered_month: int
    entity_type: EntityType
    office: Office

    @classmethod
    def parse(cls, text: str) -> BIN:
        _check_twelve_digits(text, "a BIN", InvalidBIN)
        month = int(text[2:4])
        if not 1 <= month <= 12:
            raise InvalidBIN("digits 3-4 must be the month of registration (01-12)")
        if text[4] not in set(EntityType):
            raise InvalidBIN("the 5th digit must be 4, 5 or 6 (the type of entity)")
        if text[5] not in set(Office):
            raise InvalidBIN("the 6th digit must be 0-3 (head office, branch, ...)")
        return cls(
            value=text,
            registered_month=month,
            entity_type=EntityType(text[4]),
            office=Office(text[5]),
        )

    @property
    def foreign(self) -> bool:
        """A non-resident legal entity is a foreign legal entity (DOMAIN §9)."""
        return self.entity_type is EntityType.NON_RESIDENT_LEGAL_ENTITY

    def __str__(self) -> str:
        return self.value


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on a given date (a birthday counts from its first day)."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)
