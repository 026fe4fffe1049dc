"""Transfers, sanctions and appeals on the real database (Ch. 3.6-3.8, 5.1, 5.2)."""

from __future__ import annotations

import itertools
import threading
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partia_registry.application import commands as c
from partia_registry.composition import Registry, open_registry
from partia_registry.domain.decisions import BodyKind, DecidingBody
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import TransferReason
from partia_registry.domain.rules import RuleViolation, StateConflict
from tests.registry.builders import (
    ALMATY_CITY_ID,
    PARTY_ID,
    Tree,
    admit,
    apply,
    build_tree,
    decided,
    formalised,
    make_iin,
    ok,
    person,
    signed,
)


def member_of(registry: Registry, tree: Tree, born: date = date(1985, 5, 5)) -> UUID:
    member = apply(registry, tree.ppo, person(make_iin(born)), on=date(2025, 1, 10))
    admit(registry, member, tree.ppo, on=date(2025, 1, 20))
    return member


def transfer(registry: Registry, member: UUID, to: Tree, reason: TransferReason, on: date) -> Any:
    ok(
        registry.writer.execute(
            c.RequestTransfer(
                actor="registrar",
                member_id=member,
                to_organisation_id=to.ppo,
                requested_on=on,
                reason=reason,
            )
        )
    )
    return registry.writer.execute(
        c.RegisterTransfer(
            actor="registrar", member_id=member, decision=decided(BodyKind.PPO_BUREAU, to.ppo, on)
        )
    )


def roll(registry: Registry, ppo: UUID) -> set[UUID]:
    items, _ = registry.queries.organisation_members(ppo, status="member", limit=1000, offset=0)
    return {item["member_id"] for item in items}


def test_a_member_moves_to_another_region_keeping_card_and_seniority(registry: Registry) -> None:
    """Ch. 5.2: registered by the receiving organisation, released by the sending one at once."""
    home, away = build_tree(registry), build_tree(registry, region=ALMATY_CITY_ID, name="Medeu")
    member = member_of(registry, home)
    card = registry.queries.member(member)["card_number"]

    receipt = ok(transfer(registry, member, away, TransferReason.WORKPLACE, date(2025, 3, 1)))

    assert receipt["from_organisation_id"] == str(home.ppo)
    assert (roll(registry, home.ppo), roll(registry, away.ppo)) == (set(), {member})
    state = registry.queries.member(member)
    assert (state["card_number"], state["admitted_on"]) == (card, date(2025, 1, 20))
    events = [h["event"] for h in registry.queries.member_history(member)]
    assert events[-2:] == ["TransferRequested", "Transferred"]


def test_a_change_of_residence_is_overdue_after_six_months_until_a_transfer_closes_it(
    registry: Registry,
) -> None:
    """Ch. 5.2 (register on moving), Ch. 3.6 (six months)."""
    home, away = build_tree(registry), build_tree(registry, name="Saryarka")
    member = member_of(registry, home)
    ok(
        registry.writer.execute(
            c.ReportResidenceChange(actor="registrar", member_id=member, moved_on=date(2025, 2, 28))
        )
    )

    on_deadline = registry.queries.overdue_residence(home.ppo, date(2025, 8, 28))
    day_after = registry.queries.overdue_residence(home.ppo, date(2025, 8, 29))
    assert on_deadline == []
    assert [(r["member_id"], r["registration_deadline"]) for r in day_after] == [
        (member, date(2025, 8, 28))
    ]

    ok(transfer(registry, member, away, TransferReason.RESIDENCE_CHANGE, date(2025, 9, 2)))
    assert registry.queries.overdue_residence(away.ppo, date(2025, 10, 1)) == []
    assert registry.queries.member(member, today=date(2025, 10, 1))["residence_change"] is None


