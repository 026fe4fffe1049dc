"""Who may not give a party money: Constitution Art. 6(4), Law "On Political Parties" Art. 18(2),
Ch. 12.1. Each prohibited category is refused with its rule and clause; a missing declaration
holds the donation; the numbers refuse what they prove."""

from __future__ import annotations

from datetime import date

import pytest

from partia_finance.domain.donations import Donation, DonationStatus
from partia_finance.domain.donors import (
    STATELESS,
    ForeignEntityDonor,
    ForeignEntityKind,
    OrganisationDeclarations,
    PersonDeclarations,
    PersonDonor,
)
from partia_finance.domain.evidence import Evidence
from partia_finance.domain.obligations import ObligationCause
from partia_finance.domain.policies.permissibility import (
    ALL_RULES,
    PROHIBITED_SOURCES,
    Outcome,
    RuleBook,
    RuleSet,
)
from partia_finance.domain.policies.returns import Disposition
from partia_kit.rules import RuleViolation, StateConflict
from tests.finance.domain.support import (
    CREDITED,
    DECLARATION,
    NON_RESIDENT_BIN,
    PAYMENT,
    TREASURER,
    anonymous,
    citizen,
    company,
    decide,
    last_event,
    personal,
    received,
    status,
)

ART_18 = "Law On Political Parties Art. 18(2)"
ART_6 = "Constitution Art. 6(4)"


def rejected_with(donation: Donation) -> tuple[str, str]:
    obligation = decide(donation)
    assert status(donation) is DonationStatus.REJECTED
    assert obligation is not None
    assert obligation.cause is ObligationCause.REJECTED
    event = last_event(donation)
    assert isinstance(event, Donation.Rejected)
    assert event.obligation_id == obligation.id
    return event.rule, event.clause


def test_a_citizen_of_kazakhstan_with_a_declaration_is_accepted_and_every_rule_checked_is_listed() -> (
    None
):
    """Ch. 12.1: donations from citizens of Kazakhstan, documented, with the source stated."""
    donation = received(citizen())
    assert decide(donation) is None
    accepted = last_event(donation)
    assert isinstance(accepted, Donation.Accepted)
    assert [c.rule for c in accepted.checks] == [
        "identification-number",
        "foreigner-or-stateless-person",
        "foreign-grants",
        "declaration-documented",
    ]
    assert all(c.outcome is Outcome.PASSED for c in accepted.checks)
    assert accepted.evidence_relied_on == Evidence((DECLARATION, PAYMENT))
    assert accepted.bank_document == "PP-4471"
    assert accepted.accepted_tiyn == donation.amount.tiyn
    assert accepted.rule_set == "law-344-II-as-amended-2024"


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        (ForeignEntityKind.FOREIGN_STATE, "foreign state"),
        (ForeignEntityKind.FOREIGN_LEGAL_ENTITY, "foreign legal entity"),
        (ForeignEntityKind.INTERNATIONAL_ORGANISATION, "international organisation"),
    ],
)
def test_foreign_states_foreign_legal_entities_and_international_organisations_are_refused(
    entity: ForeignEntityKind, expected: str
) -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1."""
    donation = received(ForeignEntityDonor("Donor abroad", entity, "DE"), evidence=Evidence())
    assert rejected_with(donation) == ("foreign-state-or-legal-entity", PROHIBITED_SOURCES)
    refused = last_event(donation)
    assert isinstance(refused, Donation.Rejected)
    assert expected in refused.reason


def test_a_non_resident_bin_is_refused_as_a_foreign_legal_entity_whatever_it_declares() -> None:
    """Constitution Art. 6(4), Law Art. 18(2): BIN digit 5 = 5 is a non-resident legal entity
    (DOMAIN §9); a declaration of no foreign participation does not save it."""
    clean = company(NON_RESIDENT_BIN)  # declares none of the categories
    assert rejected_with(received(clean)) == ("foreign-state-or-legal-entity", PROHIBITED_SOURCES)
    undeclared = received(
        company(NON_RESIDENT_BIN, foreign_participation=None), evidence=Evidence()
    )
    # Refused without waiting for the missing declaration: the number already proves it.
    assert rejected_with(undeclared)[0] == "foreign-state-or-legal-entity"


@pytest.mark.parametrize("citizenship", ["RU", "CN", STATELESS])
def test_foreigners_and_stateless_persons_are_refused_on_their_declared_citizenship(
    citizenship: str,
) -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: foreigners get IINs too, so the valid
    IIN does not help; the declared citizenship decides."""
    assert rejected_with(received(citizen(citizenship=citizenship))) == (
        "foreigner-or-stateless-person",
        PROHIBITED_SOURCES,
    )


