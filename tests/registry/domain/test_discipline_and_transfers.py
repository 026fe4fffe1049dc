"""The member's record through a change of residence, a transfer, a disciplinary case, a sanction and
an appeal; deputies whose membership only a Bureau may end (Ch. 3.6-3.8, 5.1, 5.2, 9.5, 9.8;
DOMAIN §2-§4). Pure domain: no database, no application layer.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import project_aggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from partia_registry.domain.decisions import BodyKind, DecidingBody, Decision
from partia_registry.domain.discipline import (
    AppealOutcome,
    ExclusionGround,
    SanctionKind,
    SanctionStatus,
)
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import (
    EXCLUSION,
    Member,
    MemberStatus,
    TerminationGround,
    TransferReason,
)
from partia_registry.domain.policies.structure import Ancestry, OrganisationRef
from partia_registry.domain.rules import NotFound, RuleViolation, StateConflict
from tests.registry.domain.support import (
    Tree,
    body,
    citizen,
    formalised_by_own_ppo,
    months_later,
    personal,
    signed,
)
from tests.registry.domain.support import mandate as a_mandate
from tests.registry.domain.support import member as a_member

B = BodyKind
S = SanctionKind
G = ExclusionGround
M = MandateKind
A = AppealOutcome
ADMITTED = date(2026, 3, 10)
CARD = "BQ-0000001-8"
LATER = date(2026, 5, 4)


@pytest.fixture
def tree() -> Tree:
    return Tree()


@pytest.fixture
def record(tree: Tree) -> Member:
    """A member of tree.ppo since 10 March 2026, card BQ-0000001-8, its history already collected."""
    member = a_member(tree, admitted_on=ADMITTED, card=CARD)
    member.collect_events()
    return member


def _by(kind: BodyKind, owner: OrganisationRef, on: date = LATER) -> Decision:
    return Decision(body(kind, owner), on, "Minutes No. 7")


def _names(events) -> list[str]:
    return [type(e).__name__ for e in events]


def _refused(call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        call(*args, **kwargs)
    return refused.value


# --- commands, spelled out once -------------------------------------------------------------------


def _request(
    record: Member,
    to: Ancestry,
    on: date = LATER,
    reason: TransferReason = TransferReason.RESIDENCE_CHANGE,
) -> None:
    record.request_transfer(to_ppo=to, requested_on=on, reason=reason, recorded_by="clerk")


def _register(record: Member, decision: Decision, to: Ancestry) -> None:
    record.register_transfer(decision=decision, to_ppo=to, recorded_by="clerk")


def _open_case(record: Member, on: date = LATER) -> UUID:
    case_id = uuid4()
    record.open_disciplinary_case(
        case_id=case_id, opened_on=on, reference="Complaint No. 12", recorded_by="clerk"
    )
    return case_id


def _sanction(
    record: Member,
    tree: Tree,
    kind: SanctionKind = S.EXPULSION,
    *,
    decision: Decision | None = None,
    grounds: tuple[ExclusionGround, ...] = (G.DISCREDITING_THE_PARTY,),
    other_ground: str | None = None,
    case_id: UUID | None = None,
    ppo: Ancestry | None = None,
) -> UUID:
    sanction_id = uuid4()
    record.impose_sanction(
        sanction_id=sanction_id,
        kind=kind,
        decision=decision or _by(B.PPO_MEETING, tree.ppo),
        grounds=list(grounds),
        other_ground=other_ground,
        case_id=case_id,
        ppo=ppo or tree.ppo_line,
        recorded_by="clerk",
    )
    return sanction_id


def _appeal(
    record: Member,
    sanction_id: UUID,
    to: DecidingBody,
    chain: Ancestry,
    on: date = date(2026, 5, 20),
) -> UUID:
    appeal_id = uuid4()
    record.file_appeal(
        appeal_id=appeal_id,
        sanction_id=sanction_id,
        filed_on=on,
        body=to,
        document_reference="Appeal No. 3",
        decider_chain=chain,
        recorded_by="clerk",
    )
    return appeal_id


def _decide(
    record: Member,
    sanction_id: UUID,
    outcome: AppealOutcome,
    by: DecidingBody,
    on: date = date(2026, 6, 15),
    replacement: SanctionKind | None = None,
) -> None:
    record.decide_appeal(
        sanction_id=sanction_id,
        outcome=outcome,
        replacement=replacement,
        decision=Decision(by, on, "Minutes No. 9"),
        recorded_by="clerk",
    )


def _withdraw(
    record: Member, on: date = LATER, *, decision: Decision | None = None, ppo: Ancestry = ()
) -> None:
    """Formalised by the member's own PPO bureau unless the test names the body (Ch. 3.7)."""
    if decision is None:
        decision, ppo = formalised_by_own_ppo(record, on)
    record.withdraw(
        application_document=signed(on, "LEAVE-1"),
        effective_on=on,
        decision=decision,
        ppo=ppo,
        recorded_by="clerk",
    )


def _terminate(record: Member, decision: Decision, ppo: Ancestry) -> None:
    record.terminate(
        ground=TerminationGround.JOINED_ANOTHER_PARTY,
        decision=decision,
        ppo=ppo,
        recorded_by="clerk",
    )


# --- change of residence (Ch. 5.2, 3.6) -----------------------------------------------------------


def test_ch_5_2_reporting_a_change_of_residence_opens_a_six_month_clock(record):
    record.report_residence_change(moved_on=date(2026, 8, 31), recorded_by="clerk")
    assert record.moved_on == date(2026, 8, 31)
    assert record.residence_deadline == date(2027, 2, 28)
    (event,) = record.collect_events()
    assert type(event).__name__ == "ResidenceChangeReported"
    assert event.registration_deadline == date(2027, 2, 28)
    assert record.organisation_id is not None  # still on the old roll until a transfer


def test_ch_5_2_a_change_of_residence_before_admission_is_refused(record):
    refusal = _refused(
        record.report_residence_change, moved_on=date(2026, 3, 9), recorded_by="clerk"
    )
    assert refusal.field == "moved_on"
    assert record.residence_deadline is None


# --- transfers (Ch. 5.2; DOMAIN §3) ---------------------------------------------------------------


def test_ch_5_2_a_request_alone_leaves_the_member_on_the_sending_roll(record, tree):
    _request(record, tree.sibling_ppo_line)
    assert record.organisation_id == tree.ppo.organisation_id
    assert record.pending_transfer is not None
    assert record.pending_transfer.to_organisation_id == tree.sibling_ppo.organisation_id
    assert record.pending_transfer.requested_on == LATER
    assert _names(record.collect_events()) == ["TransferRequested"]