def test_a_transfer_waits_for_an_open_disciplinary_case(registry: Registry) -> None:
    """Refused with the reason while a case is open (our documented choice); allowed after."""
    home, away = build_tree(registry), build_tree(registry, name="Saryarka")
    member = member_of(registry, home)
    case = ok(
        registry.writer.execute(
            c.OpenDisciplinaryCase(
                actor="registrar",
                member_id=member,
                opened_on=date(2025, 2, 1),
                reference="Complaint 4",
            )
        )
    )

    refused = transfer(registry, member, away, TransferReason.WORKPLACE, date(2025, 2, 10))
    assert isinstance(refused.error, StateConflict)
    assert refused.error.rule == "open-disciplinary-case"
    assert [
        c_["case_id"] for c_ in registry.queries.disciplinary_cases(home.ppo, open_only=True)
    ] == [UUID(str(case["case_id"]))]

    ok(
        registry.writer.execute(
            c.DismissDisciplinaryCase(
                actor="registrar",
                member_id=member,
                case_id=UUID(str(case["case_id"])),
                decision=decided(BodyKind.PPO_BUREAU, home.ppo, date(2025, 2, 20)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.RegisterTransfer(
                actor="registrar",
                member_id=member,
                decision=decided(BodyKind.PPO_BUREAU, away.ppo, date(2025, 2, 21)),
            )
        )
    )
    assert roll(registry, away.ppo) == {member}


def test_the_sending_organisation_cannot_register_a_transfer_out(registry: Registry) -> None:
    home, away = build_tree(registry), build_tree(registry, name="Saryarka")
    member = member_of(registry, home)
    ok(
        registry.writer.execute(
            c.RequestTransfer(
                actor="registrar",
                member_id=member,
                to_organisation_id=away.ppo,
                requested_on=date(2025, 3, 1),
                reason=TransferReason.OTHER,
            )
        )
    )
    refused = registry.writer.execute(
        c.RegisterTransfer(
            actor="registrar",
            member_id=member,
            decision=decided(BodyKind.PPO_BUREAU, home.ppo, date(2025, 3, 2)),
        )
    )
    assert isinstance(refused.error, RuleViolation)
    assert refused.error.rule == "body-not-competent"


def test_an_expelled_member_appeals_on_the_last_day_and_returns_with_the_same_card(
    registry: Registry,
) -> None:
    """Ch. 3.6 (residence ground), Ch. 3.8 (expulsion), Ch. 5.1 (three months, a higher body)."""
    home = build_tree(registry)
    member = member_of(registry, home)
    card = registry.queries.member(member)["card_number"]
    ok(
        registry.writer.execute(
            c.ReportResidenceChange(actor="registrar", member_id=member, moved_on=date(2025, 2, 1))
        )
    )
    expelled = ok(
        registry.writer.execute(
            c.ImposeSanction(
                actor="registrar",
                member_id=member,
                kind=SanctionKind.EXPULSION,
                decision=decided(BodyKind.PPO_MEETING, home.ppo, date(2025, 8, 31)),
                grounds=(ExclusionGround.RESIDENCE_CHANGE_NOT_REGISTERED,),
            )
        )
    )
    sanction = UUID(str(expelled["sanction_id"]))
    assert expelled["appeal_deadline"] == "2025-11-30"
    assert roll(registry, home.ppo) == set()

    late = registry.writer.execute(
        c.FileAppeal(
            actor="registrar",
            member_id=member,
            sanction_id=sanction,
            filed_on=date(2025, 12, 1),
            body=DecidingBody(BodyKind.BRANCH_BUREAU, home.district),
            document_reference="A-1",
        )
    )
    assert isinstance(late.error, RuleViolation)
    assert "2025-11-30" in late.error.message
    ok(
        registry.writer.execute(
            c.FileAppeal(
                actor="registrar",
                member_id=member,
                sanction_id=sanction,
                filed_on=date(2025, 11, 30),
                body=DecidingBody(BodyKind.BRANCH_BUREAU, home.district),
                document_reference="A-1",
            )
        )
    )
    pending = registry.queries.sanctions(home.ppo, pending_appeals_only=True)
    assert [(p["sanction_id"], p["appeal_deadline"]) for p in pending] == [
        (sanction, date(2025, 11, 30))
    ]

    ok(
        registry.writer.execute(
            c.DecideAppeal(
                actor="registrar",
                member_id=member,
                sanction_id=sanction,
                outcome=AppealOutcome.ANNULLED,
                decision=decided(BodyKind.BRANCH_BUREAU, home.district, date(2025, 12, 10)),
            )
        )
    )

    state = registry.queries.member(member)
    assert (state["status"], state["card_number"], state["admitted_on"]) == (
        "member",
        card,
        date(2025, 1, 20),
    )
    assert roll(registry, home.ppo) == {member}
    assert [h["event"] for h in registry.queries.member_history(member)][-4:] == [
        "SanctionImposed",
        "AppealFiled",
        "AppealDecided",
        "MembershipRestored",
    ]


def test_a_mazhilis_deputy_is_expelled_only_by_the_party_bureau_and_the_mandate_is_flagged(
    registry: Registry,
) -> None:
    """Ch. 3.7, 9.5; Constitution: leaving the party ends a Kurultai/Mazhilis mandate."""
    home = build_tree(registry)
    member = member_of(registry, home)
    ok(
        registry.writer.execute(
            c.RecordMandate(
                actor="registrar",
                member_id=member,
                kind=MandateKind.MAZHILIS,
                territory="Republic of Kazakhstan",
                level=None,
                started_on=date(2023, 3, 29),
            )
        )
    )

    by_ppo = registry.writer.execute(
        c.ImposeSanction(
            actor="registrar",
            member_id=member,
            kind=SanctionKind.EXPULSION,
            decision=decided(BodyKind.PPO_MEETING, home.ppo, date(2025, 6, 1)),
            grounds=(ExclusionGround.DISCREDITING_THE_PARTY,),
        )
    )
    assert isinstance(by_ppo.error, RuleViolation)
    assert by_ppo.error.rule == "deputy-needs-party-bureau"
    ok(
        registry.writer.execute(
            c.ImposeSanction(
                actor="registrar",
                member_id=member,
                kind=SanctionKind.EXPULSION,
                decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID, date(2025, 6, 1)),
                grounds=(ExclusionGround.DISCREDITING_THE_PARTY,),
            )
        )
    )

    events = [h["event"] for h in registry.queries.member_history(member)]
    assert events[-2:] == ["SanctionImposed", "NationalMandateAtStake"]


def test_an_appeal_to_a_body_that_is_not_higher_is_refused(registry: Registry) -> None:
    """Ch. 5.1: to higher party bodies."""
    home, other = build_tree(registry), build_tree(registry, name="Saryarka")
    member = member_of(registry, home)
    warned = ok(
        registry.writer.execute(
            c.ImposeSanction(
                actor="registrar",
                member_id=member,
                kind=SanctionKind.WARNING,
                decision=decided(BodyKind.BRANCH_BUREAU, home.district, date(2025, 5, 5)),
            )
        )
    )
    for body in (
        DecidingBody(BodyKind.BRANCH_BUREAU, home.district),
        DecidingBody(BodyKind.BRANCH_BUREAU, other.district),
        DecidingBody(BodyKind.PPO_MEETING, home.ppo),
    ):
        refused = registry.writer.execute(
            c.FileAppeal(
                actor="registrar",
                member_id=member,
                sanction_id=UUID(str(warned["sanction_id"])),
                filed_on=date(2025, 6, 1),
                body=body,
                document_reference="A",
            )
        )
        assert isinstance(refused.error, RuleViolation), body
        assert refused.error.rule == "appeal-body-not-higher"


class _Rolls:
    """A small party for the concurrency property: four PPOs in two regions, members spread."""

    def __init__(self, registry: Registry) -> None:
        self.trees = [
            build_tree(registry, name="Yesil"),
            build_tree(registry, name="Saryarka"),
            build_tree(registry, region=ALMATY_CITY_ID, name="Medeu"),
            build_tree(registry, region=ALMATY_CITY_ID, name="Bostandyq"),
        ]
        self.members = [
            member_of(registry, self.trees[i % 4], date(1960 + i, 1, 1)) for i in range(6)
        ]


@pytest.fixture
def party(registry: Registry) -> _Rolls:
    return _Rolls(registry)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=12))
