"""A person's record: application → admission → withdrawal or termination; rejection; applying
again; erasure of personal data (Ch. 3.1-3.7, 5.1; DOMAIN §2, §8)."""

from __future__ import annotations

from datetime import date
from functools import reduce

import pytest

from partia_registry.domain.decisions import ApplicationDocument, BodyKind, DocumentForm
from partia_registry.domain.members import WITHDRAWAL, Member, MemberStatus, TerminationGround
from partia_registry.domain.policies.eligibility import BarredOffice
from partia_registry.domain.rules import RuleViolation, StateConflict
from tests.registry.domain.support import (
    Tree,
    applicant,
    citizen,
    decided,
    formalised_by_own_ppo,
    make_iin,
    member,
    personal,
    signed,
)

B = BodyKind
APPLIED = date(2026, 3, 1)
ADMITTED = date(2026, 3, 10)


@pytest.fixture
def tree() -> Tree:
    return Tree()


def _meeting(tree: Tree, on: date = ADMITTED):
    return decided(B.PPO_MEETING, tree.ppo.organisation_id, on)


def _withdraw(record: Member, on: date = date(2026, 6, 1)) -> None:
    decision, ppo = formalised_by_own_ppo(record, on)
    record.withdraw(
        application_document=signed(on, "LEAVE-1"),
        effective_on=on,
        decision=decision,
        ppo=ppo,
        recorded_by="clerk",
    )


def _terminate(record: Member, tree: Tree, ground=TerminationGround.DEATH, on=date(2026, 6, 1)):
    record.terminate(
        ground=ground, decision=_meeting(tree, on), ppo=tree.ppo_line, recorded_by="clerk"
    )


def _reject(record: Member, tree: Tree, on: date = ADMITTED) -> None:
    record.reject_application(
        decision=_meeting(tree, on), reason="did not attend", ppo=tree.ppo_line, recorded_by="clerk"
    )


def _apply_again(record: Member, tree: Tree, on: date = date(2027, 1, 10), **declared) -> None:
    record.apply_again(
        ppo=tree.sibling_ppo_line,
        personal=personal(),
        declarations=citizen(**declared),
        application_document=signed(on, "APP-2"),
        recorded_by="clerk",
    )


def _erase(record: Member) -> None:
    record.erase_personal_data(
        legal_basis="Constitution Art. 21", request_reference="REQ-7", recorded_by="dpo"
    )


# --- application (Ch. 3.4) ------------------------------------------------------------------------


def test_ch_3_4_a_written_application_opens_a_record_for_an_applicant(tree):
    record = applicant(tree, applied_on=APPLIED)
    assert record.status is MemberStatus.APPLICANT
    assert record.organisation_id == tree.ppo.organisation_id
    assert record.applied_on == APPLIED
    assert record.personal is not None
    assert record.card_number is None
    assert record.admitted_on is None
    assert record.ended_on is None
    assert record.erased is False


def test_the_record_keeps_sex_and_birth_year_taken_from_the_iin(tree):
    record = Member.apply_for_membership(
        ppo=tree.ppo_line,
        personal=personal(make_iin(date(1975, 12, 31))),
        declarations=citizen(),
        application_document=signed(APPLIED),
        recorded_by="clerk",
    )
    assert record.demographics.sex == "male"
    assert record.demographics.birth_year == 1975


def test_ch_3_4_an_application_on_paper_counts_like_one_with_a_digital_signature(tree):
    paper = ApplicationDocument(DocumentForm.PAPER, "APP-P", APPLIED)
    record = Member.apply_for_membership(
        ppo=tree.ppo_line,
        personal=personal(),
        declarations=citizen(),
        application_document=paper,
        recorded_by="clerk",
    )
    assert record.status is MemberStatus.APPLICANT


# --- admission (Ch. 3.4, 3.5) ---------------------------------------------------------------------


