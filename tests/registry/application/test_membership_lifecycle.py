"""The membership lifecycle on the real database: applications, admission, rejection, exits."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from partia_registry.application import commands as c
from partia_registry.composition import Registry
from partia_registry.domain.cards import is_well_formed
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.members import TerminationGround
from partia_registry.domain.rules import NotFound, RuleViolation, StateConflict
from tests.registry.builders import (
    PARTY_ID,
    admit,
    apply,
    build_tree,
    citizen,
    decided,
    formalised,
    make_iin,
    ok,
    person,
    signed,
)


def test_three_applicants_admitted_by_the_ppo_meeting_get_distinct_well_formed_cards(
    registry: Registry,
) -> None:
    """Ch. 3.4 (admission by the PPO meeting), Ch. 3.5 (a numbered party document)."""
    tree = build_tree(registry)
    members = [apply(registry, tree.ppo, person(make_iin(date(1985, 1, 1 + i)))) for i in range(3)]
    cards = [admit(registry, m, tree.ppo)["card_number"] for m in members]

    assert len(set(cards)) == 3
    assert all(is_well_formed("BQ", str(card)) for card in cards)
    roll, total = registry.queries.organisation_members(
        tree.ppo, status="member", limit=10, offset=0
    )
    assert total == 3
    assert {r["card_number"] for r in roll} == set(cards)
    assert {r["full_name"] for r in roll} == {"Ахметова Айгерім Серікқызы"}


def test_a_members_state_and_history_show_the_business_date_and_the_recording(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, on=date(2026, 3, 1))
    admit(registry, member, tree.ppo, on=date(2026, 3, 10))

    state = registry.queries.member(member)
    history = registry.queries.member_history(member)

    assert state["status"] == "member"
    assert state["admitted_on"] == date(2026, 3, 10)
    assert [h["event"] for h in history] == ["ApplicationSubmitted", "Admitted"]
    assert [h["effective_on"] for h in history] == [date(2026, 3, 1), date(2026, 3, 10)]
    assert all(h["recorded_by"] == "registrar" for h in history)
    assert history[0]["position"] < history[1]["position"]
    assert history[1]["details"]["decision"]["body"]["kind"] == "ppo_meeting"


def test_the_same_person_cannot_apply_twice_while_the_first_application_is_pending(
    registry: Registry,
) -> None:
    """Ch. 3.1, 3.3: one person, one membership at a time."""
    tree = build_tree(registry)
    someone = person()
    apply(registry, tree.ppo, someone)

    with pytest.raises(StateConflict) as refused:
        apply(registry, tree.ppo, someone)
    assert refused.value.rule == "application-pending"


def test_a_member_cannot_apply_again_even_to_another_organisation(registry: Registry) -> None:
    tree = build_tree(registry)
    other = build_tree(registry, name="Saryarka")
    someone = person()
    admit(registry, apply(registry, tree.ppo, someone), tree.ppo)

    with pytest.raises(StateConflict) as refused:
        apply(registry, other.ppo, someone)
    assert refused.value.rule == "already-a-member"


def test_two_applications_for_one_iin_in_the_same_batch_yield_one_record(
    registry: Registry,
) -> None:
    """Racing applications for the same IIN: exactly one succeeds (Ch. 3.1)."""
    tree = build_tree(registry)
    someone = person()
    command = c.SubmitApplication(
        actor="registrar",
        organisation_id=tree.ppo,
        person=someone,
        declarations=citizen(),
        application_document=signed(),
    )
    outcomes = registry.writer._run_batch([command, command, command])

    accepted = [o for o in outcomes if o.error is None]
    assert len(accepted) == 1
    assert all(isinstance(o.error, StateConflict) for o in outcomes if o.error is not None)


def test_two_registry_processes_racing_on_one_iin_record_one_application(
    registry: Registry, settings: object
) -> None:
    """Two writers on the same database (as two service instances would be): the unique IIN digest
    lets only one application through; the other is refused, not duplicated."""
    from partia_registry.composition import open_registry

    second = open_registry(settings)  # type: ignore[arg-type]
    try:
        tree = build_tree(registry)
        someone = person()
        command = c.SubmitApplication(
            actor="registrar",
            organisation_id=tree.ppo,
            person=someone,
            declarations=citizen(),
            application_document=signed(),
        )
        # Both decide before either commits: each unit of work finds no record for the IIN.
        from partia_registry.application.handlers import submit_application

        first_uow, second_uow = registry.store.unit_of_work(), second.store.unit_of_work()
        submit_application(command, first_uow)
        submit_application(command, second_uow)
        first_uow.commit()
        from partia_registry.application.ports import ConcurrentChange

        with pytest.raises(ConcurrentChange):
            second_uow.commit()
        # Retried through the normal path, the loser is refused with the reason.
        retried = second.writer.execute(command)
        assert isinstance(retried.error, StateConflict)
    finally:
        second.close()
    _, total = registry.queries.organisation_members(
        tree.ppo, status="applicant", limit=10, offset=0
    )
    assert total == 1


def test_a_refused_command_in_a_batch_does_not_disturb_the_others(registry: Registry) -> None:
    tree = build_tree(registry)
    good = c.SubmitApplication(
        actor="registrar",
        organisation_id=tree.ppo,
        person=person(make_iin(date(1980, 2, 2))),
        declarations=citizen(),
        application_document=signed(),
    )
    minor = c.SubmitApplication(
        actor="registrar",
        organisation_id=tree.ppo,
        person=person(make_iin(date(2015, 2, 2))),
        declarations=citizen(),
        application_document=signed(),
    )
    also_good = c.SubmitApplication(
        actor="registrar",
        organisation_id=tree.ppo,
        person=person(make_iin(date(1981, 2, 2))),
        declarations=citizen(),
        application_document=signed(),
    )
    outcomes = registry.writer._run_batch([good, minor, also_good])

    assert outcomes[0].error is None
    assert outcomes[2].error is None
    assert isinstance(outcomes[1].error, RuleViolation)
    assert outcomes[1].error.rule == "minimum-age"
    _, total = registry.queries.organisation_members(
        tree.ppo, status="applicant", limit=10, offset=0
    )
    assert total == 2


def test_an_under_age_applicant_is_refused_naming_the_rule_and_the_day_they_turn_18(
    registry: Registry,
) -> None:
    """Ch. 3.2: aged 18 or over."""
    tree = build_tree(registry)
    with pytest.raises(RuleViolation) as refused:
        apply(registry, tree.ppo, person(make_iin(date(2008, 6, 1))), on=date(2026, 3, 1))
    assert (refused.value.rule, refused.value.clause, refused.value.field) == (
        "minimum-age",
        "Ch. 3.2",
        "person.iin",
    )
    assert "2026-06-01" in refused.value.message


def test_an_iin_with_a_bad_check_digit_is_refused(registry: Registry) -> None:
    """DOMAIN §9: the twelfth digit is a check digit."""
    tree = build_tree(registry)
    iin = make_iin(date(1990, 1, 1))
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    with pytest.raises(RuleViolation) as refused:
        apply(registry, tree.ppo, person(wrong))
    assert refused.value.rule == "iin-invalid"
    assert refused.value.field == "person.iin"


def test_a_body_of_another_ppo_is_not_competent_to_admit(registry: Registry) -> None:
    """Ch. 3.4: the meeting or bureau of the member's own PPO, or a Bureau above it."""
    tree = build_tree(registry)
    other = build_tree(registry, name="Saryarka")
    member = apply(registry, tree.ppo)

    refused = registry.writer.execute(
        c.AdmitMember(
            actor="registrar", member_id=member, decision=decided(BodyKind.PPO_MEETING, other.ppo)
        )
    )
    assert isinstance(refused.error, RuleViolation)
    assert refused.error.rule == "body-not-competent"
    assert refused.error.field == "decision.body.organisation_id"
    assert registry.queries.member(member)["status"] == "applicant"


