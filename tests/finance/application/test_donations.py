"""Donations through the finance service's write path on the real database: received and checked
in one transaction, the decision and the obligations it opens kept as events and in the indexes,
the donor's personal data sealed (issue 11 items 2-4, 6)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from partia_finance.application import commands as c
from partia_finance.composition import Finance
from partia_finance.domain.donations import Donation
from partia_finance.domain.donors import AnonymousDonor, DonorPersonalData
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.funds import Purpose
from partia_finance.domain.money import Amount
from partia_finance.domain.obligations import ReturnObligation
from partia_kit.auth import Scope
from partia_kit.rules import NotFound
from tests.finance.domain.support import (
    CITIZEN_IIN,
    DECLARATION,
    NON_RESIDENT_BIN,
    PAYMENT,
    citizen,
    company,
)
from tests.finance.support import ALMATY, ASTANA, seed_tree

CREDITED = date(2026, 3, 2)


@pytest.fixture
def tree(finance: Finance) -> Finance:
    seed_tree(finance)
    return finance


def receive(finance: Finance, donor: Any, **given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "actor": "tolkyn",
        "donation_id": uuid4(),
        "amount": Amount(50_000_00),
        "credited_on": CREDITED,
        "bank_document": "PP-4471",
        "organisation_id": ALMATY,
        "purpose": Purpose.party_funds(),
        "donor": donor,
        "personal": DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим")
        if donor.kind.value == "person"
        else None,
        "evidence": Evidence((DECLARATION, PAYMENT)),
    }
    values.update(given)
    outcome = finance.writer.execute(c.ReceiveDonation(**values))
    if outcome.error is not None:
        raise outcome.error
    assert outcome.receipt is not None
    return outcome.receipt


def test_a_citizens_documented_donation_is_accepted_when_it_is_received(tree: Finance) -> None:
    receipt = receive(tree, citizen())
    assert receipt["status"] == "accepted"
    donation: Donation = tree.events.repository.get(UUID(receipt["donation_id"]))
    assert isinstance(donation, Donation)
    assert donation.accepted_tiyn == 50_000_00
    assert donation.personal is not None
    assert donation.personal.iin == CITIZEN_IIN


def test_a_non_resident_company_is_refused_with_its_clause_and_the_money_owed_back(
    tree: Finance,
) -> None:
    """Constitution Art. 6(4), Law Art. 18(2): BIN digit 5 = 5 is a foreign legal entity."""
    receipt = receive(tree, company(NON_RESIDENT_BIN))
    assert receipt["status"] == "rejected"
    obligation: ReturnObligation = tree.events.repository.get(UUID(receipt["obligation_id"]))
    assert isinstance(obligation, ReturnObligation)
    assert obligation.amount.tiyn == 50_000_00
    assert "Art. 18(2)" in obligation.clause
    assert obligation.deadline == date(2026, 4, 1)  # 30 days, the default


def test_an_anonymous_donation_is_refused_and_goes_to_the_republican_budget(tree: Finance) -> None:
    receipt = receive(tree, AnonymousDonor(), evidence=Evidence((PAYMENT,)))
    obligation: ReturnObligation = tree.events.repository.get(UUID(receipt["obligation_id"]))
    assert receipt["status"] == "rejected"
    assert obligation.disposition.value == "transfer_to_republican_budget"


def test_a_donation_without_the_declaration_is_held_and_accepted_once_it_arrives(
    tree: Finance,
) -> None:
    receipt = receive(tree, citizen(), evidence=Evidence((PAYMENT,)))
    assert receipt["status"] == "held"
    outcome = tree.writer.execute(
        c.AddEvidence(
            actor="tolkyn",
            donation_id=UUID(receipt["donation_id"]),
            documents=(DECLARATION,),
            declarations=None,
            added_on=date(2026, 3, 5),
        )
    )
    assert outcome.receipt is not None, outcome.error
    assert outcome.receipt["status"] == "accepted"


def test_a_treasurer_of_one_branch_cannot_receive_a_donation_for_another(tree: Finance) -> None:
    """Decision 165: the receiving organisation must lie in the treasurer's subtree."""
    with pytest.raises(NotFound) as refused:
        receive(tree, citizen(), organisation_id=ASTANA, scope=Scope(frozenset({ALMATY})))
    assert refused.value.field == "organisation_id"
    with pytest.raises(NotFound):
        receive(tree, citizen(), organisation_id=uuid4())  # unknown to finance


