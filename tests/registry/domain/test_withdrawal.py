"""Withdrawal (Ch. 3.6, 3.7, 5.1): a right, formalised by a competent body, never before the
written application. Pure domain: no database."""

from __future__ import annotations

import json
from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from partia_registry.audit.replay import event_decoder
from partia_registry.domain.decisions import BodyKind, Decision
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import WITHDRAWAL, Member, MemberStatus
from partia_registry.domain.rules import RuleViolation
from partia_registry.projections.ledger import Left, steps_from_event
from partia_registry.projections.stored import steps_from_stored
from tests.registry.domain.support import Tree, body, mandate, member, signed

B = BodyKind
SIGNED = date(2026, 6, 1)


@pytest.fixture
def tree() -> Tree:
    return Tree()


def _by(kind: BodyKind, owner, on: date = date(2026, 6, 5)) -> Decision:
    return Decision(body(kind, owner), on, "Minutes No. 14")


def _withdraw(record: Member, tree: Tree, decision: Decision | None, **changes) -> None:
    arguments = {
        "application_document": signed(SIGNED, "LEAVE-1"),
        "effective_on": SIGNED,
        "decision": decision,
        "ppo": tree.ppo_line,
        "recorded_by": "clerk",
    }
    record.withdraw(**(arguments | changes))


def _deputy(record: Member, kind: MandateKind) -> None:
    record.record_mandate(mandate=mandate(kind), recorded_by="clerk")


def _refused(record: Member, tree: Tree, decision: Decision | None, **changes) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        _withdraw(record, tree, decision, **changes)
    assert record.status is MemberStatus.MEMBER
    return refused.value


@pytest.mark.parametrize("kind", [B.PPO_MEETING, B.PPO_BUREAU, B.BRANCH_BUREAU, B.PARTY_BUREAU])
def test_ch_3_7_a_withdrawal_records_the_competent_body_that_formalised_it(tree, kind):
    owner = {
        B.PPO_MEETING: tree.ppo,
        B.PPO_BUREAU: tree.ppo,
        B.BRANCH_BUREAU: tree.district,
        B.PARTY_BUREAU: tree.party,
    }[kind]
    record = member(tree)
    record.collect_events()
    _withdraw(record, tree, _by(kind, owner))
    (withdrew,) = record.collect_events()
    assert isinstance(withdrew, Member.Withdrew)
    assert withdrew.decision == _by(kind, owner)
    assert withdrew.effective_on == SIGNED
    assert record.status is MemberStatus.FORMER_MEMBER
    assert record.ended_on == SIGNED


def test_ch_3_7_an_ordinary_members_withdrawal_without_a_formalising_body_is_refused(tree):
    """Ch. 3.7: every termination is formalised by a body, not only a deputy's; the refusal says
    which body to bring, and records nothing."""
    record = member(tree)
    record.collect_events()
    missing = _refused(record, tree, None)
    assert (missing.rule, missing.clause, missing.field) == (
        "withdrawal-needs-formalising-body",
        "Ch. 3.7",
        "decision",
    )
    assert record.collect_events() == []
    _withdraw(record, tree, _by(B.PPO_MEETING, tree.ppo))
    assert record.end_reason == WITHDRAWAL


@pytest.mark.parametrize(
    ("kind", "whose", "field"),
    [
        (B.PPO_CHAIR, "ppo", "decision.body.kind"),
        (B.BRANCH_CONFERENCE, "district", "decision.body.kind"),
        (B.PPO_MEETING, "sibling_ppo", "decision.body.organisation_id"),
        (B.BRANCH_BUREAU, "other_region", "decision.body.organisation_id"),
    ],
)
def test_ch_3_7_an_incompetent_body_cannot_formalise_a_withdrawal(tree, kind, whose, field):
    refused = _refused(member(tree), tree, _by(kind, getattr(tree, whose)))
    assert refused.rule == "body-not-competent"
    assert refused.clause == "Ch. 3.7"
    assert refused.field == field


