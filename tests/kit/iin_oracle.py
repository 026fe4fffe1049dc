"""The check digit of IINs and BINs re-implemented from DOMAIN §9, independently of the code under
test, so that the tests compare `partia_kit.iin` against the written rule rather than against
itself."""

from __future__ import annotations

from datetime import date

FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURY_DIGIT = {
    (1800, False): 1,
    (1800, True): 2,
    (1900, False): 3,
    (1900, True): 4,
    (2000, False): 5,
    (2000, True): 6,
}


def remainder(first_eleven: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(first_eleven, weights, strict=True)) % 11


def reference_check_digit(first_eleven: str) -> int | None:
    """DOMAIN §9, written out step by step."""
    first = remainder(first_eleven, FIRST_WEIGHTS)
    if first != 10:
        return first
    second = remainder(first_eleven, SECOND_WEIGHTS)
    if second != 10:
        return second
    return None


def iin_prefix(born: date, *, female: bool = False) -> str:
    """Digits 1-7 of an IIN: YYMMDD and the century-and-sex digit."""
    century = born.year // 100 * 100
    return f"{born:%y%m%d}{CENTURY_DIGIT[(century, female)]}"


def make_iin(born: date, *, female: bool = False, serial: int = 0) -> str:
    """The first valid IIN for `born` whose serial (digits 8-11) is `serial` or the next one up."""
    return _first_valid(iin_prefix(born, female=female), serial, 4)


def make_bin(yymm: str, entity_type: str, office: str, *, serial: int = 0) -> str:
    """The first valid BIN registered in `yymm` with digits 5 and 6 as given, whose serial
    (digits 7-11) is `serial` or the next one up."""
    return _first_valid(f"{yymm}{entity_type}{office}", serial, 5)


def _first_valid(prefix: str, serial: int, width: int) -> str:
    """`prefix`, the first serial of `width` digits from `serial` up that has a check digit, and
    that digit."""
    for n in range(serial, serial + 10**width):
        first = f"{prefix}{n % 10**width:0{width}d}"
        digit = reference_check_digit(first)
        if digit is not None:
            return first + str(digit)
    raise AssertionError("no valid serial")  # pragma: no cover