def test_ch_3_5_admission_gives_a_card_number_and_dates_membership_from_the_decision(tree):
    record = applicant(tree, applied_on=APPLIED)
    record.admit(
        decision=_meeting(tree, ADMITTED),
        issue_card=lambda: "BQ-0000007-3",
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    assert record.status is MemberStatus.MEMBER
    assert record.card_number == "BQ-0000007-3"
    assert record.admitted_on == ADMITTED
    assert record.organisation_id == tree.ppo.organisation_id


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PPO_MEETING, "ppo"),
        (B.PPO_BUREAU, "ppo"),
        (B.BRANCH_BUREAU, "district"),
        (B.BRANCH_BUREAU, "region"),
        (B.PARTY_BUREAU, "party"),
    ],
)
def test_ch_3_4_each_competent_body_may_admit(tree, kind, owner):
    record = applicant(tree)
    decision = decided(kind, getattr(tree, owner).organisation_id, ADMITTED)
    record.admit(
        decision=decision, issue_card=lambda: "BQ-0000001-8", ppo=tree.ppo_line, recorded_by="clerk"
    )
    assert record.status is MemberStatus.MEMBER


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PPO_MEETING, "sibling_ppo"),
        (B.PPO_CHAIR, "ppo"),
        (B.BRANCH_BUREAU, "sibling_district"),
        (B.PARTY_CONGRESS, "party"),
        (B.PARTY_POLITICAL_COUNCIL, "party"),
    ],
)
def test_ch_3_4_an_incompetent_body_may_not_admit_and_nothing_is_recorded(tree, kind, owner):
    record = applicant(tree)
    record.collect_events()
    with pytest.raises(RuleViolation) as refused:
        record.admit(
            decision=decided(kind, getattr(tree, owner).organisation_id, ADMITTED),
            issue_card=lambda: "BQ-0000001-8",
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )
    assert refused.value.rule == "body-not-competent"
    assert not isinstance(refused.value, StateConflict)
    assert record.status is MemberStatus.APPLICANT
    assert record.card_number is None
    assert record.pending_events == []