def test_the_donors_name_and_iin_never_reach_the_database_in_the_clear(tree: Finance) -> None:
    receive(tree, citizen())
    with psycopg.connect(tree.settings.database_url or "") as conn:
        stored = b"".join(
            bytes(row[0])
            for row in conn.execute(
                f'SELECT state FROM "{tree.settings.database_schema}".finance_events'
            )
        )
    assert CITIZEN_IIN.encode() not in stored
    assert "Абенова".encode() not in stored


def test_the_same_idempotency_key_records_a_donation_once(tree: Finance) -> None:
    from partia_kit.idempotency import IdempotencyKey

    key = IdempotencyKey(actor="tolkyn", key="k-1", fingerprint="f", legacy_fingerprint="f")
    first = receive(tree, citizen(), idempotency=key)
    again = tree.writer.execute(
        c.ReceiveDonation(
            actor="tolkyn",
            idempotency=key,
            donation_id=uuid4(),
            amount=Amount(50_000_00),
            credited_on=CREDITED,
            bank_document="PP-4471",
            organisation_id=ALMATY,
            purpose=Purpose.party_funds(),
            donor=citizen(),
            personal=DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим"),
            evidence=Evidence((DECLARATION, PAYMENT)),
        )
    )
    assert again.replayed
    assert again.receipt is not None
    assert again.receipt["donation_id"] == first["donation_id"]


def test_a_batch_of_donations_asks_for_the_organisation_tree_once_not_once_per_donation(
    tree: Finance,
) -> None:
    """The write path's round trips are per batch (bench/finance_write.py measured one chain
    query per donation as most of the writer's time); each donation still gets its own
    organisation's decision."""
    from contextlib import AbstractContextManager

    from partia_finance.adapters.organisations import OrganisationTree
    from partia_finance.application.handlers import handlers
    from partia_finance.composition import unstorable_text
    from partia_finance.domain.policies.permissibility import RULE_BOOK
    from partia_kit.batches import BatchRunner
    from tests.finance.support import PARTY

    asked: list[int] = []

    def counting() -> AbstractContextManager[Any]:
        asked.append(1)
        return tree.pool.connection()

    tree.store.organisations = OrganisationTree(counting, tree.settings.database_schema)

    runner = BatchRunner(
        tree.store,
        handlers(tree.configuration, RULE_BOOK),
        refusals=(NotFound,),
        recheckable=(NotFound,),
        unstorable=unstorable_text,
    )
    organisations = [ALMATY, ASTANA, PARTY] * 2
    commands = [
        c.ReceiveDonation(
            actor="tolkyn",
            donation_id=uuid4(),
            amount=Amount(50_000_00),
            credited_on=CREDITED,
            bank_document=f"PP-{n}",
            organisation_id=organisation,
            purpose=Purpose.party_funds(),
            donor=citizen(),
            personal=DonorPersonalData(CITIZEN_IIN, "Абенова", "Айгерим"),
            evidence=Evidence((DECLARATION, PAYMENT)),
            scope=Scope(frozenset({ALMATY})) if organisation == ASTANA else Scope(),
        )
        for n, organisation in enumerate(organisations)
    ]
    outcomes = runner.run(commands)
    assert len(asked) == 1
    for organisation, outcome in zip(organisations, outcomes, strict=True):
        if organisation == ASTANA:  # outside the treasurer's subtree (decision 165)
            assert isinstance(outcome.error, NotFound)
        else:
            assert outcome.receipt is not None, outcome.error
            assert outcome.receipt["status"] == "accepted"
