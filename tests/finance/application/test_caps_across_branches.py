"""Caps on the real database (issue 11 item 5): a donor's accepted total is kept across every
branch by a keyed digest of the IIN, so a donation that takes it over the cap is accepted up to it
and the excess opens a return obligation, whichever branch received it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from partia_finance.adapters.postgres.store import FinanceUnitOfWork
from partia_finance.application import commands as c
from partia_finance.application.handlers import handlers
from partia_finance.composition import Finance, unstorable_text
from partia_finance.domain.configuration import FinanceConfiguration
from partia_finance.domain.donations import Donation
from partia_finance.domain.donors import DonorPersonalData
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.obligations import ReturnObligation
from partia_finance.domain.policies.permissibility import RULE_BOOK
from partia_kit.batches import BatchRunner
from partia_kit.rules import NotFound, RuleViolation
from tests.finance.domain.support import CITIZEN_IIN, DECLARATION, PAYMENT, citizen
from tests.finance.domain.test_caps import CAPPED, ELECTION
from tests.finance.support import ALMATY, ASTANA, seed_tree


def test_the_cap_splits_a_donation_across_two_branches_into_accepted_part_and_return(
    finance: Finance,
) -> None:
    """100 MCI of 4,325 KZT (2026) = 432,500 KZT per donor for the campaign: 300,000 KZT in
    Almaty, then 200,000 KZT in Astana: 132,500 accepted, 67,500 owed back (election law)."""
    seed_tree(finance)
    runner = _runner(finance)

    first = _give(runner, 300_000, ALMATY)
    assert (first["status"], first["obligation_id"]) == ("accepted", None)
    second = _give(runner, 200_000, ASTANA)
    donation: Donation = finance.events.repository.get(UUID(second["donation_id"]))
    assert donation.accepted_tiyn == 132_500_00
    excess: ReturnObligation = finance.events.repository.get(UUID(second["obligation_id"]))
    assert (excess.amount.tiyn, excess.cause.value) == (67_500_00, "over_cap")
    assert excess.deadline == date(2026, 3, 12)  # this fund returns within 10 days


def test_two_writers_deciding_one_donors_donations_at_once_accept_no_more_than_the_cap(
    finance: Finance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOMAIN §6, the election law's cap (here 100 MCI per donor and campaign), with two finance writers
    (decision 312): writer B reads the donor's total, writer A accepts 300,000 KZT before B
    commits, and B's 200,000 KZT, decided on the stale total, must not be accepted whole.
    B's commit collides with A's claim on the total, B decides again: 132,500 accepted."""
    seed_tree(finance)
    a, b = (_runner(finance) for _ in range(2))
    reading = FinanceUnitOfWork.accepted_total
    raced: list[dict[str, str]] = []
    racing = False

    def a_commits_between_bs_read_and_commit(
        uow: FinanceUnitOfWork, number: str, purpose: Purpose, period: Any
    ) -> int:
        nonlocal racing
        total = reading(uow, number, purpose, period)
        if not racing:  # once, and not again inside A's own decision
            racing = True
            raced.append(_give(a, 300_000, ALMATY))
        return total

    monkeypatch.setattr(FinanceUnitOfWork, "accepted_total", a_commits_between_bs_read_and_commit)
    second = _give(b, 200_000, ASTANA)
    assert (raced[0]["status"], raced[0]["obligation_id"]) == ("accepted", None)
    donation: Donation = finance.events.repository.get(UUID(second["donation_id"]))
    assert donation.accepted_tiyn == 132_500_00
    excess: ReturnObligation = finance.events.repository.get(UUID(second["obligation_id"]))
    assert excess.amount.tiyn == 67_500_00


def _runner(finance: Finance) -> BatchRunner[Any]:
    return BatchRunner(
        finance.store,
        handlers(FinanceConfiguration.from_toml(CAPPED), RULE_BOOK),
        refusals=(RuleViolation, NotFound),
        recheckable=(RuleViolation, NotFound),
        unstorable=unstorable_text,
    )


def _give(runner: BatchRunner[Any], tenge: int, organisation: UUID) -> dict[str, str]:
    [outcome] = runner.run(
        [
            c.ReceiveDonation(
                actor="tolkyn",
                donation_id=uuid4(),
                amount=Amount(tenge * 100),
                credited_on=date(2026, 3, 2),
                bank_document="PP-1",
                organisation_id=organisation,
                purpose=Purpose.election_fund(ELECTION),
                donor=citizen(),
                personal=DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим"),
                evidence=Evidence((DECLARATION, PAYMENT)),
            )
        ]
    )
    assert outcome.receipt is not None, outcome.error
    return outcome.receipt