@pytest.mark.parametrize("kind", [MandateKind.MAZHILIS, MandateKind.KURULTAI])
def test_ch_9_5_a_mazhilis_deputys_withdrawal_is_formalised_by_the_party_bureau(tree, kind):
    record = member(tree)
    _deputy(record, kind)
    assert _refused(record, tree, None).rule == "deputy-withdrawal-needs-bureau"
    wrong = _refused(record, tree, _by(B.BRANCH_BUREAU, tree.region))
    assert (wrong.rule, wrong.clause) == ("deputy-needs-party-bureau", "Ch. 3.7, 9.5")
    _withdraw(record, tree, _by(B.PARTY_BUREAU, tree.party))
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_9_8_a_maslikhat_deputys_withdrawal_is_formalised_by_a_branch_bureau(tree):
    record = member(tree)
    _deputy(record, MandateKind.MASLIKHAT)
    missing = _refused(record, tree, None)
    assert (missing.rule, missing.clause, missing.field) == (
        "deputy-withdrawal-needs-bureau",
        "Ch. 3.7, 9.8",
        "decision",
    )
    assert _refused(record, tree, _by(B.PPO_MEETING, tree.ppo)).rule == (
        "deputy-needs-branch-bureau"
    )
    _withdraw(record, tree, _by(B.BRANCH_BUREAU, tree.region))
    assert record.status is MemberStatus.FORMER_MEMBER


def test_ch_3_6_a_withdrawal_cannot_take_effect_before_the_application_was_signed(tree):
    bureau = _by(B.PPO_BUREAU, tree.ppo, SIGNED)
    refused = _refused(member(tree), tree, bureau, effective_on=date(2026, 5, 31))
    assert (refused.rule, refused.clause, refused.field) == (
        "withdrawal-before-application",
        "Ch. 3.6",
        "effective_on",
    )


def test_ch_3_6_the_formalising_decision_cannot_precede_the_application(tree):
    early = _by(B.PPO_MEETING, tree.ppo, date(2026, 5, 20))
    refused = _refused(member(tree), tree, early)
    assert (refused.rule, refused.field) == ("decision-before-application", "decision.decided_on")


# --- events are forever: the version 1 form, written before `decision` existed --------------


def _version_1_withdrew() -> StoredEvent:
    """A `Withdrew` exactly as the registry stored it before version 2 (no class_version, no
    decision)."""
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-06-01T09:00:00+00:00"},
        "organisation_id": {"_type_": "uuid_hex", "_data_": uuid4().hex},
        "card_number": "BQ-0000001-8",
        "application_document": {
            "_type_": "application_document",
            "_data_": {
                "form": "paper",
                "reference": "Statement No. 77",
                "signed_on": {"_type_": "date_iso", "_data_": "2026-06-01"},
            },
        },
        "effective_on": {"_type_": "date_iso", "_data_": "2026-06-01"},
        "recorded_by": "registrar",
    }
    return StoredEvent(uuid4(), 3, get_topic(Member.Withdrew), json.dumps(state).encode())


def test_a_withdrawal_stored_before_it_recorded_a_body_still_loads_and_folds():
    """Read as the auditor's replay reads it, and as the read model's fast reader does."""
    stored = _version_1_withdrew()
    event = event_decoder().to_domain_event(stored)
    assert isinstance(event, Member.Withdrew)
    assert event.decision is None
    assert event.effective_on == date(2026, 6, 1)
    expected = (Left(stored.originator_id, date(2026, 6, 1), WITHDRAWAL),)
    assert steps_from_event(event) == expected
    assert steps_from_stored(stored.topic, stored.state, stored.originator_id) == expected


def test_a_withdrawal_with_its_body_round_trips_and_folds_the_same_way(tree):
    record = member(tree)
    record.collect_events()
    _withdraw(record, tree, _by(B.PPO_BUREAU, tree.ppo))
    (withdrew,) = record.collect_events()
    mapper = event_decoder()
    stored = mapper.to_stored_event(withdrew)
    assert json.loads(stored.state)["class_version"] == 2
    again = mapper.to_domain_event(stored)
    assert again.decision == withdrew.decision
    expected = (Left(record.id, SIGNED, WITHDRAWAL),)
    assert steps_from_event(again) == expected
    assert steps_from_stored(stored.topic, stored.state, stored.originator_id) == expected
