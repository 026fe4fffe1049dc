"""Who may be a member: Ch. 3.2 (age, citizenship), Ch. 3.3 (another party), and the offices the
Constitution bars from party membership (Art. 26(2), 45(2), 49(3))."""

from __future__ import annotations

from datetime import date

import pytest

from partia_registry.domain.members import Member, MemberStatus
from partia_registry.domain.policies import eligibility
from partia_registry.domain.policies.eligibility import BarredOffice
from partia_registry.domain.rules import RuleViolation, StateConflict
from tests.registry.domain.support import Tree, citizen, make_iin, personal, signed


def _apply(*, born: date = date(1990, 5, 17), on: date = date(2026, 3, 1), **declared) -> Member:
    return Member.apply_for_membership(
        ppo=Tree().ppo_line,
        personal=personal(make_iin(born)),
        declarations=citizen(**declared),
        application_document=signed(on),
        recorded_by="registrar",
    )


# --- age (Ch. 3.2) --------------------------------------------------------------------------------


def test_ch_3_2_the_day_before_the_18th_birthday_is_refused():
    with pytest.raises(RuleViolation) as refused:
        eligibility.check_age(date(2008, 3, 15), date(2026, 3, 14), field="person.iin")
    assert refused.value.rule == "minimum-age"
    assert refused.value.clause == "Ch. 3.2"
    assert refused.value.field == "person.iin"
    assert "2026-03-15" in refused.value.message  # says when the applicant turns 18


def test_ch_3_2_the_18th_birthday_itself_is_allowed():
    eligibility.check_age(date(2008, 3, 15), date(2026, 3, 15), field="person.iin")


def test_ch_3_2_someone_born_on_29_february_is_refused_on_28_february_of_a_common_year():
    with pytest.raises(RuleViolation) as refused:
        eligibility.check_age(date(2008, 2, 29), date(2026, 2, 28), field="person.iin")
    assert refused.value.clause == "Ch. 3.2"
    assert "2026-03-01" in refused.value.message


def test_ch_3_2_someone_born_on_29_february_is_allowed_on_1_march_of_a_common_year():
    eligibility.check_age(date(2008, 2, 29), date(2026, 3, 1), field="person.iin")


def test_ch_3_2_an_age_refusal_names_the_field_whose_date_counted():
    with pytest.raises(RuleViolation) as refused:
        eligibility.check_age(date(2008, 3, 15), date(2026, 1, 1), field="decision.decided_on")
    assert refused.value.field == "decision.decided_on"


def test_ch_3_2_the_application_counts_from_the_day_it_was_signed():
    """An application signed the day before the 18th birthday is refused, whatever day it is
    entered; one signed on the birthday is accepted."""
    born = date(2008, 3, 15)
    with pytest.raises(RuleViolation) as refused:
        _apply(born=born, on=date(2026, 3, 14))
    assert refused.value.rule == "minimum-age"
    assert refused.value.clause == "Ch. 3.2"
    assert refused.value.field == "person.iin"
    assert not isinstance(refused.value, StateConflict)  # the input broke a rule: 422, not 409

    record = _apply(born=born, on=date(2026, 3, 15))
    assert record.status is MemberStatus.APPLICANT


def test_ch_3_2_an_applicant_born_29_february_may_sign_on_1_march_of_the_year_they_turn_18():
    with pytest.raises(RuleViolation, match="18"):
        _apply(born=date(2008, 2, 29), on=date(2026, 2, 28))
    assert _apply(born=date(2008, 2, 29), on=date(2026, 3, 1)).status is MemberStatus.APPLICANT


# --- citizenship (Ch. 3.2) ------------------------------------------------------------------------


def test_ch_3_2_a_citizen_of_kazakhstan_may_apply():
    eligibility.check_citizenship("KZ")
    assert _apply(citizenship="KZ").status is MemberStatus.APPLICANT


@pytest.mark.parametrize("citizenship", ["RU", "UZ", "KG", "CN", "", "XX"])
def test_ch_3_2_only_citizens_of_kazakhstan_may_apply(citizenship):
    """An IIN does not prove citizenship (foreigners get IINs too), so the declaration decides."""
    with pytest.raises(RuleViolation) as refused:
        _apply(citizenship=citizenship)
    assert refused.value.rule == "citizenship"
    assert refused.value.clause == "Ch. 3.2"
    assert refused.value.field == "declarations.citizenship"


# --- another party (Ch. 3.3) ----------------------------------------------------------------------


def test_ch_3_3_a_member_of_another_party_is_refused():
    with pytest.raises(RuleViolation) as refused:
        _apply(other_party=True)
    assert refused.value.rule == "member-of-another-party"
    assert refused.value.clause == "Ch. 3.3"
    assert refused.value.field == "declarations.member_of_another_party"


def test_ch_3_3_someone_in_no_other_party_is_not_refused_for_it():
    eligibility.check_no_other_party(False)


# --- barred offices (Constitution) ----------------------------------------------------------------

ART_26_2 = "Constitution Art. 26(2)"


@pytest.mark.parametrize(
    "office",
    [
        BarredOffice.JUDGE,
        BarredOffice.CENTRAL_ELECTION_COMMISSION,
        BarredOffice.SUPREME_AUDIT_CHAMBER,
        BarredOffice.LAW_ENFORCEMENT,
        BarredOffice.SPECIAL_STATE_BODY,
        BarredOffice.MILITARY,
    ],
)
def test_art_26_2_judges_election_and_audit_officials_security_staff_and_soldiers_are_refused(
    office,
):
    """Constitution Art. 26(2): judges and court chairs, CEC and Supreme Audit Chamber members,
    staff of law-enforcement and special state bodies, and military personnel."""
    with pytest.raises(RuleViolation) as refused:
        _apply(barred=office)
    assert refused.value.rule == "barred-office"
    assert refused.value.clause == ART_26_2
    assert refused.value.field == "declarations.barred_office"
    assert office.value in refused.value.message


def test_art_45_2_the_president_in_office_is_refused():
    with pytest.raises(RuleViolation) as refused:
        _apply(barred=BarredOffice.PRESIDENT)
    assert refused.value.clause == "Constitution Art. 45(2)"
    assert refused.value.field == "declarations.barred_office"


def test_the_vice_president_in_office_is_refused_under_the_vice_president_article():
    """Constitution Art. 49(3): "During the exercise of his powers, the Vice-President ... may not
    be a member of a political party." The clause must cite that article, not Art. 26(2) or 45(2)."""
    with pytest.raises(RuleViolation) as refused:
        _apply(barred=BarredOffice.VICE_PRESIDENT)
    clause = refused.value.clause
    assert clause.startswith("Constitution")
    assert "49(3)" in clause or "Vice-President" in clause
    assert refused.value.field == "declarations.barred_office"


def test_every_barred_office_is_refused():
    """No office in the list slips through: a new entry must be refused too."""
    for office in BarredOffice:
        with pytest.raises(RuleViolation) as refused:
            eligibility.check_not_barred(office)
        assert refused.value.clause.startswith("Constitution")


def test_holding_no_barred_office_is_not_refused():
    eligibility.check_not_barred(None)


def test_an_invalid_iin_refuses_the_application_and_names_the_field():
    with pytest.raises(RuleViolation) as refused:
        Member.apply_for_membership(
            ppo=Tree().ppo_line,
            personal=personal("900517400006"),
            declarations=citizen(),
            application_document=signed(),
            recorded_by="registrar",
        )
    assert refused.value.rule == "iin-invalid"
    assert refused.value.field == "person.iin"
    assert "check digit" in refused.value.message
