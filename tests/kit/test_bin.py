"""BIN: the same check digit as an IIN, and what digits 3-6 say (DOMAIN §9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partia_kit.iin import BIN, EntityType, InvalidBIN, Office, check_digit
from tests.kit.iin_oracle import make_bin, reference_check_digit

entity_types = st.sampled_from(["4", "5", "6"])
offices = st.sampled_from(["0", "1", "2", "3"])
months = st.integers(min_value=1, max_value=12).map(lambda m: f"{m:02d}")
years = st.integers(min_value=0, max_value=99).map(lambda y: f"{y:02d}")


@given(years, months, entity_types, offices, st.integers(min_value=0, max_value=99_999))
def test_every_bin_with_the_written_check_digit_parses_to_its_month_type_and_office(
    yy, mm, entity_type, office, serial
):
    text = make_bin(yy + mm, entity_type, office, serial=serial)
    parsed = BIN.parse(text)
    assert parsed.registered_month == int(mm)
    assert parsed.entity_type is EntityType(entity_type)
    assert parsed.office is Office(office)
    assert str(parsed) == text


def test_a_bin_uses_the_check_digit_of_an_iin():
    """DOMAIN §9: the same weights, the same second weights, the same invalid case."""
    text = make_bin("0806", "4", "0")
    assert check_digit(text[:11]) == reference_check_digit(text[:11]) == int(text[11])


@given(years, months, entity_types, offices, st.integers(min_value=1, max_value=9))
def test_a_typo_in_the_check_digit_of_a_bin_is_refused(yy, mm, entity_type, office, shift):
    text = make_bin(yy + mm, entity_type, office)
    typo = text[:11] + str((int(text[11]) + shift) % 10)
    with pytest.raises(InvalidBIN, match="check digit"):
        BIN.parse(typo)


def test_a_non_resident_legal_entity_is_a_foreign_legal_entity():
    """DOMAIN §9: digit 5 is 5 for a non-resident, i.e. foreign, legal entity."""
    assert BIN.parse(make_bin("1203", "5", "0")).foreign
    assert not BIN.parse(make_bin("1203", "4", "0")).foreign
    assert not BIN.parse(make_bin("1203", "6", "0")).foreign


@pytest.mark.parametrize("entity_type", ["0", "1", "2", "3", "7", "8", "9"])
def test_a_fifth_digit_that_is_no_entity_type_is_refused_with_a_reason(entity_type):
    with pytest.raises(InvalidBIN) as refused:
        BIN.parse(make_bin("1203", entity_type, "0"))
    assert "5th digit" in refused.value.reason


@pytest.mark.parametrize("office", ["4", "5", "9"])
def test_a_sixth_digit_that_is_no_kind_of_office_is_refused_with_a_reason(office):
    with pytest.raises(InvalidBIN) as refused:
        BIN.parse(make_bin("1203", "4", office))
    assert "6th digit" in refused.value.reason


@pytest.mark.parametrize("mm", ["00", "13", "99"])
def test_digits_3_and_4_that_are_no_month_are_refused_with_a_reason(mm):
    with pytest.raises(InvalidBIN) as refused:
        BIN.parse(make_bin("12" + mm, "4", "0"))
    assert "month" in refused.value.reason


@pytest.mark.parametrize(
    "text", ["", "12034000001", "1203400000100", "12034O000010", " 120340000010"]
)
def test_a_bin_that_is_not_exactly_twelve_digits_is_refused_with_a_reason(text):
    with pytest.raises(InvalidBIN) as refused:
        BIN.parse(text)
    assert refused.value.reason == "a BIN is exactly 12 digits"