def test_concurrent_transfers_never_leave_a_member_on_two_rolls_or_none(
    registry: Registry, settings: Any, party: _Rolls, moves: list[tuple[int, int]]
) -> None:
    """Two service instances race transfer requests and registrations for the same members."""
    second = open_registry(settings)
    try:
        writers = [registry.writer, second.writer]

        def race(k: int, member: UUID, to: Tree) -> None:
            writer = writers[k % 2]
            writer.execute(
                c.RequestTransfer(
                    actor="registrar",
                    member_id=member,
                    to_organisation_id=to.ppo,
                    requested_on=date(2025, 3, 1),
                    reason=TransferReason.OTHER,
                )
            )
            writer.execute(
                c.RegisterTransfer(
                    actor="registrar",
                    member_id=member,
                    decision=decided(BodyKind.PPO_BUREAU, to.ppo, date(2025, 3, 2)),
                )
            )

        threads = [
            threading.Thread(target=race, args=(k, party.members[m], party.trees[t]))
            for k, (m, t) in enumerate(moves)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        second.close()

    rolls = {tree.ppo: roll(registry, tree.ppo) for tree in party.trees}
    on_rolls = [m for members in rolls.values() for m in members]
    assert sorted(on_rolls) == sorted(party.members)  # each exactly once, none missing
    for member in party.members:
        state = registry.queries.member(member)  # rebuilt from the events
        assert member in rolls[state["organisation_id"]]
        history = registry.queries.member_history(member)
        chain = [h["details"] for h in history if h["event"] == "Transferred"]
        for earlier, later in itertools.pairwise(chain):
            assert later["from_organisation_id"] == earlier["to_organisation_id"]


def test_a_case_left_open_when_a_member_leaves_does_not_follow_them_into_a_new_membership(
    registry: Registry,
) -> None:
    home, away = build_tree(registry), build_tree(registry, name="Saryarka")
    someone = member_of(registry, home, born=date(1966, 6, 6))
    ok(
        registry.writer.execute(
            c.OpenDisciplinaryCase(
                actor="registrar",
                member_id=someone,
                opened_on=date(2025, 2, 1),
                reference="Complaint 9",
            )
        )
    )
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=someone,
                application_document=signed(date(2025, 3, 1), "W-9"),
                effective_on=date(2025, 3, 1),
                decision=formalised(date(2025, 3, 1)),
            )
        )
    )
    assert registry.queries.disciplinary_cases(home.ppo, open_only=True) == []

    iin = registry.queries.member(someone)["person"]["iin"]
    again = apply(registry, home.ppo, person(iin), on=date(2025, 6, 1))
    admit(registry, again, home.ppo, on=date(2025, 6, 10))
    assert again == someone
    assert transfer(registry, again, away, TransferReason.OTHER, date(2025, 7, 1)).error is None