def test_ch_3_4_admission_on_the_day_of_the_application_is_allowed(tree):
    record = applicant(tree, applied_on=APPLIED)
    record.admit(
        decision=_meeting(tree, APPLIED),
        issue_card=lambda: "BQ-0000001-8",
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    assert record.admitted_on == APPLIED


def test_ch_3_4_admission_dated_before_the_written_application_is_refused(tree):
    record = applicant(tree, applied_on=APPLIED)
    with pytest.raises(RuleViolation) as refused:
        record.admit(
            decision=_meeting(tree, date(2026, 2, 28)),
            issue_card=lambda: "BQ-0000001-8",
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )
    assert refused.value.rule == "decision-before-application"
    assert refused.value.clause == "Ch. 3.4"
    assert refused.value.field == "decision.decided_on"
    assert not isinstance(refused.value, StateConflict)
    assert record.status is MemberStatus.APPLICANT


def test_ch_3_2_an_applicant_who_turns_18_on_the_decision_date_may_be_admitted(tree):
    """Signed on the 18th birthday and admitted the same day."""
    birthday = date(2026, 3, 15)
    record = applicant(tree, born=date(2008, 3, 15), applied_on=birthday)
    record.check_may_admit(decision=_meeting(tree, birthday), ppo=tree.ppo_line)
    record.admit(
        decision=_meeting(tree, birthday),
        issue_card=lambda: "BQ-0000001-8",
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    assert record.status is MemberStatus.MEMBER


def test_ch_3_2_an_admission_cannot_be_dated_before_the_18th_birthday(tree):
    """The application is refused under 18 on the day it is signed, and a decision cannot precede
    the application, so no decision can admit someone under 18."""
    birthday = date(2026, 3, 15)
    with pytest.raises(RuleViolation, match="18"):
        applicant(tree, born=date(2008, 3, 15), applied_on=date(2026, 3, 14))
    record = applicant(tree, born=date(2008, 3, 15), applied_on=birthday)
    with pytest.raises(RuleViolation) as refused:
        record.check_may_admit(decision=_meeting(tree, date(2026, 3, 14)), ppo=tree.ppo_line)
    assert refused.value.rule == "decision-before-application"
    assert refused.value.field == "decision.decided_on"


def test_a_member_cannot_be_admitted_again(tree):
    record = member(tree)
    with pytest.raises(StateConflict) as refused:
        record.admit(
            decision=_meeting(tree, date(2026, 4, 1)),
            issue_card=lambda: "BQ-0000002-6",
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )
    assert refused.value.rule == "not-applicant"
    assert record.card_number == "BQ-0000001-8"


# --- rejection (Ch. 3.4) --------------------------------------------------------------------------


def test_ch_3_4_a_competent_body_may_reject_an_application(tree):
    record = applicant(tree)
    _reject(record, tree)
    assert record.status is MemberStatus.REJECTED
    assert record.card_number is None


def test_ch_3_4_a_rejection_by_an_incompetent_body_is_refused(tree):
    record = applicant(tree)
    with pytest.raises(RuleViolation) as refused:
        record.reject_application(
            decision=decided(B.PPO_MEETING, tree.sibling_ppo.organisation_id, ADMITTED),
            reason="x",
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )
    assert refused.value.rule == "body-not-competent"
    assert record.status is MemberStatus.APPLICANT


def test_ch_3_4_a_rejection_dated_before_the_application_is_refused(tree):
    record = applicant(tree, applied_on=APPLIED)
    with pytest.raises(RuleViolation) as refused:
        _reject(record, tree, on=date(2026, 2, 1))
    assert refused.value.rule == "decision-before-application"
    assert record.status is MemberStatus.APPLICANT


def test_a_rejected_application_cannot_then_be_admitted(tree):
    record = applicant(tree)
    _reject(record, tree)
    with pytest.raises(StateConflict):
        record.admit(
            decision=_meeting(tree),
            issue_card=lambda: "BQ-0000001-8",
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )


def test_a_member_cannot_be_rejected(tree):
    record = member(tree)
    with pytest.raises(StateConflict):
        _reject(record, tree, on=date(2026, 4, 1))
    assert record.status is MemberStatus.MEMBER


# --- withdrawal (Ch. 3.6, 5.1) --------------------------------------------------------------------


def test_ch_5_1_a_member_may_withdraw_on_any_competent_bodys_formalising_decision(tree):
    record = member(tree)
    _withdraw(record, date(2026, 6, 1))
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.ended_on == date(2026, 6, 1)
    assert record.end_reason == WITHDRAWAL
    assert record.card_number == "BQ-0000001-8"
    assert record.admitted_on == ADMITTED


@pytest.mark.parametrize("on", [ADMITTED, date(2026, 3, 11), date(2040, 1, 1)])
def test_ch_5_1_withdrawal_is_granted_on_any_date_from_admission_on(tree, on):
    record = member(tree)
    _withdraw(record, on)
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_3_6_membership_cannot_end_before_it_began(tree):
    record = member(tree)
    with pytest.raises(RuleViolation) as refused:
        _withdraw(record, date(2026, 3, 9))
    assert refused.value.rule == "end-before-admission"
    assert refused.value.field == "effective_on"
    assert not isinstance(refused.value, StateConflict)
    assert record.status is MemberStatus.MEMBER


def test_an_applicant_cannot_withdraw_from_membership_not_yet_granted(tree):
    record = applicant(tree)
    with pytest.raises(StateConflict) as refused:
        _withdraw(record)
    assert refused.value.rule == "not-member"


def test_a_former_member_cannot_withdraw_twice(tree):
    record = member(tree)
    _withdraw(record)
    with pytest.raises(StateConflict):
        _withdraw(record, date(2026, 7, 1))
    assert record.ended_on == date(2026, 6, 1)


# --- termination (Ch. 3.6, 3.7) -------------------------------------------------------------------


def test_ch_3_6_the_termination_grounds_are_those_the_charter_lists():
    """Ch. 3.6, apart from withdrawal and exclusion (decided separately): loss of citizenship,
    permanent residence abroad, military service, special state bodies, law enforcement, becoming a
    judge, joining another party, death, being declared dead or incapacitated."""
    assert {g.value for g in TerminationGround} == {
        "loss_of_citizenship",
        "permanent_residence_abroad",
        "entered_military_service",
        "entered_special_state_body",
        "entered_law_enforcement",
        "appointed_judge",
        "joined_another_party",
        "death",
        "declared_dead",
        "declared_incapacitated",
    }


@pytest.mark.parametrize("ground", list(TerminationGround))
def test_ch_3_6_membership_ends_on_each_ground_by_a_competent_body(tree, ground):
    record = member(tree)
    on = date(2026, 9, 1)
    record.terminate(
        ground=ground,
        decision=decided(B.BRANCH_BUREAU, tree.region.organisation_id, on),
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.ended_on == on
    assert record.end_reason == ground.value
    assert record.card_number == "BQ-0000001-8"


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PPO_MEETING, "sibling_ppo"),
        (B.BRANCH_BUREAU, "other_region"),
        (B.PPO_CHAIR, "ppo"),
        (B.PARTY_CONGRESS, "party"),
    ],
)
def test_ch_3_7_an_incompetent_body_may_not_terminate_membership(tree, kind, owner):
    record = member(tree)
    with pytest.raises(RuleViolation) as refused:
        record.terminate(
            ground=TerminationGround.DEATH,
            decision=decided(kind, getattr(tree, owner).organisation_id, date(2026, 9, 1)),
            ppo=tree.ppo_line,
            recorded_by="clerk",
        )
    assert refused.value.rule == "body-not-competent"
    assert record.status is MemberStatus.MEMBER


