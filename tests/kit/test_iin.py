"""IIN: the check digit of DOMAIN §9, what digits 1-7 say, and completed years of age."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from partia_kit.iin import IIN, InvalidIIN, Sex, age_on, check_digit
from tests.kit.iin_oracle import (
    FIRST_WEIGHTS,
    SECOND_WEIGHTS,
    iin_prefix,
    make_iin,
    reference_check_digit,
    remainder,
)

# --- strategies -----------------------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
serials = st.integers(min_value=0, max_value=9999)


@st.composite
def valid_iins(draw: st.DrawFn) -> tuple[str, date, bool]:
    born = draw(birth_dates)
    female = draw(st.booleans())
    first = f"{iin_prefix(born, female=female)}{draw(serials):04d}"
    digit = reference_check_digit(first)
    assume(digit is not None)
    return first + str(digit), born, female


@st.composite
def any_first_eleven(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=11, max_size=11)))


def _search(prefix: str, wanted: str) -> str:
    """The first serial after `prefix` whose first eleven digits fall in the wanted case."""
    for n in range(10_000):
        first = f"{prefix}{n:04d}"
        first_r = remainder(first, FIRST_WEIGHTS)
        second_r = remainder(first, SECOND_WEIGHTS)
        case = "first" if first_r != 10 else ("second" if second_r != 10 else "invalid")
        if case == wanted:
            return first
    raise AssertionError(f"no {wanted} case for {prefix}")  # pragma: no cover


# --- the check digit ------------------------------------------------------------------------------


def test_the_check_digit_is_the_weighted_sum_mod_11_with_weights_1_to_11():
    """900517400005: 9·1 + 5·4 + 1·5 + 7·6 + 4·7 = 104 ≡ 5 (mod 11), so digit 12 is 5."""
    assert check_digit("90051740000") == 5
    assert IIN.parse("900517400005").value == "900517400005"


def test_when_the_first_sum_gives_10_the_second_weights_decide_the_check_digit():
    """90051740060: weights 1..11 give 164 ≡ 10; weights 3..11,1,2 give 162 ≡ 8, so digit 12 is 8
    (DOMAIN §9). A check digit of 10 must never be emitted."""
    assert check_digit("90051740060") == 8
    assert IIN.parse("900517400608").birth_date == date(1990, 5, 17)
    with pytest.raises(InvalidIIN):
        IIN.parse("900517400600")  # what a digit "10 mod 10" would have produced


def test_a_number_whose_sums_both_give_10_has_no_valid_check_digit():
    """90051740061: weights 1..11 give 175 ≡ 10 and weights 3..11,1,2 give 164 ≡ 10 (DOMAIN §9)."""
    assert check_digit("90051740061") is None
    for last in "0123456789":
        with pytest.raises(InvalidIIN, match="check digit"):
            IIN.parse("90051740061" + last)


def test_second_weights_and_invalid_cases_found_by_search_agree_with_the_rule():
    prefix = iin_prefix(date(1987, 11, 3))
    second = _search(prefix, "second")
    invalid = _search(prefix, "invalid")
    assert check_digit(second) == remainder(second, SECOND_WEIGHTS)
    assert check_digit(second) != remainder(second, FIRST_WEIGHTS)
    assert check_digit(invalid) is None


@given(any_first_eleven())
def test_the_check_digit_matches_the_written_rule_for_any_eleven_digits(first):
    assert check_digit(first) == reference_check_digit(first)


# --- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("century_digit", "born", "sex"),
    [
        ("1", date(1899, 12, 31), Sex.MALE),
        ("2", date(1850, 2, 1), Sex.FEMALE),
        ("3", date(1900, 1, 1), Sex.MALE),
        ("4", date(1990, 5, 17), Sex.FEMALE),
        ("5", date(2000, 1, 1), Sex.MALE),
        ("6", date(2008, 2, 29), Sex.FEMALE),
    ],
)
def test_digit_7_gives_the_century_of_birth_and_the_sex(century_digit, born, sex):
    """DOMAIN §9: 1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd male, even female."""
    text = make_iin(born, female=sex is Sex.FEMALE)
    assert text[6] == century_digit
    parsed = IIN.parse(text)
    assert parsed.birth_date == born
    assert parsed.sex is sex
    assert str(parsed) == text


@given(valid_iins())
def test_every_valid_iin_parses_to_its_birth_date_and_sex(case):
    text, born, female = case
    parsed = IIN.parse(text)
    assert parsed.birth_date == born
    assert parsed.sex is (Sex.FEMALE if female else Sex.MALE)


@pytest.mark.parametrize(
    "text",
    ["", "90051740000", "9005174000050", " 900517400005", "900517400005 ", "9005174O0005"],
)
def test_an_iin_that_is_not_exactly_twelve_digits_is_refused_with_a_reason(text):
    with pytest.raises(InvalidIIN) as refused:
        IIN.parse(text)
    assert refused.value.reason == "an IIN is exactly 12 digits"


def test_non_ascii_digits_are_not_accepted_as_an_iin():
    """'٩٠٠٥١٧٤٠٠٠٠٥' is 900517400005 in Arabic-Indic digits: str.isdigit() says yes, the IIN no."""
    arabic = "900517400005".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with pytest.raises(InvalidIIN, match="12 digits"):
        IIN.parse(arabic)


def test_a_wrong_check_digit_is_refused_with_a_reason():
    with pytest.raises(InvalidIIN) as refused:
        IIN.parse("900517400006")
    assert "check digit" in refused.value.reason


@pytest.mark.parametrize("century_digit", ["0", "7", "8", "9"])
def test_a_century_digit_outside_1_to_6_is_refused_with_a_reason(century_digit):
    first = f"900517{century_digit}0000"
    digit = check_digit(first)
    if digit is None:
        first = f"900517{century_digit}0001"
        digit = check_digit(first)
    assert digit is not None
    with pytest.raises(InvalidIIN) as refused:
        IIN.parse(first + str(digit))
    assert "7th digit" in refused.value.reason


@pytest.mark.parametrize(
    "yymmdd",
    ["900230", "900229", "901301", "900001", "900100", "900431", "999999"],
)
def test_digits_1_to_6_that_are_not_a_real_date_are_refused_with_a_reason(yymmdd):
    """1990 was not a leap year, so 29 February 1990 does not exist either."""
    for serial in range(100):
        first = f"{yymmdd}4{serial:04d}"
        digit = check_digit(first)
        if digit is not None:
            break
    assert digit is not None
    with pytest.raises(InvalidIIN) as refused:
        IIN.parse(first + str(digit))
    assert "birth date" in refused.value.reason


def test_29_february_exists_in_2000_but_not_in_1900():
    """2000 is a leap year, 1900 is not: the century digit decides whether 000229 is a date."""
    assert IIN.parse(make_iin(date(2000, 2, 29))).birth_date == date(2000, 2, 29)
    for serial in range(100):
        first = f"0002293{serial:04d}"
        digit = check_digit(first)
        if digit is not None:
            break
    assert digit is not None
    with pytest.raises(InvalidIIN, match="birth date"):
        IIN.parse(first + str(digit))


def test_invalid_iin_is_a_value_error_carrying_its_reason():
    with pytest.raises(ValueError, match="12 digits"):
        IIN.parse("123")


# --- single-digit typos ---------------------------------------------------------------------------
#
# Measured, not assumed: with weights 1..11 the 11th digit has weight 11 ≡ 0 (mod 11), so the first
# sum cannot see it. A typo in the 11th digit of an IIN whose check uses the first weights therefore
# leaves the check digit unchanged and yields another valid IIN. A typo in digits 1-10 changes the
# first sum (weights 1..10 are invertible mod 11), so it can only pass when it moves the number into
# or out of the second-weights case; a typo in the 12th digit never passes.


@given(valid_iins(), st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_a_typo_in_digits_1_to_10_passes_the_check_only_by_switching_weights(case, position, shift):
    text, _, _ = case
    typo = text[:position] + str((int(text[position]) + shift) % 10) + text[position + 1 :]
    both_first = (
        remainder(text[:11], FIRST_WEIGHTS) != 10 and remainder(typo[:11], FIRST_WEIGHTS) != 10
    )
    if both_first:
        assert check_digit(typo[:11]) != int(typo[11])
        with pytest.raises(InvalidIIN):
            IIN.parse(typo)


@given(valid_iins(), st.integers(min_value=1, max_value=9))
def test_a_typo_in_the_check_digit_is_always_refused(case, shift):
    text, _, _ = case
    typo = text[:11] + str((int(text[11]) + shift) % 10)
    with pytest.raises(InvalidIIN, match="check digit"):
        IIN.parse(typo)


@given(valid_iins(), st.integers(min_value=1, max_value=9))
def test_a_typo_in_the_11th_digit_goes_unnoticed_exactly_when_the_first_weights_apply(case, shift):
    text, born, _ = case
    typo = text[:10] + str((int(text[10]) + shift) % 10) + text[11]
    if remainder(text[:11], FIRST_WEIGHTS) != 10:
        parsed = IIN.parse(typo)  # another, equally valid IIN
        assert parsed.birth_date == born
        assert parsed.value != text
    else:
        with pytest.raises(InvalidIIN):
            IIN.parse(typo)


def test_some_typos_in_digits_1_to_10_do_produce_another_valid_iin():
    """An existence check, so that nobody later asserts the opposite: 900517400005 with its 10th
    digit changed still has a valid check digit, because the change moves it to the second weights."""
    original = "900517400005"
    IIN.parse(original)
    found = []
    for position in range(10):
        for digit in "0123456789":
            if digit == original[position]:
                continue
            typo = original[:position] + digit + original[position + 1 :]
            try:
                IIN.parse(typo)
            except InvalidIIN:
                continue
            found.append(typo)
    assert found
    assert all(remainder(typo[:11], FIRST_WEIGHTS) == 10 for typo in found)


# --- age ------------------------------------------------------------------------------------------


def test_age_counts_completed_years_and_the_birthday_itself_counts():
    born = date(2008, 3, 15)
    assert age_on(born, date(2026, 3, 14)) == 17
    assert age_on(born, date(2026, 3, 15)) == 18
    assert age_on(born, date(2026, 3, 16)) == 18
    assert age_on(born, date(2027, 3, 14)) == 18


def test_age_on_the_day_of_birth_is_zero():
    assert age_on(date(2008, 3, 15), date(2008, 3, 15)) == 0


def test_someone_born_on_29_february_has_a_birthday_on_29_february_in_leap_years():
    born = date(2008, 2, 29)
    assert age_on(born, date(2028, 2, 28)) == 19
    assert age_on(born, date(2028, 2, 29)) == 20


def test_someone_born_on_29_february_completes_a_year_on_1_march_in_common_years():
    """The registry's convention: in a common year the birthday falls on 1 March, so on
    28 February the person is still a year younger."""
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_on(born, date(2026, 3, 1)) == 18


def _anniversary(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year
        return date(born.year + years, 3, 1)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 12, 31)),
    st.integers(min_value=0, max_value=40_000),
)
def test_age_is_the_number_of_birthdays_reached_so_far(born, days):
    on = born + timedelta(days=days)
    reached = max(k for k in range(0, 120) if _anniversary(born, k) <= on)
    assert age_on(born, on) == reached
    assert age_on(born, on) <= age_on(born, on + timedelta(days=1)) <= age_on(born, on) + 1