@pytest.mark.parametrize("target", ["sibling_ppo", "cousin_ppo", "far_ppo"])
def test_ch_5_2_a_registered_transfer_moves_the_member_in_one_event_naming_both_sides(
    record, tree, target
):
    """Within a district, across districts, across regions: one Transferred fact, so the member is
    never on two rolls, nor on none (DOMAIN §3)."""
    to = getattr(tree, f"{target}_line")
    _request(record, to)
    record.collect_events()
    _register(record, _by(B.PPO_MEETING, to[0], date(2026, 5, 10)), to)
    (event,) = record.collect_events()
    assert type(event).__name__ == "Transferred"
    assert event.from_organisation_id == tree.ppo.organisation_id
    assert event.to_organisation_id == to[0].organisation_id
    assert event.decision.decided_on == date(2026, 5, 10)
    assert record.organisation_id == to[0].organisation_id
    assert record.card_number == CARD  # the same membership, the same card
    assert record.admitted_on == ADMITTED
    assert record.status is MemberStatus.MEMBER
    assert record.pending_transfer is None


def test_ch_5_2_a_transfer_for_the_change_of_residence_closes_the_clock(record, tree):
    record.report_residence_change(moved_on=date(2026, 4, 1), recorded_by="clerk")
    _request(record, tree.far_ppo_line, reason=TransferReason.RESIDENCE_CHANGE)
    _register(record, _by(B.PPO_MEETING, tree.far_ppo), tree.far_ppo_line)
    assert record.collect_events()[-1].closes_residence_clock is True
    assert record.moved_on is None
    assert record.residence_deadline is None
    assert not record.residence_overdue_on(date(2030, 1, 1))


@pytest.mark.parametrize("reason", [TransferReason.WORKPLACE, TransferReason.OTHER])
def test_ch_5_2_a_transfer_for_another_reason_leaves_the_residence_clock_running(
    record, tree, reason
):
    record.report_residence_change(moved_on=date(2026, 4, 1), recorded_by="clerk")
    _request(record, tree.sibling_ppo_line, reason=reason)
    _register(record, _by(B.PPO_MEETING, tree.sibling_ppo), tree.sibling_ppo_line)
    assert record.collect_events()[-1].closes_residence_clock is False
    assert record.residence_deadline == date(2026, 10, 1)
    assert record.residence_overdue_on(date(2026, 10, 2))


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PPO_MEETING, "cousin_ppo"),
        (B.PPO_BUREAU, "cousin_ppo"),
        (B.BRANCH_BUREAU, "sibling_district"),  # the receiving PPO's district
        (B.BRANCH_BUREAU, "region"),
        (B.PARTY_BUREAU, "party"),
    ],
)
def test_ch_3_4_the_receiving_side_registers_the_transfer(record, tree, kind, owner):
    """Registering is admission onto the receiving roll: its PPO meeting or bureau, or a Bureau
    above it (Ch. 3.4, 9.9)."""
    _request(record, tree.cousin_ppo_line)
    _register(record, _by(kind, getattr(tree, owner)), tree.cousin_ppo_line)
    assert record.organisation_id == tree.cousin_ppo.organisation_id


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PPO_MEETING, "ppo"),  # the sending PPO cannot register the member elsewhere
        (B.PPO_BUREAU, "ppo"),
        (B.BRANCH_BUREAU, "district"),  # the sending district is not above the receiving PPO
        (B.PPO_MEETING, "sibling_ppo"),  # nor is an uninvolved PPO
        (B.PPO_CHAIR, "cousin_ppo"),  # a body Ch. 3.4 does not name
    ],
)
def test_ch_3_4_a_body_outside_the_receiving_side_cannot_register_the_transfer(
    record, tree, kind, owner
):
    _request(record, tree.cousin_ppo_line)
    record.collect_events()
    refusal = _refused(_register, record, _by(kind, getattr(tree, owner)), tree.cousin_ppo_line)
    assert refusal.rule == "body-not-competent"
    assert record.organisation_id == tree.ppo.organisation_id
    assert record.pending_transfer is not None
    assert record.pending_events == []


def test_ch_3_8_a_transfer_waits_while_a_disciplinary_case_is_open(record, tree):
    _open_case(record, date(2026, 4, 1))
    _request(record, tree.sibling_ppo_line)
    record.collect_events()
    refusal = _refused(
        _register, record, _by(B.PPO_MEETING, tree.sibling_ppo), tree.sibling_ppo_line
    )
    assert refusal.rule == "open-disciplinary-case"
    assert refusal.clause == "Ch. 3.8"
    assert isinstance(refusal, StateConflict)
    assert "2026-04-01" in refusal.message
    assert record.organisation_id == tree.ppo.organisation_id
    assert record.pending_transfer is not None
    assert record.pending_events == []


