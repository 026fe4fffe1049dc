"""Business dates after today are refused, whichever command carries them (issue 8, item 10).

Today is what the registry's clock says: set here, never the machine's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from partia_registry.application import commands as c
from partia_registry.application.clock import FixedClock
from partia_registry.composition import Registry, open_registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.discipline import SanctionKind
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import TerminationGround, TransferReason
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.rules import RuleViolation
from partia_registry.settings import RegistrySettings
from tests.registry.builders import (
    ASTANA_ID,
    admit,
    apply,
    build_tree,
    citizen,
    decided,
    formalised,
    names,
    person,
    signed,
)

TODAY = date(2026, 7, 1)
TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def registry(settings: RegistrySettings, clock: FixedClock) -> Iterator[Registry]:
    opened = open_registry(settings, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def _refusal(registry: Registry, command: c.Command) -> RuleViolation:
    outcome = registry.writer.execute(command)
    assert isinstance(outcome.error, RuleViolation), outcome
    return outcome.error


def _commands(tree, member: UUID) -> list[tuple[c.Command, str]]:
    """One command of each kind that carries a business date, dated tomorrow, and its field."""
    ppo_meeting = decided(BodyKind.PPO_MEETING, tree.ppo, TOMORROW)
    bureau = decided(BodyKind.BRANCH_BUREAU, tree.district, TOMORROW)
    r = "registrar"
    return [
        (
            c.CreateOrganisation(
                actor=r,
                kind=OrganisationKind.PRIMARY_ORGANISATION,
                parent_id=tree.district,
                names=names("PPO 9"),
                decision=bureau,
            ),
            "decision.decided_on",
        ),
        (
            c.SubmitApplication(
                actor=r,
                organisation_id=tree.ppo,
                person=person(),
                declarations=citizen(),
                application_document=signed(TOMORROW),
            ),
            "application_document.signed_on",
        ),
        (c.AdmitMember(actor=r, member_id=member, decision=ppo_meeting), "decision.decided_on"),
        (
            c.WithdrawMember(
                actor=r,
                member_id=member,
                application_document=signed(TODAY, "W"),
                effective_on=TOMORROW,
                decision=formalised(TODAY),
            ),
            "effective_on",
        ),
        (
            c.WithdrawMember(
                actor=r,
                member_id=member,
                application_document=signed(TODAY, "W"),
                effective_on=TODAY,
                decision=ppo_meeting,
            ),
            "decision.decided_on",
        ),
        (
            c.TerminateMembership(
                actor=r, member_id=member, ground=TerminationGround.DEATH, decision=ppo_meeting
            ),
            "decision.decided_on",
        ),
        (c.ReportResidenceChange(actor=r, member_id=member, moved_on=TOMORROW), "moved_on"),
        (
            c.RequestTransfer(
                actor=r,
                member_id=member,
                to_organisation_id=tree.ppo,
                requested_on=TOMORROW,
                reason=TransferReason.OTHER,
            ),
            "requested_on",
        ),
        (
            c.RecordMandate(
                actor=r,
                member_id=member,
                kind=MandateKind.MASLIKHAT,
                territory="Astana city",
                level="city",
                started_on=TOMORROW,
            ),
            "started_on",
        ),
        (
            c.EndMandate(actor=r, member_id=member, mandate_id=uuid4(), ended_on=TOMORROW),
            "ended_on",
        ),
        (
            c.OpenDisciplinaryCase(actor=r, member_id=member, opened_on=TOMORROW, reference="C"),
            "opened_on",
        ),
        (
            c.ImposeSanction(
                actor=r, member_id=member, kind=SanctionKind.WARNING, decision=ppo_meeting
            ),
            "decision.decided_on",
        ),
    ]


def test_no_command_accepts_a_business_date_after_today_in_almaty(registry: Registry) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    admit(registry, member, tree.ppo)
    for command, field in _commands(tree, member):
        refused = _refusal(registry, command)
        assert (refused.rule, refused.field) == ("date-in-the-future", field), command
        assert str(TOMORROW) in refused.message
    assert registry.queries.member(member)["status"] == "member"


def test_today_is_accepted_and_tomorrow_becomes_acceptable_when_the_clock_moves_on(
    registry: Registry, clock: FixedClock
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    admit(registry, member, tree.ppo)
    moved_today = c.ReportResidenceChange(actor="registrar", member_id=member, moved_on=TODAY)
    assert registry.writer.execute(moved_today).error is None

    founding = c.CreateOrganisation(
        actor="registrar",
        kind=OrganisationKind.TERRITORIAL_BRANCH,
        parent_id=ASTANA_ID,
        names=names("Baikonur"),
        decision=decided(BodyKind.BRANCH_BUREAU, ASTANA_ID, TOMORROW),
    )
    assert _refusal(registry, founding).rule == "date-in-the-future"
    clock.day = TOMORROW
    assert registry.writer.execute(founding).error is None