def test_the_party_bureau_and_the_regional_bureau_may_admit(registry: Registry) -> None:
    """Ch. 3.4: admission by the Bureau of the Political Council of the party or its branches."""
    tree = build_tree(registry)
    by_party = apply(registry, tree.ppo, person(make_iin(date(1970, 1, 1))))
    by_region = apply(registry, tree.ppo, person(make_iin(date(1971, 1, 1))))

    ok(
        registry.writer.execute(
            c.AdmitMember(
                actor="registrar",
                member_id=by_party,
                decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.AdmitMember(
                actor="registrar",
                member_id=by_region,
                decision=decided(BodyKind.BRANCH_BUREAU, tree.region),
            )
        )
    )
    assert registry.queries.member(by_party)["status"] == "member"
    assert registry.queries.member(by_region)["status"] == "member"


def test_a_rejected_applicant_may_apply_again_and_be_admitted(registry: Registry) -> None:
    tree = build_tree(registry)
    someone = person()
    member = apply(registry, tree.ppo, someone)
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=member,
                reason="incomplete documents",
                decision=decided(BodyKind.PPO_BUREAU, tree.ppo),
            )
        )
    )

    again = apply(registry, tree.ppo, someone, on=date(2026, 4, 1))
    admit(registry, again, tree.ppo, on=date(2026, 4, 10))

    assert again == member  # one record per person
    assert [h["event"] for h in registry.queries.member_history(member)] == [
        "ApplicationSubmitted",
        "ApplicationRejected",
        "NewApplicationSubmitted",
        "Admitted",
    ]