def test_ch_3_8_a_transfer_may_be_registered_once_the_case_is_dismissed(record, tree):
    case_id = _open_case(record, date(2026, 4, 1))
    _request(record, tree.sibling_ppo_line)
    record.dismiss_disciplinary_case(
        case_id=case_id,
        decision=_by(B.PPO_BUREAU, tree.ppo, date(2026, 4, 20)),
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    _register(record, _by(B.PPO_MEETING, tree.sibling_ppo), tree.sibling_ppo_line)
    assert record.organisation_id == tree.sibling_ppo.organisation_id


def test_ch_3_8_a_transfer_may_be_registered_once_the_case_ends_in_a_warning(record, tree):
    case_id = _open_case(record, date(2026, 4, 1))
    _request(record, tree.sibling_ppo_line)
    _sanction(record, tree, S.WARNING, grounds=(), case_id=case_id)
    assert not record.cases[case_id].is_open
    _register(record, _by(B.PPO_MEETING, tree.sibling_ppo), tree.sibling_ppo_line)
    assert record.organisation_id == tree.sibling_ppo.organisation_id


def test_ch_5_2_a_second_request_while_one_is_pending_is_refused(record, tree):
    _request(record, tree.sibling_ppo_line)
    record.collect_events()
    refusal = _refused(_request, record, tree.far_ppo_line)
    assert refusal.rule == "transfer-pending"
    assert isinstance(refusal, StateConflict)
    assert record.pending_transfer.to_organisation_id == tree.sibling_ppo.organisation_id
    assert record.pending_events == []


def test_ch_5_2_once_registered_the_member_may_ask_for_another_transfer(record, tree):
    _request(record, tree.sibling_ppo_line)
    _register(record, _by(B.PPO_MEETING, tree.sibling_ppo), tree.sibling_ppo_line)
    _request(record, tree.far_ppo_line, on=date(2026, 6, 1))
    _register(record, _by(B.PPO_MEETING, tree.far_ppo, date(2026, 6, 2)), tree.far_ppo_line)
    assert record.organisation_id == tree.far_ppo.organisation_id


def test_ch_5_2_a_transfer_to_the_members_own_ppo_is_refused(record, tree):
    assert _refused(_request, record, tree.ppo_line).rule == "transfer-to-same-organisation"


def test_ch_5_2_a_transfer_cannot_be_registered_without_a_request(record, tree):
    refusal = _refused(
        _register, record, _by(B.PPO_MEETING, tree.sibling_ppo), tree.sibling_ppo_line
    )
    assert refusal.rule == "no-transfer-requested"


def test_ch_5_2_a_registration_dated_before_the_request_is_refused(record, tree):
    _request(record, tree.sibling_ppo_line, on=date(2026, 5, 4))
    refusal = _refused(
        _register,
        record,
        _by(B.PPO_MEETING, tree.sibling_ppo, date(2026, 5, 3)),
        tree.sibling_ppo_line,
    )
    assert refusal.rule == "decision-before-request"
    assert record.organisation_id == tree.ppo.organisation_id


def test_ch_3_6_a_former_member_cannot_be_transferred(record, tree):
    _withdraw(record)
    assert _refused(_request, record, tree.sibling_ppo_line).rule == "not-member"


def test_ch_5_2_a_transfer_requested_before_leaving_does_not_survive_into_a_new_membership(tree):
    """A request belongs to the membership it was made in. If it outlived it, every new request
    would be refused as "transfer-pending", and registering it would move the member on a request
    from their old membership."""
    record = a_member(tree, admitted_on=ADMITTED, card=CARD)
    _request(record, tree.far_ppo_line, on=date(2026, 4, 1))
    _withdraw(record, date(2026, 4, 2))
    record.apply_again(
        ppo=tree.sibling_ppo_line,
        personal=personal(),
        declarations=citizen(),
        application_document=signed(date(2027, 4, 1), "APP-2"),
        recorded_by="clerk",
    )
    record.admit(
        decision=_by(B.PPO_MEETING, tree.sibling_ppo, date(2027, 4, 2)),
        issue_card=lambda: "BQ-0000002-6",
        ppo=tree.sibling_ppo_line,
        recorded_by="clerk",
    )
    assert record.pending_transfer is None
    _request(record, tree.cousin_ppo_line, on=date(2027, 4, 3), reason=TransferReason.WORKPLACE)


def test_ch_3_6_a_move_reported_in_an_earlier_membership_is_no_ground_to_expel_a_new_one(tree):
    """The clock belongs to the membership in which the move was reported: someone re-admitted
    years later, at the new place, has registered there and cannot be expelled the next day for
    "not registering" it."""
    record = a_member(tree, admitted_on=ADMITTED, card=CARD)
    record.report_residence_change(moved_on=date(2026, 4, 1), recorded_by="clerk")
    _withdraw(record, date(2026, 4, 2))
    record.apply_again(
        ppo=tree.sibling_ppo_line,
        personal=personal(),
        declarations=citizen(),
        application_document=signed(date(2028, 4, 1), "APP-2"),
        recorded_by="clerk",
    )
    record.admit(
        decision=_by(B.PPO_MEETING, tree.sibling_ppo, date(2028, 4, 2)),
        issue_card=lambda: "BQ-0000002-6",
        ppo=tree.sibling_ppo_line,
        recorded_by="clerk",
    )
    assert not record.residence_overdue_on(date(2028, 4, 3))
    refusal = _refused(
        _sanction,
        record,
        tree,
        decision=_by(B.PPO_MEETING, tree.sibling_ppo, date(2028, 4, 3)),
        grounds=(G.RESIDENCE_CHANGE_NOT_REGISTERED,),
        ppo=tree.sibling_ppo_line,
    )
    assert refusal.rule == "no-residence-change-reported"
    assert record.status is MemberStatus.MEMBER


# --- sanctions (Ch. 3.8, 3.6) ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", [S.WARNING, S.REPRIMAND])
def test_ch_3_8_a_warning_or_reprimand_keeps_the_membership(record, tree, kind):
    sanction_id = _sanction(record, tree, kind, grounds=())
    sanction = record.sanctions[sanction_id]
    assert sanction.kind is kind
    assert sanction.status is SanctionStatus.IN_FORCE
    assert sanction.appeal_deadline == months_later(LATER, 3)
    assert record.status is MemberStatus.MEMBER
    assert record.ended_on is None
    assert record.organisation_id == tree.ppo.organisation_id


def test_ch_3_8_expulsion_ends_the_membership_on_the_decision_date(record, tree):
    sanction_id = _sanction(record, tree, decision=_by(B.PPO_BUREAU, tree.ppo, date(2026, 7, 1)))
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.end_reason == EXCLUSION == "exclusion"
    assert record.ended_on == date(2026, 7, 1)
    assert record.card_number == CARD
    (event,) = record.collect_events()
    assert type(event).__name__ == "SanctionImposed"
    assert event.kind == "expulsion"
    assert event.organisation_id == tree.ppo.organisation_id
    assert event.card_number == CARD
    assert event.sanction_id == sanction_id


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
def test_ch_3_8_each_body_the_clause_names_may_impose_a_sanction(record, tree, kind, owner):
    _sanction(record, tree, S.REPRIMAND, grounds=(), decision=_by(kind, getattr(tree, owner)))
    assert len(record.sanctions) == 1


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.PPO_CHAIR, "ppo"),
        (B.PARTY_CONGRESS, "party"),
        (B.BRANCH_POLITICAL_COUNCIL, "region"),
        (B.PPO_MEETING, "sibling_ppo"),
        (B.BRANCH_BUREAU, "other_region"),
    ],
)
def test_ch_3_8_any_other_body_may_not_impose_a_sanction(record, tree, kind, owner):
    refusal = _refused(_sanction, record, tree, decision=_by(kind, getattr(tree, owner)))
    assert refusal.rule == "body-not-competent"
    assert refusal.clause == "Ch. 3.8"
    assert record.status is MemberStatus.MEMBER
    assert record.sanctions == {}


def test_ch_3_6_an_expulsion_without_grounds_is_refused(record, tree):
    refusal = _refused(_sanction, record, tree, grounds=())
    assert refusal.rule == "expulsion-needs-grounds"
    assert refusal.clause == "Ch. 3.6"
    assert refusal.field == "grounds"
    assert record.status is MemberStatus.MEMBER
    assert record.pending_events == []


@pytest.mark.parametrize("text", [None, "", "   "])
def test_ch_3_6_the_ground_other_without_saying_which_is_refused(record, tree, text):
    refusal = _refused(_sanction, record, tree, grounds=(G.OTHER,), other_ground=text)
    assert refusal.rule == "other-ground-needs-text"
    assert refusal.field == "other_ground"
    assert record.status is MemberStatus.MEMBER