def test_a_legal_entity_with_foreign_participation_is_refused() -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1."""
    assert rejected_with(received(company(foreign_participation=True))) == (
        "foreign-participation",
        PROHIBITED_SOURCES,
    )


def test_a_state_body_or_state_organisation_is_refused() -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1."""
    assert rejected_with(received(company(state_body_or_organisation=True))) == (
        "state-body-or-organisation",
        PROHIBITED_SOURCES,
    )


@pytest.mark.parametrize("declared", ["religious_association", "charitable_organisation"])
def test_religious_associations_and_charitable_organisations_are_refused(declared: str) -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1."""
    assert rejected_with(received(company(**{declared: True}))) == (
        "religious-or-charitable-organisation",
        PROHIBITED_SOURCES,
    )


def test_an_anonymous_donation_is_refused_and_goes_to_the_republican_budget() -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: no anonymous donors; the money goes to
    the republican budget (the configured disposition, as the election law does)."""
    donation = anonymous()
    assert rejected_with(donation) == ("anonymous-donor", PROHIBITED_SOURCES)
    obligation = decide(anonymous())
    assert obligation is not None
    assert obligation.disposition is Disposition.TRANSFER_TO_REPUBLICAN_BUDGET


def test_an_identified_prohibited_donor_gets_the_money_back() -> None:
    """DOMAIN §6: the money of an identified prohibited donor goes back to that donor."""
    obligation = decide(received(company(state_body_or_organisation=True)))
    assert obligation is not None
    assert obligation.disposition is Disposition.RETURN_TO_DONOR
    assert obligation.rule == "state-body-or-organisation"


