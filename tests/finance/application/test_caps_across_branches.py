"""Caps on the real database (issue 11 item 5): a donor's accepted total is kept across every
branch by a keyed digest of the IIN, so a donation that takes it over the cap is accepted up to it
and the excess opens a return obligation, whichever branch received it."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

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
    runner = BatchRunner(
        finance.store,
        handlers(FinanceConfiguration.from_toml(CAPPED), RULE_BOOK),
        refusals=(RuleViolation, NotFound),
        recheckable=(RuleViolation, NotFound),
        unstorable=unstorable_text,
    )

    def give(tenge: int, organisation: UUID) -> dict[str, str]:
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

    first = give(300_000, ALMATY)
    assert (first["status"], first["obligation_id"]) == ("accepted", None)
    second = give(200_000, ASTANA)
    donation: Donation = finance.events.repository.get(UUID(second["donation_id"]))
    assert donation.accepted_tiyn == 132_500_00
    excess: ReturnObligation = finance.events.repository.get(UUID(second["obligation_id"]))
    assert (excess.amount.tiyn, excess.cause.value) == (67_500_00, "over_cap")
    assert excess.deadline == date(2026, 3, 12)  # this fund returns within 10 days