def test_ch_3_6_the_ground_other_with_its_provision_is_accepted(record, tree):
    _sanction(record, tree, grounds=(G.OTHER,), other_ground="Ch. 5.2: did not attend meetings")
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_3_6_the_residence_ground_needs_a_reported_move(record, tree):
    refusal = _refused(_sanction, record, tree, grounds=(G.RESIDENCE_CHANGE_NOT_REGISTERED,))
    assert refusal.rule == "no-residence-change-reported"
    assert record.status is MemberStatus.MEMBER


@pytest.mark.parametrize("on", [date(2026, 4, 1), date(2026, 9, 30), date(2026, 10, 1)])
def test_ch_3_6_the_residence_ground_is_refused_until_the_six_months_have_passed(record, tree, on):
    record.report_residence_change(moved_on=date(2026, 4, 1), recorded_by="clerk")
    refusal = _refused(
        _sanction,
        record,
        tree,
        decision=_by(B.PPO_MEETING, tree.ppo, on),
        grounds=(G.RESIDENCE_CHANGE_NOT_REGISTERED,),
    )
    assert refusal.rule == "residence-registration-not-overdue"
    assert "2026-10-01" in refusal.message
    assert record.status is MemberStatus.MEMBER


def test_ch_3_6_the_residence_ground_is_accepted_the_day_after_the_deadline(record, tree):
    record.report_residence_change(moved_on=date(2026, 4, 1), recorded_by="clerk")
    _sanction(
        record,
        tree,
        decision=_by(B.PPO_MEETING, tree.ppo, date(2026, 10, 2)),
        grounds=(G.RESIDENCE_CHANGE_NOT_REGISTERED,),
    )
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_3_6_once_the_member_registers_at_the_new_place_the_residence_ground_is_gone(
    record, tree
):
    record.report_residence_change(moved_on=date(2026, 4, 1), recorded_by="clerk")
    _request(record, tree.far_ppo_line, on=date(2026, 9, 1))
    _register(record, _by(B.PPO_MEETING, tree.far_ppo, date(2026, 9, 2)), tree.far_ppo_line)
    refusal = _refused(
        _sanction,
        record,
        tree,
        decision=_by(B.PPO_MEETING, tree.far_ppo, date(2027, 1, 1)),
        grounds=(G.RESIDENCE_CHANGE_NOT_REGISTERED,),
        ppo=tree.far_ppo_line,
    )
    assert refusal.rule == "no-residence-change-reported"


def test_ch_3_8_a_sanction_ends_its_disciplinary_case_which_cannot_be_used_again(record, tree):
    case_id = _open_case(record, date(2026, 4, 1))
    _sanction(record, tree, S.REPRIMAND, grounds=(), case_id=case_id)
    assert record.cases[case_id].closed_on == LATER
    refusal = _refused(_sanction, record, tree, S.WARNING, grounds=(), case_id=case_id)
    assert refusal.rule == "case-closed"


def test_ch_3_8_a_case_is_dismissed_only_by_a_body_that_could_sanction(record, tree):
    case_id = _open_case(record, date(2026, 4, 1))
    refusal = _refused(
        record.dismiss_disciplinary_case,
        case_id=case_id,
        decision=_by(B.PPO_MEETING, tree.sibling_ppo),
        ppo=tree.ppo_line,
        recorded_by="clerk",
    )
    assert refusal.rule == "body-not-competent"
    assert record.cases[case_id].is_open


def test_ch_3_8_a_sanction_cannot_be_imposed_on_someone_no_longer_a_member(record, tree):
    _withdraw(record)
    assert _refused(_sanction, record, tree, S.WARNING, grounds=()).rule == "not-member"


# --- deputies (Ch. 3.7, 9.5, 9.8; Constitution) ---------------------------------------------------


def _deputy(record: Member, kind: MandateKind, **dates) -> UUID:
    held = a_mandate(kind, **dates)
    record.record_mandate(mandate=held, recorded_by="clerk")
    record.collect_events()
    return held.mandate_id


NATIONAL = [M.MAZHILIS, M.KURULTAI]


def _end_membership(how: str, record: Member, tree: Tree, decision: Decision) -> None:
    if how == "expel":
        _sanction(record, tree, decision=decision)
    else:
        _terminate(record, decision, tree.ppo_line)


@pytest.mark.parametrize("how", ["expel", "terminate"])
@pytest.mark.parametrize("kind", NATIONAL)
@pytest.mark.parametrize(
    ("body_kind", "owner"),
    [
        (B.PPO_MEETING, "ppo"),
        (B.PPO_BUREAU, "ppo"),
        (B.BRANCH_BUREAU, "district"),
        (B.BRANCH_BUREAU, "region"),
    ],
)
def test_ch_3_7_9_5_only_the_party_bureau_ends_a_national_deputys_membership(
    record, tree, how, kind, body_kind, owner
):
    _deputy(record, kind)
    refusal = _refused(_end_membership, how, record, tree, _by(body_kind, getattr(tree, owner)))
    assert refusal.rule == "deputy-needs-party-bureau"
    assert refusal.clause == "Ch. 3.7, 9.5"
    assert record.status is MemberStatus.MEMBER
    assert record.pending_events == []


@pytest.mark.parametrize("how", ["expel", "terminate"])
@pytest.mark.parametrize("kind", NATIONAL)
def test_ch_9_5_the_party_bureau_may_end_a_national_deputys_membership(record, tree, how, kind):
    _deputy(record, kind)
    _end_membership(how, record, tree, _by(B.PARTY_BUREAU, tree.party))
    assert record.status is MemberStatus.FORMER_MEMBER


@pytest.mark.parametrize("how", ["expel", "terminate"])
@pytest.mark.parametrize(
    ("body_kind", "owner"),
    [(B.PPO_MEETING, "ppo"), (B.PPO_BUREAU, "ppo"), (B.PARTY_BUREAU, "party")],
)
def test_ch_3_7_9_8_only_a_branch_bureau_ends_a_maslikhat_deputys_membership(
    record, tree, how, body_kind, owner
):
    _deputy(record, M.MASLIKHAT)
    refusal = _refused(_end_membership, how, record, tree, _by(body_kind, getattr(tree, owner)))
    assert refusal.rule == "deputy-needs-branch-bureau"
    assert refusal.clause == "Ch. 3.7, 9.8"
    assert record.status is MemberStatus.MEMBER


@pytest.mark.parametrize("how", ["expel", "terminate"])
@pytest.mark.parametrize("owner", ["district", "region"])
def test_ch_9_8_the_bureau_of_the_members_branch_may_end_a_maslikhat_deputys_membership(
    record, tree, how, owner
):
    _deputy(record, M.MASLIKHAT)
    _end_membership(how, record, tree, _by(B.BRANCH_BUREAU, getattr(tree, owner)))
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_9_8_the_bureau_of_another_branch_may_not_end_a_maslikhat_deputys_membership(
    record, tree
):
    _deputy(record, M.MASLIKHAT)
    refusal = _refused(_sanction, record, tree, decision=_by(B.BRANCH_BUREAU, tree.other_region))
    assert refusal.rule == "body-not-competent"
    assert record.status is MemberStatus.MEMBER