def test_ch_3_6_a_termination_dated_before_admission_is_refused(tree):
    record = member(tree)
    with pytest.raises(RuleViolation) as refused:
        _terminate(record, tree, on=date(2026, 3, 9))
    assert refused.value.rule == "end-before-admission"
    assert refused.value.field == "decision.decided_on"


def test_an_applicants_membership_cannot_be_terminated(tree):
    record = applicant(tree)
    with pytest.raises(StateConflict):
        _terminate(record, tree)
    assert record.status is MemberStatus.APPLICANT


def test_membership_that_has_ended_cannot_be_terminated_again(tree):
    record = member(tree)
    _withdraw(record)
    with pytest.raises(StateConflict):
        _terminate(record, tree, on=date(2026, 7, 1))
    assert record.end_reason == WITHDRAWAL


# --- applying again (Ch. 3.1) ---------------------------------------------------------------------


def test_a_rejected_applicant_may_apply_again_to_any_ppo(tree):
    record = applicant(tree)
    _reject(record, tree)
    _apply_again(record, tree, on=date(2027, 1, 10))
    assert record.status is MemberStatus.APPLICANT
    assert record.applied_on == date(2027, 1, 10)
    assert record.organisation_id == tree.sibling_ppo.organisation_id


@pytest.mark.parametrize("how", ["withdrawal", "termination"])
def test_a_former_member_may_apply_again_and_be_admitted_afresh(tree, how):
    record = member(tree)
    if how == "withdrawal":
        _withdraw(record)
    else:
        _terminate(record, tree, ground=TerminationGround.PERMANENT_RESIDENCE_ABROAD)
    _apply_again(record, tree, on=date(2027, 1, 10))
    assert record.status is MemberStatus.APPLICANT
    record.admit(
        decision=decided(B.PPO_BUREAU, tree.sibling_ppo.organisation_id, date(2027, 2, 1)),
        issue_card=lambda: "BQ-0000002-6",
        ppo=tree.sibling_ppo_line,
        recorded_by="clerk",
    )
    assert record.status is MemberStatus.MEMBER
    assert record.card_number == "BQ-0000002-6"
    assert record.admitted_on == date(2027, 2, 1)
    assert record.ended_on is None
    assert record.end_reason is None