def test_withdrawal_is_always_granted_and_takes_the_member_off_the_roll(registry: Registry) -> None:
    """Ch. 5.1: a member decides independently to leave; Ch. 3.6: on a written application."""
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    admit(registry, member, tree.ppo)

    receipt = ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=member,
                application_document=signed(date(2026, 5, 2), "W-1"),
                effective_on=date(2026, 5, 2),
                decision=formalised(date(2026, 5, 2)),
            )
        )
    )

    assert receipt["status"] == "former_member"
    assert receipt["end_reason"] == "withdrawal"
    _, total = registry.queries.organisation_members(tree.ppo, status="member", limit=10, offset=0)
    assert total == 0


@pytest.mark.parametrize("ground", list(TerminationGround))
def test_membership_ends_on_each_non_disciplinary_ground_of_charter_3_6(
    registry: Registry, ground: TerminationGround
) -> None:
    """Ch. 3.6 grounds, decided by a body competent under Ch. 3.7."""
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    admit(registry, member, tree.ppo)

    receipt = ok(
        registry.writer.execute(
            c.TerminateMembership(
                actor="registrar",
                member_id=member,
                ground=ground,
                decision=decided(BodyKind.PPO_BUREAU, tree.ppo, date(2026, 6, 1)),
            )
        )
    )

    assert receipt["end_reason"] == ground.value
    assert registry.queries.member(member)["ended_on"] == date(2026, 6, 1)


def test_an_unknown_member_is_not_found(registry: Registry) -> None:
    outcome = registry.writer.execute(
        c.AdmitMember(
            actor="registrar",
            member_id=UUID(int=7),
            decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID),
        )
    )
    assert isinstance(outcome.error, NotFound)


def test_card_numbers_are_never_reused_after_a_member_leaves(registry: Registry) -> None:
    tree = build_tree(registry)
    first = apply(registry, tree.ppo, person(make_iin(date(1960, 1, 1))))
    first_card = admit(registry, first, tree.ppo)["card_number"]
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=first,
                application_document=signed(date(2026, 4, 1), "W"),
                effective_on=date(2026, 4, 1),
                decision=formalised(date(2026, 4, 1)),
            )
        )
    )
    second = apply(registry, tree.ppo, person(make_iin(date(1961, 1, 1))))
    assert admit(registry, second, tree.ppo)["card_number"] != first_card