def test_ch_9_5_a_national_deputy_who_also_sits_in_a_maslikhat_needs_the_party_bureau(record, tree):
    _deputy(record, M.MAZHILIS)
    _deputy(record, M.MASLIKHAT)
    refusal = _refused(_sanction, record, tree, decision=_by(B.BRANCH_BUREAU, tree.region))
    assert refusal.rule == "deputy-needs-party-bureau"
    _sanction(record, tree, decision=_by(B.PARTY_BUREAU, tree.party))
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_3_6_a_senator_is_expelled_like_any_other_member(record, tree):
    """Ch. 3.7 names Mazhilis and maslikhat deputies only."""
    _deputy(record, M.SENATE)
    _sanction(record, tree, decision=_by(B.PPO_MEETING, tree.ppo))
    assert record.status is MemberStatus.FORMER_MEMBER


@pytest.mark.parametrize("kind", [*NATIONAL, M.MASLIKHAT])
def test_ch_3_8_a_ppo_may_warn_a_deputy_only_ending_membership_needs_a_bureau(record, tree, kind):
    _deputy(record, kind)
    _sanction(record, tree, S.REPRIMAND, grounds=(), decision=_by(B.PPO_MEETING, tree.ppo))
    assert record.status is MemberStatus.MEMBER


@pytest.mark.parametrize("kind", [*NATIONAL, M.MASLIKHAT])
def test_ch_3_7_a_mandate_that_ended_before_the_decision_no_longer_counts(record, tree, kind):
    mandate_id = _deputy(record, kind)
    record.end_mandate(mandate_id=mandate_id, ended_on=date(2026, 7, 1), recorded_by="clerk")
    _sanction(record, tree, decision=_by(B.PPO_MEETING, tree.ppo, date(2026, 7, 2)))
    assert record.status is MemberStatus.FORMER_MEMBER
    assert "NationalMandateAtStake" not in _names(record.collect_events())


@pytest.mark.parametrize("kind", NATIONAL)
def test_ch_3_7_a_mandate_ending_on_the_decision_date_still_counts(record, tree, kind):
    _deputy(record, kind, ended_on=date(2026, 7, 2))
    refusal = _refused(
        _sanction, record, tree, decision=_by(B.PPO_MEETING, tree.ppo, date(2026, 7, 2))
    )
    assert refusal.rule == "deputy-needs-party-bureau"


def test_ch_3_7_a_mandate_cannot_be_ended_twice_or_before_it_began(record):
    mandate_id = _deputy(record, M.MAZHILIS, started_on=date(2023, 3, 29))
    assert (
        _refused(
            record.end_mandate, mandate_id=mandate_id, ended_on=date(2023, 3, 28), recorded_by="c"
        ).rule
        == "mandate-ends-before-start"
    )
    record.end_mandate(mandate_id=mandate_id, ended_on=date(2026, 1, 1), recorded_by="c")
    assert (
        _refused(
            record.end_mandate, mandate_id=mandate_id, ended_on=date(2026, 2, 1), recorded_by="c"
        ).rule
        == "mandate-ended"
    )
    with pytest.raises(NotFound):
        record.end_mandate(mandate_id=uuid4(), ended_on=date(2026, 2, 1), recorded_by="c")


@pytest.mark.parametrize("kind", NATIONAL)
def test_constitution_a_national_deputys_withdrawal_records_the_mandate_at_stake(
    record, tree, kind
):
    mandate_id = _deputy(record, kind)
    bureau = _by(B.PARTY_BUREAU, tree.party, date(2026, 7, 1))
    _withdraw(record, date(2026, 7, 1), decision=bureau, ppo=tree.ppo_line)
    events = record.collect_events()
    assert _names(events) == ["Withdrew", "NationalMandateAtStake"]
    at_stake = events[1]
    assert at_stake.mandate_id == mandate_id
    assert at_stake.reason == "withdrawal"
    assert at_stake.effective_on == date(2026, 7, 1)


@pytest.mark.parametrize("kind", NATIONAL)
def test_constitution_a_national_deputys_expulsion_records_the_mandate_at_stake(record, tree, kind):
    mandate_id = _deputy(record, kind)
    _sanction(record, tree, decision=_by(B.PARTY_BUREAU, tree.party, date(2026, 7, 1)))
    events = record.collect_events()
    assert _names(events) == ["SanctionImposed", "NationalMandateAtStake"]
    assert events[1].mandate_id == mandate_id
    assert events[1].reason == "exclusion"
    assert events[1].effective_on == date(2026, 7, 1)


@pytest.mark.parametrize("kind", [M.SENATE, M.MASLIKHAT])
@pytest.mark.parametrize("how", ["withdraw", "expel"])
def test_constitution_a_senators_or_maslikhat_deputys_exit_records_no_national_mandate(
    record, tree, kind, how
):
    _deputy(record, kind)
    if how == "withdraw":
        _withdraw(record, decision=_by(B.BRANCH_BUREAU, tree.region), ppo=tree.ppo_line)
    else:
        _sanction(record, tree, decision=_by(B.BRANCH_BUREAU, tree.region))
    assert record.status is MemberStatus.FORMER_MEMBER
    assert "NationalMandateAtStake" not in _names(record.collect_events())


def test_constitution_a_former_national_deputys_exit_records_no_mandate_at_stake(record):
    _deputy(record, M.MAZHILIS, started_on=date(2021, 1, 15), ended_on=date(2026, 1, 14))
    _withdraw(record)
    assert _names(record.collect_events()) == ["Withdrew"]


def test_constitution_a_reprimand_puts_no_national_mandate_at_stake(record, tree):
    _deputy(record, M.MAZHILIS)
    _sanction(record, tree, S.REPRIMAND, grounds=(), decision=_by(B.PARTY_BUREAU, tree.party))
    assert _names(record.collect_events()) == ["SanctionImposed"]


# --- appeals (Ch. 5.1) ----------------------------------------------------------------------------


@pytest.fixture
def expelled(record: Member, tree: Tree) -> tuple[Member, UUID]:
    """Expelled by its PPO meeting on 4 May 2026; history collected."""
    sanction_id = _sanction(record, tree)
    record.collect_events()
    return record, sanction_id


def test_ch_5_1_an_appeal_is_recorded_with_the_body_it_was_filed_with(expelled, tree):
    record, sanction_id = expelled
    appeal_id = _appeal(record, sanction_id, body(B.BRANCH_BUREAU, tree.district), tree.ppo_line)
    (appeal,) = record.sanctions[sanction_id].appeals
    assert appeal.appeal_id == appeal_id
    assert appeal.body == body(B.BRANCH_BUREAU, tree.district)
    assert appeal.outcome is None
    assert record.status is MemberStatus.FORMER_MEMBER  # appealing does not suspend the expulsion