def test_ch_3_1_someone_with_an_application_pending_cannot_apply_again(tree):
    record = applicant(tree)
    with pytest.raises(StateConflict) as refused:
        _apply_again(record, tree)
    assert refused.value.rule == "application-pending"
    assert refused.value.field == "person.iin"
    assert record.applied_on == APPLIED


def test_ch_3_1_a_member_cannot_apply_again(tree):
    record = member(tree)
    with pytest.raises(StateConflict) as refused:
        _apply_again(record, tree)
    assert refused.value.rule == "already-a-member"
    assert refused.value.field == "person.iin"
    assert record.status is MemberStatus.MEMBER


def test_ch_3_3_a_new_application_is_checked_like_the_first(tree):
    record = applicant(tree)
    _reject(record, tree)
    with pytest.raises(RuleViolation) as refused:
        _apply_again(record, tree, other_party=True)
    assert refused.value.clause == "Ch. 3.3"
    with pytest.raises(RuleViolation) as refused:
        _apply_again(record, tree, barred=BarredOffice.MILITARY)
    assert refused.value.clause == "Constitution Art. 26(2)"
    assert record.status is MemberStatus.REJECTED


# --- erasure of personal data (DOMAIN §8) ---------------------------------------------------------


def test_an_applicants_personal_data_cannot_be_erased(tree):
    record = applicant(tree)
    with pytest.raises(StateConflict) as refused:
        _erase(record)
    assert refused.value.rule == "erasure-while-active"
    assert record.personal is not None


def test_a_members_personal_data_cannot_be_erased(tree):
    record = member(tree)
    with pytest.raises(StateConflict):
        _erase(record)
    assert record.personal is not None
    assert record.erased is False


def test_erasing_a_former_members_data_keeps_the_facts_of_the_membership(tree):
    record = member(tree)
    _terminate(record, tree, ground=TerminationGround.DEATH, on=date(2026, 6, 1))
    demographics = record.demographics
    _erase(record)
    assert record.personal is None
    assert record.erased is True
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.applied_on == APPLIED
    assert record.admitted_on == ADMITTED
    assert record.ended_on == date(2026, 6, 1)
    assert record.end_reason == "death"
    assert record.card_number == "BQ-0000001-8"
    assert record.organisation_id == tree.ppo.organisation_id
    assert record.demographics == demographics


def test_a_rejected_applicants_personal_data_may_be_erased(tree):
    record = applicant(tree)
    _reject(record, tree)
    _erase(record)
    assert record.personal is None
    assert record.status is MemberStatus.REJECTED


def test_personal_data_cannot_be_erased_twice(tree):
    record = member(tree)
    _withdraw(record)
    _erase(record)
    with pytest.raises(StateConflict) as refused:
        _erase(record)
    assert refused.value.rule == "already-erased"


def test_an_erased_record_never_holds_personal_data_while_claiming_to_be_erased(tree):
    """DOMAIN §8. A record whose data was erased either refuses a new application (the person
    starts a new record) or takes it and stops claiming to be erased, so that the new data can be
    erased in turn. Holding new personal data under `erased = True` would make it unerasable."""
    record = member(tree)
    _withdraw(record)
    _erase(record)
    record.collect_events()
    try:
        _apply_again(record, tree, on=date(2027, 1, 10))
    except StateConflict:
        assert record.personal is None
        assert record.erased is True
        assert record.status is MemberStatus.FORMER_MEMBER
        assert record.pending_events == []
        return
    assert record.personal is not None
    assert record.erased is False
    record.admit(
        decision=decided(B.PPO_MEETING, tree.sibling_ppo.organisation_id, date(2027, 2, 1)),
        issue_card=lambda: "BQ-0000002-6",
        ppo=tree.sibling_ppo_line,
        recorded_by="clerk",
    )
    _withdraw(record, date(2027, 5, 1))
    _erase(record)
    assert record.personal is None


