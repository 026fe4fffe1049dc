"""Caps per donor per period per fund, in MCI multiples from a dated table (DOMAIN §6): a donation
over the cap is accepted up to it and the excess becomes a return obligation."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.funds import Purpose
from partia_finance.domain.mci import MciRate, MciTable
from partia_finance.domain.obligations import ObligationCause
from partia_finance.domain.policies.caps import Cap, CapPeriod, cap_in_tiyn, split_at_cap
from partia_finance.domain.policies.returns import Disposition
from partia_kit.rules import RuleViolation
from tests.finance.domain.support import (
    ASTANA_BRANCH,
    company,
    configuration,
    decide,
    last_event,
    received,
    status,
)

ELECTION = "mazhilis-2026"
CAPPED = f"""
[[mci]]
effective_from = 2025-01-01
kzt = 3932

[[mci]]
effective_from = 2026-01-01
kzt = 4325

[funds.election_funds."{ELECTION}"]
return_within_days = 10
cap_mci = 100
cap_period = "whole_fund"
"""
"""An election fund capped at 100 MCI per donor for the whole campaign: 432,500 KZT in 2026."""


def test_the_packaged_mci_table_has_the_budget_law_amounts_by_date() -> None:
    mci = configuration().mci
    assert mci.rate_on(date(2024, 6, 1)).kzt == 3692
    assert mci.rate_on(date(2025, 1, 1)).kzt == 3932
    assert mci.rate_on(date(2025, 12, 31)).kzt == 3932
    assert mci.rate_on(date(2026, 3, 2)).kzt == 4325


def test_a_mid_year_change_of_the_mci_applies_from_its_own_date() -> None:
    mci = MciTable([MciRate(date(2022, 1, 1), 3063), MciRate(date(2022, 4, 1), 3180)])
    assert mci.rate_on(date(2022, 3, 31)).kzt == 3063
    assert mci.rate_on(date(2022, 4, 1)).kzt == 3180
    with pytest.raises(RuleViolation) as unknown:
        mci.rate_on(date(2021, 12, 31))
    assert unknown.value.rule == "mci-unknown"


def test_by_default_party_funds_have_no_cap() -> None:
    """DOMAIN §6: the party law sets no limit on donations to the party's own funds."""
    donation = received(company(), tiyn=1_000_000_000_00)
    assert decide(donation, prior_total_tiyn=5_000_000_000_00) is None
    accepted = last_event(donation)
    assert isinstance(accepted, Donation.Accepted)
    assert (accepted.accepted_tiyn, accepted.excess_tiyn, accepted.cap) == (
        1_000_000_000_00,
        0,
        None,
    )


def test_a_cap_splits_a_donation_into_the_accepted_part_and_a_return_of_the_excess_across_branches() -> (
    None
):
    """Election law: amounts over the limit go back to the donor. The donor's prior total, here
    given to the Almaty branch's decision, was accepted by the Astana branch: totals are per
    donor across all branches."""
    config = configuration(CAPPED)
    cap = 100 * 4325 * 100  # 100 MCI in tiyn, at the 2026 MCI
    fund = Purpose.election_fund(ELECTION)
    astana = received(company(), tiyn=300_000_00, organisation_id=ASTANA_BRANCH, purpose=fund)
    assert decide(astana, config=config) is None
    prior = astana.accepted_tiyn

    almaty = received(company(), tiyn=200_000_00, purpose=fund)
    obligation = decide(almaty, config=config, prior_total_tiyn=prior)

    assert status(almaty) is DonationStatus.ACCEPTED
    accepted = last_event(almaty)
    assert isinstance(accepted, Donation.Accepted)
    assert accepted.accepted_tiyn == cap - prior == 132_500_00
    assert accepted.excess_tiyn == 200_000_00 - 132_500_00
    assert accepted.cap is not None
    assert (accepted.cap.mci_kzt, accepted.cap.cap_tiyn, accepted.cap.prior_total_tiyn) == (
        4325,
        cap,
        prior,
    )
    assert obligation is not None
    assert (obligation.cause, obligation.amount.tiyn) == (ObligationCause.OVER_CAP, 67_500_00)
    assert obligation.disposition is Disposition.RETURN_TO_DONOR
    assert obligation.deadline == date(2026, 3, 12)  # 10 days, this fund's own clock
    assert accepted.obligation_id == obligation.id


def test_a_donor_already_at_the_cap_has_all_of_a_new_donation_returned() -> None:
    config = configuration(CAPPED)
    donation = received(company(), tiyn=1_000_00, purpose=Purpose.election_fund(ELECTION))
    obligation = decide(donation, config=config, prior_total_tiyn=100 * 4325 * 100)
    assert donation.accepted_tiyn == 0
    assert obligation is not None
    assert obligation.amount.tiyn == 1_000_00


def test_another_election_fund_without_its_own_entry_follows_the_default_no_cap() -> None:
    config = configuration(CAPPED)
    donation = received(company(), tiyn=900_000_00, purpose=Purpose.election_fund("maslikhat-2027"))
    assert decide(donation, config=config) is None
    assert donation.accepted_tiyn == 900_000_00


def test_a_cap_rounds_down_to_the_whole_tiyn() -> None:
    """The rule written down in `caps`: floor(multiple × MCI × 100)."""
    assert cap_in_tiyn(Fraction(1, 3), 4325) == 144166  # 1441.666… KZT
    assert cap_in_tiyn(Fraction("2.5"), 3932) == 983000


def test_the_cap_uses_the_mci_in_force_on_the_day_credited() -> None:
    mci = MciTable([MciRate(date(2025, 1, 1), 3932), MciRate(date(2026, 1, 1), 4325)])
    cap = Cap(Fraction(10), CapPeriod.CALENDAR_YEAR)
    assert split_at_cap(10**9, 0, cap, mci, date(2025, 12, 31)).accepted_tiyn == 39_320_00
    assert split_at_cap(10**9, 0, cap, mci, date(2026, 1, 1)).accepted_tiyn == 43_250_00
    assert cap.period_containing(date(2026, 7, 9)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert Cap(Fraction(10), CapPeriod.WHOLE_FUND).period_containing(date(2026, 7, 9)) is None


def test_a_cap_written_as_a_float_is_refused_since_it_would_not_be_exact() -> None:
    with pytest.raises(ValueError, match="never a float"):
        configuration(CAPPED.replace("cap_mci = 100", "cap_mci = 2.5"))