def test_ch_5_1_an_appeal_to_a_body_that_is_not_higher_is_refused(expelled, tree):
    record, sanction_id = expelled
    refusal = _refused(_appeal, record, sanction_id, body(B.PPO_MEETING, tree.ppo), tree.ppo_line)
    assert refusal.rule == "appeal-body-not-higher"
    assert record.sanctions[sanction_id].appeals == []


def test_ch_5_1_only_one_appeal_per_sanction_may_be_open(expelled, tree):
    record, sanction_id = expelled
    _appeal(record, sanction_id, body(B.BRANCH_BUREAU, tree.district), tree.ppo_line)
    record.collect_events()
    refusal = _refused(
        _appeal, record, sanction_id, body(B.PARTY_BUREAU, tree.party), tree.ppo_line
    )
    assert refusal.rule == "appeal-pending"
    assert isinstance(refusal, StateConflict)
    assert len(record.sanctions[sanction_id].appeals) == 1
    assert record.pending_events == []


def test_ch_5_1_after_an_appeal_is_upheld_the_member_may_appeal_higher_within_the_deadline(
    expelled, tree
):
    record, sanction_id = expelled
    _appeal(record, sanction_id, body(B.BRANCH_BUREAU, tree.district), tree.ppo_line)
    _decide(record, sanction_id, A.UPHELD, body(B.BRANCH_BUREAU, tree.district))
    _appeal(
        record, sanction_id, body(B.PARTY_BUREAU, tree.party), tree.ppo_line, on=date(2026, 7, 1)
    )
    assert [a.outcome for a in record.sanctions[sanction_id].appeals] == [A.UPHELD, None]


@pytest.mark.parametrize(
    ("kind", "owner"),
    [
        (B.BRANCH_BUREAU, "region"),  # another higher body
        (B.BRANCH_BUREAU, "sibling_district"),  # the same kind of body elsewhere
        (B.BRANCH_CONFERENCE, "district"),  # another body of the same branch
        (B.PPO_MEETING, "ppo"),  # the body that decided
    ],
)
def test_ch_5_1_an_appeal_is_decided_only_by_the_body_it_was_filed_with(
    expelled, tree, kind, owner
):
    record, sanction_id = expelled
    _appeal(record, sanction_id, body(B.BRANCH_BUREAU, tree.district), tree.ppo_line)
    record.collect_events()
    refusal = _refused(_decide, record, sanction_id, A.ANNULLED, body(kind, getattr(tree, owner)))
    assert refusal.rule == "not-the-appeal-body"
    assert refusal.field == "decision.body"
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.sanctions[sanction_id].open_appeal is not None
    assert record.pending_events == []


def test_ch_5_1_an_appeal_decision_dated_before_the_appeal_is_refused(expelled, tree):
    record, sanction_id = expelled
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line, on=date(2026, 5, 20))
    refusal = _refused(_decide, record, sanction_id, A.ANNULLED, bureau, on=date(2026, 5, 19))
    assert refusal.rule == "decision-before-appeal"


def test_ch_5_1_there_is_nothing_to_decide_without_an_appeal(expelled, tree):
    record, sanction_id = expelled
    refusal = _refused(_decide, record, sanction_id, A.ANNULLED, body(B.PARTY_BUREAU, tree.party))
    assert refusal.rule == "no-appeal-pending"
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_5_1_an_upheld_expulsion_stays_in_force(expelled, tree):
    record, sanction_id = expelled
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    _decide(record, sanction_id, A.UPHELD, bureau)
    assert record.sanctions[sanction_id].status is SanctionStatus.IN_FORCE
    assert record.status is MemberStatus.FORMER_MEMBER
    assert _names(record.collect_events()) == ["AppealFiled", "AppealDecided"]


def test_ch_5_1_an_annulled_expulsion_restores_the_same_membership_and_history_keeps_every_step(
    tree,
):
    record = a_member(tree, admitted_on=ADMITTED, card=CARD)
    sanction_id = _sanction(record, tree, decision=_by(B.PPO_MEETING, tree.ppo, date(2026, 5, 4)))
    bureau = body(B.BRANCH_BUREAU, tree.region)
    _appeal(record, sanction_id, bureau, tree.ppo_line, on=date(2026, 8, 4))  # the last day
    _decide(record, sanction_id, A.ANNULLED, bureau, on=date(2026, 9, 1))
    assert record.status is MemberStatus.MEMBER
    assert record.card_number == CARD
    assert record.admitted_on == ADMITTED  # seniority is continuous
    assert record.ended_on is None
    assert record.end_reason is None
    assert record.organisation_id == tree.ppo.organisation_id
    assert record.sanctions[sanction_id].status is SanctionStatus.ANNULLED
    history = record.collect_events()
    assert _names(history) == [
        "ApplicationSubmitted",
        "Admitted",
        "SanctionImposed",
        "AppealFiled",
        "AppealDecided",
        "MembershipRestored",
    ]
    assert history[-1].sanction_id == sanction_id
    replayed = project_aggregate(None, history)
    assert (replayed.status, replayed.card_number, replayed.admitted_on) == (
        MemberStatus.MEMBER,
        CARD,
        ADMITTED,
    )


def test_ch_5_1_an_annulled_warning_does_not_touch_the_membership(record, tree):
    sanction_id = _sanction(record, tree, S.WARNING, grounds=())
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    record.collect_events()
    _decide(record, sanction_id, A.ANNULLED, bureau)
    assert record.sanctions[sanction_id].status is SanctionStatus.ANNULLED
    assert record.status is MemberStatus.MEMBER
    assert record.admitted_on == ADMITTED
    assert _names(record.collect_events()) == ["AppealDecided"]


def test_ch_5_1_annulling_a_reprimand_after_the_member_left_does_not_bring_them_back(record, tree):
    """Only an annulled expulsion restores membership: a reprimand did not end it, so annulling it
    after the member withdrew leaves them a former member."""
    sanction_id = _sanction(record, tree, S.REPRIMAND, grounds=())
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    _withdraw(record, date(2026, 6, 1))
    record.collect_events()
    _decide(record, sanction_id, A.ANNULLED, bureau, on=date(2026, 6, 15))
    assert record.sanctions[sanction_id].status is SanctionStatus.ANNULLED
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.end_reason == "withdrawal"
    assert _names(record.collect_events()) == ["AppealDecided"]