# --- the events ------------------------------------------------------------------------------------


def test_every_event_says_who_recorded_it_and_versions_run_from_1_in_order(tree):
    record = Member.apply_for_membership(
        ppo=tree.ppo_line,
        personal=personal(),
        declarations=citizen(),
        application_document=signed(APPLIED),
        recorded_by="clerk-apply",
    )
    record.admit(
        decision=_meeting(tree),
        issue_card=lambda: "BQ-0000001-8",
        ppo=tree.ppo_line,
        recorded_by="clerk-admit",
    )
    record.withdraw(
        application_document=signed(date(2026, 5, 1)),
        effective_on=date(2026, 5, 1),
        decision=_meeting(tree, date(2026, 5, 1)),
        ppo=tree.ppo_line,
        recorded_by="clerk-withdraw",
    )
    record.apply_again(
        ppo=tree.ppo_line,
        personal=personal(),
        declarations=citizen(),
        application_document=signed(date(2026, 6, 1)),
        recorded_by="clerk-again",
    )
    record.reject_application(
        decision=_meeting(tree, date(2026, 6, 2)),
        reason="x",
        ppo=tree.ppo_line,
        recorded_by="clerk-reject",
    )
    record.erase_personal_data(
        legal_basis="Art. 21", request_reference="R", recorded_by="clerk-erase"
    )

    events = record.collect_events()
    assert [type(e).__name__ for e in events] == [
        "ApplicationSubmitted",
        "Admitted",
        "Withdrew",
        "NewApplicationSubmitted",
        "ApplicationRejected",
        "PersonalDataErased",
    ]
    assert [e.originator_version for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(e.originator_id == record.id for e in events)
    assert [e.recorded_by for e in events] == [
        "clerk-apply",
        "clerk-admit",
        "clerk-withdraw",
        "clerk-again",
        "clerk-reject",
        "clerk-erase",
    ]
    assert record.collect_events() == []


def test_termination_events_say_who_recorded_them(tree):
    record = member(tree)
    record.collect_events()
    _terminate(record, tree)
    (event,) = record.collect_events()
    assert type(event).__name__ == "MembershipTerminated"
    assert event.recorded_by == "clerk"
    assert event.ground == "death"
    assert event.originator_version == 3


def test_replaying_the_events_rebuilds_the_same_record(tree):
    """Status is a fact derived from events (DOMAIN §2)."""
    record = member(tree)
    _withdraw(record)
    _apply_again(record, tree)
    record.admit(
        decision=decided(B.PPO_MEETING, tree.sibling_ppo.organisation_id, date(2027, 2, 1)),
        issue_card=lambda: "BQ-0000002-6",
        ppo=tree.sibling_ppo_line,
        recorded_by="clerk",
    )
    events = record.collect_events()
    rebuilt = reduce(lambda aggregate, event: event.mutate(aggregate), events, None)
    assert rebuilt is not None
    for attribute in (
        "id",
        "version",
        "status",
        "organisation_id",
        "card_number",
        "applied_on",
        "admitted_on",
        "ended_on",
        "end_reason",
        "personal",
        "demographics",
        "erased",
    ):
        assert getattr(rebuilt, attribute) == getattr(record, attribute), attribute


def test_a_refused_command_records_no_event(tree):
    record = member(tree)
    record.collect_events()
    for refused_command in (
        lambda: _apply_again(record, tree),
        lambda: _erase(record),
        lambda: _reject(record, tree),
        lambda: _withdraw(record, date(2020, 1, 1)),
    ):
        with pytest.raises(RuleViolation):
            refused_command()
    assert record.pending_events == []
    assert record.version == 2
