"""A donor's personal data is kept for the retention period of financial records (configuration:
5 years for the reference party; Ch. 12.9) and can be erased after it; the amount, dates and
decision stay."""

from __future__ import annotations

from datetime import date

import pytest

from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.policies.retention import retention_ends
from partia_kit.rules import StateConflict
from tests.finance.domain.support import (
    CREDITED,
    TREASURER,
    anonymous,
    configuration,
    decide,
    last_event,
    received,
)

LAST_DAY = date(2031, 3, 2)  # five years from 2 March 2026, inclusive


def test_erasure_before_the_retention_period_ends_is_refused_with_the_reason() -> None:
    """Ch. 12.9: financial records are kept for the statutory period."""
    donation = received()
    decide(donation)
    with pytest.raises(StateConflict) as refused:
        donation.erase_personal_data(LAST_DAY, configuration(), TREASURER)
    assert refused.value.rule == "retention-period"
    assert "2031-03-02" in refused.value.message
    assert donation.personal is not None


def test_erasure_after_the_retention_period_removes_the_names_and_keeps_the_facts() -> None:
    donation = received()
    decide(donation)
    donation.erase_personal_data(date(2031, 3, 3), configuration(), TREASURER)
    erased = last_event(donation)
    assert isinstance(erased, Donation.PersonalDataErased)
    assert erased.retention_ended_on == LAST_DAY
    assert donation.personal is None
    assert (donation.amount.tiyn, donation.credited_on, donation.status) == (
        50_000_00,
        CREDITED,
        DonationStatus.ACCEPTED,
    )
    with pytest.raises(StateConflict) as twice:
        donation.erase_personal_data(date(2031, 3, 4), configuration(), TREASURER)
    assert twice.value.rule == "no-personal-data"


def test_a_donation_without_a_person_has_nothing_to_erase() -> None:
    with pytest.raises(StateConflict):
        anonymous().erase_personal_data(date(2040, 1, 1), configuration(), TREASURER)


def test_the_retention_period_counts_calendar_years_and_29_february_ends_on_28_february() -> None:
    assert retention_ends(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert retention_ends(CREDITED, 5) == LAST_DAY