def test_ch_5_1_an_annulled_sanction_cannot_be_appealed_again(record, tree):
    sanction_id = _sanction(record, tree, S.REPRIMAND, grounds=())
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    _decide(record, sanction_id, A.ANNULLED, bureau)
    refusal = _refused(
        _appeal, record, sanction_id, body(B.PARTY_BUREAU, tree.party), tree.ppo_line
    )
    assert refusal.rule == "sanction-not-in-force"


@pytest.mark.parametrize("milder", [S.REPRIMAND, S.WARNING])
def test_ch_5_1_an_expulsion_replaced_by_a_milder_sanction_restores_the_membership(
    expelled, tree, milder
):
    record, sanction_id = expelled
    bureau = body(B.PARTY_BUREAU, tree.party)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    _decide(record, sanction_id, A.REPLACED, bureau, on=date(2026, 6, 15), replacement=milder)
    assert record.status is MemberStatus.MEMBER
    assert record.card_number == CARD
    assert record.sanctions[sanction_id].status is SanctionStatus.REPLACED
    (replacement,) = [s for s in record.sanctions.values() if s.sanction_id != sanction_id]
    assert replacement.kind is milder
    assert replacement.status is SanctionStatus.IN_FORCE
    assert replacement.appeal_deadline == months_later(date(2026, 6, 15), 3)
    assert _names(record.collect_events()) == [
        "AppealFiled",
        "AppealDecided",
        "MembershipRestored",
    ]


def test_ch_5_1_a_reprimand_replaced_by_a_warning_leaves_the_membership_as_it_was(record, tree):
    sanction_id = _sanction(record, tree, S.REPRIMAND, grounds=())
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    record.collect_events()
    _decide(record, sanction_id, A.REPLACED, bureau, replacement=S.WARNING)
    assert record.status is MemberStatus.MEMBER
    assert sorted(s.kind.value for s in record.sanctions.values()) == ["reprimand", "warning"]
    assert _names(record.collect_events()) == ["AppealDecided"]


@pytest.mark.parametrize(
    ("original", "replacement"),
    [
        (S.EXPULSION, S.EXPULSION),
        (S.EXPULSION, None),
        (S.REPRIMAND, S.REPRIMAND),
        (S.REPRIMAND, S.EXPULSION),
        (S.WARNING, S.WARNING),
        (S.WARNING, S.REPRIMAND),
        (S.WARNING, S.EXPULSION),
    ],
)
def test_ch_3_8_an_appeal_may_replace_a_sanction_only_with_a_milder_one(
    record, tree, original, replacement
):
    grounds = (G.DISCREDITING_THE_PARTY,) if original is S.EXPULSION else ()
    sanction_id = _sanction(record, tree, original, grounds=grounds)
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    status_before = record.status
    record.collect_events()
    refusal = _refused(_decide, record, sanction_id, A.REPLACED, bureau, replacement=replacement)
    assert refusal.rule == "replacement-not-milder"
    assert refusal.field == "replacement"
    assert record.status is status_before
    assert record.sanctions[sanction_id].status is SanctionStatus.IN_FORCE
    assert record.sanctions[sanction_id].open_appeal is not None
    assert record.pending_events == []


@pytest.mark.parametrize("outcome", [A.UPHELD, A.ANNULLED])
def test_ch_3_8_a_replacement_is_named_only_when_the_sanction_is_replaced(expelled, tree, outcome):
    record, sanction_id = expelled
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    refusal = _refused(_decide, record, sanction_id, outcome, bureau, replacement=S.WARNING)
    assert refusal.rule == "replacement-without-replacing"
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_5_1_personal_data_cannot_be_erased_while_an_appeal_is_pending(expelled, tree):
    record, sanction_id = expelled
    bureau = body(B.BRANCH_BUREAU, tree.district)
    _appeal(record, sanction_id, bureau, tree.ppo_line)
    refusal = _refused(
        record.erase_personal_data,
        legal_basis="Constitution Art. 21",
        request_reference="REQ-7",
        recorded_by="dpo",
    )
    assert refusal.rule == "erasure-during-appeal"
    assert record.personal is not None
    _decide(record, sanction_id, A.UPHELD, bureau)
    record.erase_personal_data(
        legal_basis="Constitution Art. 21", request_reference="REQ-7", recorded_by="dpo"
    )
    assert record.erased is True


def test_ch_9_5_a_national_deputy_expelled_by_the_party_bureau_may_appeal_to_that_bureau(
    record, tree
):
    _deputy(record, M.MAZHILIS)
    bureau = body(B.PARTY_BUREAU, tree.party)
    sanction_id = _sanction(record, tree, decision=Decision(bureau, LATER, "Bureau No. 4"))
    _appeal(record, sanction_id, bureau, tree.party_line)
    _decide(record, sanction_id, A.ANNULLED, bureau)
    assert record.status is MemberStatus.MEMBER


def test_ch_5_1_anyone_else_expelled_by_the_party_bureau_appeals_above_it(record, tree):
    bureau = body(B.PARTY_BUREAU, tree.party)
    sanction_id = _sanction(record, tree, decision=Decision(bureau, LATER, "Bureau No. 4"))
    refusal = _refused(_appeal, record, sanction_id, bureau, tree.party_line)
    assert refusal.rule == "appeal-body-not-higher"
    _appeal(record, sanction_id, body(B.PARTY_POLITICAL_COUNCIL, tree.party), tree.party_line)


@pytest.mark.parametrize("owner", ["district", "region"])
def test_ch_9_8_a_maslikhat_deputy_expelled_by_a_branch_bureau_may_appeal_to_that_bureau(
    record, tree, owner
):
    _deputy(record, M.MASLIKHAT)
    where = getattr(tree, owner)
    bureau = body(B.BRANCH_BUREAU, where)
    chain = tree.district_line if owner == "district" else tree.region_line
    sanction_id = _sanction(record, tree, decision=Decision(bureau, LATER, "Bureau No. 2"))
    _appeal(record, sanction_id, bureau, chain)
    assert record.sanctions[sanction_id].open_appeal is not None


def test_ch_5_1_annulling_an_old_expulsion_does_not_undo_a_later_one_still_in_force(tree):
    """Only the expulsion that ended the current membership can bring it back. Expelled (S1),
    appealing, re-admitted elsewhere with a new card, expelled again (S2): annulling S1 must not
    bring back the membership that S2, still in force, ended."""
    record = a_member(tree, admitted_on=ADMITTED, card=CARD)
    first = _sanction(record, tree, decision=_by(B.PPO_MEETING, tree.ppo, date(2026, 4, 1)))
    bureau = body(B.PARTY_BUREAU, tree.party)
    _appeal(record, first, bureau, tree.ppo_line, on=date(2026, 4, 2))
    record.apply_again(
        ppo=tree.sibling_ppo_line,
        personal=personal(),
        declarations=citizen(),
        application_document=signed(date(2026, 4, 3), "APP-2"),
        recorded_by="clerk",
    )
    record.admit(
        decision=_by(B.PPO_MEETING, tree.sibling_ppo, date(2026, 4, 4)),
        issue_card=lambda: "BQ-0000002-6",
        ppo=tree.sibling_ppo_line,
        recorded_by="clerk",
    )
    second = _sanction(
        record,
        tree,
        decision=_by(B.PPO_MEETING, tree.sibling_ppo, date(2026, 4, 5)),
        ppo=tree.sibling_ppo_line,
    )
    with contextlib.suppress(RuleViolation):  # refusing, or recording the annulment alone, are fine
        _decide(record, first, A.ANNULLED, bureau, on=date(2026, 4, 6))
    assert record.sanctions[second].status is SanctionStatus.IN_FORCE
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.ended_on == date(2026, 4, 5)