def test_citizens_and_ngos_receiving_foreign_grants_are_refused() -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1: citizens or NGOs of Kazakhstan that
    receive grants or other money from international or foreign NGOs."""
    assert rejected_with(received(citizen(receives_foreign_grants=True))) == (
        "foreign-grants",
        PROHIBITED_SOURCES,
    )
    assert rejected_with(received(company(receives_foreign_grants=True))) == (
        "foreign-grants",
        PROHIBITED_SOURCES,
    )


def test_every_prohibited_source_rule_cites_the_constitution_and_the_party_law() -> None:
    assert ART_6 in PROHIBITED_SOURCES
    assert ART_18 in PROHIBITED_SOURCES
    for rule in ALL_RULES:
        doc = rule.__doc__ or ""
        assert "Ch. 12.1" in doc, rule.__name__


def test_an_invalid_iin_is_refused_outright_even_with_every_declaration() -> None:
    """Ch. 12.1: the source is stated; an IIN that fails its check digit (DOMAIN §9) names
    nobody."""
    valid = personal().iin
    broken = valid[:11] + str((int(valid[11]) + 1) % 10)
    donation = received(citizen(), personal_data=personal(broken))
    rule, clause = rejected_with(donation)
    assert (rule, clause) == ("identification-number", "Ch. 12.1")
    refused = last_event(donation)
    assert isinstance(refused, Donation.Rejected)
    assert "check digit" in refused.reason


def test_an_invalid_bin_is_refused_outright() -> None:
    """Ch. 12.1, DOMAIN §9."""
    assert rejected_with(received(company("123456789012")))[0] == "identification-number"


def test_a_person_without_a_declared_citizenship_is_held_not_accepted() -> None:
    """Ch. 12.1 and DOMAIN §6: an IIN does not prove citizenship, so without the declaration the
    donation waits."""
    donation = received(PersonDonor(PersonDeclarations(citizenship=None)))
    assert decide(donation) is None
    assert status(donation) is DonationStatus.HELD
    held = last_event(donation)
    assert isinstance(held, Donation.Held)
    missing = [c.rule for c in held.checks if c.outcome is Outcome.DECLARATION_MISSING]
    assert missing == ["foreigner-or-stateless-person", "foreign-grants"]


def test_a_held_donation_is_accepted_once_the_declaration_arrives() -> None:
    """Ch. 12.1: accepted only on the declaration; the evidence added is an event of its own and
    the acceptance lists it as relied on."""
    donation = received(PersonDonor(), evidence=Evidence((PAYMENT,)))
    decide(donation)
    assert status(donation) is DonationStatus.HELD
    with pytest.raises(StateConflict) as still:
        decide(donation, date(2026, 3, 5))
    assert still.value.rule == "declaration-still-missing"

    donation.add_evidence(
        [DECLARATION],
        PersonDeclarations(citizenship="KZ", receives_foreign_grants=False),
        date(2026, 3, 9),
        TREASURER,
    )
    assert decide(donation, date(2026, 3, 9)) is None
    assert status(donation) is DonationStatus.ACCEPTED
    names = [type(e).__name__ for e in donation.pending_events]
    assert names == ["Received", "Held", "EvidenceAdded", "Accepted"]
    accepted = last_event(donation)
    assert isinstance(accepted, Donation.Accepted)
    assert DECLARATION in accepted.evidence_relied_on.documents


def test_a_held_donation_is_rejected_when_the_declaration_shows_a_prohibited_source() -> None:
    """Constitution Art. 6(4), Law Art. 18(2), Ch. 12.1."""
    donation = received(company(religious_association=None), evidence=Evidence())
    decide(donation)
    assert status(donation) is DonationStatus.HELD
    donation.add_evidence(
        [DECLARATION],
        OrganisationDeclarations(
            foreign_participation=False,
            state_body_or_organisation=False,
            religious_association=True,
            charitable_organisation=False,
            receives_foreign_grants=False,
        ),
        date(2026, 3, 9),
        TREASURER,
    )
    assert decide(donation, date(2026, 3, 9)) is not None
    assert status(donation) is DonationStatus.REJECTED


def test_declarations_without_the_signed_declaration_document_hold_the_donation() -> None:
    """Ch. 12.1: documented; a declaration typed in but not kept is not yet evidence."""
    donation = received(citizen(), evidence=Evidence((PAYMENT,)))
    decide(donation)
    assert status(donation) is DonationStatus.HELD


def test_a_decided_donation_cannot_be_decided_again() -> None:
    """Exactly one decision: a later finding is its own event, never an edit."""
    donation = received()
    decide(donation)
    with pytest.raises(StateConflict) as again:
        decide(donation, date(2026, 3, 3))
    assert again.value.rule == "already-decided"


def test_a_decision_is_judged_by_the_rule_set_in_force_on_its_own_date() -> None:
    """Rules versioned by the date each takes effect: a donation decided before an amendment is
    judged by the old wording, one decided from its first day by the new."""
    without_grants = tuple(r for r in ALL_RULES if r.__name__ != "foreign_grants")
    book = RuleBook(
        [
            RuleSet("before-amendment", date(2002, 7, 15), without_grants),
            RuleSet("after-amendment", date(2026, 4, 1), ALL_RULES),
        ]
    )
    grant_holder = citizen(receives_foreign_grants=True)

    before = received(grant_holder)
    assert decide(before, date(2026, 3, 31), rules=book) is None
    assert status(before) is DonationStatus.ACCEPTED
    accepted = last_event(before)
    assert isinstance(accepted, Donation.Accepted)
    assert accepted.rule_set == "before-amendment"

    after = received(grant_holder)
    assert decide(after, date(2026, 4, 1), rules=book) is not None
    rejected = last_event(after)
    assert isinstance(rejected, Donation.Rejected)
    assert (rejected.rule, rejected.rule_set) == ("foreign-grants", "after-amendment")


def test_no_decision_before_the_first_rule_set_took_effect() -> None:
    book = RuleBook([RuleSet("only", date(2026, 4, 1), ALL_RULES)])
    with pytest.raises(Exception, match="no version of the permissibility rules"):
        decide(received(), CREDITED, rules=book)


def test_evidence_and_decisions_keep_the_order_of_business_dates() -> None:
    """Ch. 12.3: the commissions replay the history; no evidence before the credit, no decision
    before the hold it ends."""
    donation = received(PersonDonor(), evidence=Evidence((PAYMENT,)))
    decide(donation, date(2026, 3, 5))
    with pytest.raises(RuleViolation) as early_evidence:
        donation.add_evidence([DECLARATION], None, date(2026, 3, 1), TREASURER)
    assert early_evidence.value.field == "added_on"
    donation.add_evidence(
        [DECLARATION], PersonDeclarations("KZ", False), date(2026, 3, 6), TREASURER
    )
    with pytest.raises(RuleViolation) as early_decision:
        decide(donation, date(2026, 3, 4))
    assert early_decision.value.rule == "decided-before-held"


def test_a_person_donors_names_and_iin_are_only_in_the_field_that_is_sealed() -> None:
    """Constitution Art. 21, DOMAIN §8: the service seals `personal` per donation; nothing else
    in any event may carry the names or the IIN, or erasing the key would not erase them."""
    donation = received(citizen())
    decide(donation)
    data = personal()
    for event in donation.pending_events:
        rest = {k: v for k, v in vars(event).items() if k != "personal"}
        text = repr(rest)
        assert data.iin not in text
        assert data.surname not in text
        assert data.given_name not in text
    received_event = donation.pending_events[0]
    assert isinstance(received_event, Donation.Received)
    assert received_event.personal == data