# --- never on two rolls, nor on none (DOMAIN §3) --------------------------------------------------

PPO_NAMES = ("ppo", "sibling_ppo", "cousin_ppo", "far_ppo")
ACTIONS = (
    "request",
    "register",
    "register_by_sender",
    "open_case",
    "dismiss_case",
    "warn",
    "expel",
    "appeal",
    "annul",
    "uphold",
    "replace",
    "withdraw",
)
REASONS = tuple(TransferReason)


def _rolls(events) -> dict[UUID, int]:
    """How many times the member stands on each organisation's roll, read from the events alone:
    admitted onto one, moved from one to another, taken off on leaving, put back on restoration."""
    on: Counter[UUID] = Counter()
    expelled_from: dict[UUID, UUID] = {}
    for event in events:
        name = type(event).__name__
        if name == "Admitted":
            on[event.organisation_id] += 1
        elif name == "Transferred":
            on[event.from_organisation_id] -= 1
            on[event.to_organisation_id] += 1
        elif name in ("Withdrew", "MembershipTerminated"):
            on[event.organisation_id] -= 1
        elif name == "SanctionImposed" and event.kind == "expulsion":
            on[event.organisation_id] -= 1
            expelled_from[event.sanction_id] = event.organisation_id
        elif name == "MembershipRestored":
            on[expelled_from[event.sanction_id]] += 1
    return {organisation: n for organisation, n in on.items() if n}


class _Scenario:
    def __init__(self) -> None:
        self.tree = Tree()
        self.lines = {
            getattr(self.tree, n).organisation_id: getattr(self.tree, f"{n}_line")
            for n in PPO_NAMES
        }
        self.record = a_member(self.tree, admitted_on=ADMITTED, card=CARD)
        self.history = list(self.record.collect_events())
        self.today = ADMITTED
        self.sanctions: list[UUID] = []
        self.party_bureau = body(B.PARTY_BUREAU, self.tree.party)

    def current_line(self) -> Ancestry:
        return self.lines[self.record.organisation_id]

    def meeting(self, line: Ancestry) -> Decision:
        return Decision(body(B.PPO_MEETING, line[0]), self.today, "Minutes")

    def run(self, action: str, pick: int) -> None:
        record = self.record
        if action == "request":
            target = self.lines[getattr(self.tree, PPO_NAMES[pick]).organisation_id]
            _request(record, target, self.today, REASONS[pick % len(REASONS)])
        elif action == "register":
            pending = record.pending_transfer
            to = self.lines[pending.to_organisation_id] if pending else self.current_line()
            _register(record, self.meeting(to), to)
        elif action == "register_by_sender":
            pending = record.pending_transfer
            if pending is not None:
                _refused(
                    _register,
                    record,
                    self.meeting(self.current_line()),
                    self.lines[pending.to_organisation_id],
                )
        elif action == "open_case":
            _open_case(record, self.today)
        elif action == "dismiss_case":
            for case in [c for c in record.cases.values() if c.is_open][:1]:
                record.dismiss_disciplinary_case(
                    case_id=case.case_id,
                    decision=self.meeting(self.current_line()),
                    ppo=self.current_line(),
                    recorded_by="clerk",
                )
        elif action in ("warn", "expel"):
            kind = S.WARNING if action == "warn" else S.EXPULSION
            line = self.current_line()
            self.sanctions.append(
                _sanction(record, self.tree, kind, decision=self.meeting(line), ppo=line)
            )
        elif action == "appeal" and self.sanctions:
            sanction_id = self.sanctions[-pick % len(self.sanctions) - 1]
            decided_by = record.sanctions[sanction_id].decision.body.organisation_id
            _appeal(record, sanction_id, self.party_bureau, self.lines[decided_by], self.today)
        elif action in ("annul", "uphold", "replace") and self.sanctions:
            sanction_id = self.sanctions[-pick % len(self.sanctions) - 1]
            outcome = {"annul": A.ANNULLED, "uphold": A.UPHELD, "replace": A.REPLACED}[action]
            _decide(
                record,
                sanction_id,
                outcome,
                self.party_bureau,
                self.today,
                S.WARNING if outcome is A.REPLACED else None,
            )
        elif action == "withdraw":
            _withdraw(record, self.today)

    def check(self) -> None:
        record = self.record
        rolls = _rolls(self.history)
        if record.status is MemberStatus.MEMBER:
            assert record.organisation_id in self.lines  # always one PPO of the tree, never None
            assert rolls == {record.organisation_id: 1}
        else:
            assert record.status is MemberStatus.FORMER_MEMBER
            assert rolls == {}
        assert record.card_number == CARD
        assert record.admitted_on == ADMITTED
        replayed = project_aggregate(None, self.history)
        assert replayed.id == record.id
        assert replayed.version == record.version
        for field in (
            "organisation_id",
            "status",
            "card_number",
            "admitted_on",
            "ended_on",
            "end_reason",
            "pending_transfer",
        ):
            assert getattr(replayed, field) == getattr(record, field), field


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.integers(min_value=0, max_value=len(PPO_NAMES) - 1),
            st.integers(min_value=0, max_value=40),
        ),
        max_size=30,
    )
)
def test_dom_3_a_member_is_on_exactly_one_roll_after_every_step_and_replay_agrees(steps):
    """Random transfers, cases, sanctions, appeals and restorations: after every step a member
    stands on exactly one PPO's roll, a former member on none, refused commands change nothing, and
    replaying the events from scratch gives the same record."""
    scenario = _Scenario()
    scenario.check()
    for action, pick, days in steps:
        scenario.today += timedelta(days=days)
        record = scenario.record
        before = (
            record.organisation_id,
            record.status,
            record.pending_transfer,
            record.version,
        )
        try:
            scenario.run(action, pick)
        except RuleViolation:
            assert record.pending_events == []
            after = (record.organisation_id, record.status, record.pending_transfer, record.version)
            assert after == before
        scenario.history.extend(record.collect_events())
        scenario.check()
