"""Every stored event translates to a valid contract event, and none carries personal data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from partia_contracts.registry import IntegrationEvent, parse_registry_event, v1
from partia_registry.adapters.integration_events import (
    to_integration_event,
    to_integration_events,
)
from partia_registry.application import commands as c
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind, DecidingBody
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.mandates import MandateKind
from partia_registry.domain.members import Member, TerminationGround, TransferReason
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.people import PersonalData
from tests.registry.builders import (
    PARTY_ID,
    admit,
    apply,
    build_tree,
    decided,
    formalised,
    make_iin,
    names,
    ok,
    person,
    signed,
)

E = TypeVar("E", bound=IntegrationEvent)


def _every_stored_event(registry: Registry) -> list[tuple[Any, int | None]]:
    rows = registry.store.query(
        SQL(
            "SELECT originator_id, originator_version, topic, state, notification_id FROM {} "
            "ORDER BY notification_id"
        ).format(Identifier(registry.store.schema, "registry_events"))
    )
    mapper = registry.events.mapper
    return [
        (
            mapper.to_domain_event(
                StoredEvent(
                    r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
                )
            ),
            r["notification_id"],
        )
        for r in rows
    ]


def test_the_whole_lifecycle_translates_to_valid_contract_events_without_personal_data(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    iin = make_iin(date(1988, 8, 8))
    leaver = apply(registry, tree.ppo, person(iin, surname="Сейтқали"))
    admit(registry, leaver, tree.ppo)
    ok(
        registry.writer.execute(
            c.WithdrawMember(
                actor="registrar",
                member_id=leaver,
                application_document=signed(date(2026, 5, 1), "W"),
                effective_on=date(2026, 5, 1),
                decision=formalised(date(2026, 5, 1)),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar", member_id=leaver, legal_basis="request", request_reference="R"
            )
        )
    )
    rejected = apply(registry, tree.ppo, person(make_iin(date(1970, 3, 3))))
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=rejected,
                reason="incomplete",
                decision=decided(BodyKind.PPO_BUREAU, tree.ppo),
            )
        )
    )
    ended = apply(registry, tree.ppo, person(make_iin(date(1971, 3, 3))))
    admit(registry, ended, tree.ppo)
    ok(
        registry.writer.execute(
            c.TerminateMembership(
                actor="registrar",
                member_id=ended,
                ground=TerminationGround.JOINED_ANOTHER_PARTY,
                decision=decided(BodyKind.PPO_BUREAU, tree.ppo, date(2026, 6, 1)),
            )
        )
    )
    group = ok(
        registry.writer.execute(
            c.CreateOrganisation(
                actor="registrar",
                kind=OrganisationKind.PARTY_GROUP,
                parent_id=tree.ppo,
                names=names("Group"),
                decision=decided(BodyKind.PPO_MEETING, tree.ppo),
            )
        )
    )
    ok(
        registry.writer.execute(
            c.DissolveOrganisation(
                actor="registrar",
                organisation_id=group["organisation_id"],  # type: ignore[arg-type]
                decision=decided(BodyKind.PPO_MEETING, tree.ppo, date(2026, 7, 1)),
            )
        )
    )

    published = list(to_integration_events(_every_stored_event(registry)))
    types = {p.event_type for p in published}

    assert {
        "registry.organisation.created",
        "registry.organisation.dissolved",
        "registry.member.application_submitted",
        "registry.member.application_rejected",
        "registry.member.admitted",
        "registry.member.membership_ended",
        "registry.member.personal_data_erased",
    } <= types
    for event in published:
        wire = event.model_dump_json()
        assert parse_registry_event(wire) == event  # valid against the shared contract
        assert iin not in wire
        assert "Сейтқали" not in wire
    ended_events = [p for p in published if p.event_type == "registry.member.membership_ended"]
    assert {e.reason for e in ended_events} == {"withdrawal", "joined_another_party"}  # type: ignore[attr-defined]
    assert len({p.event_id for p in published}) == len(published)


def _assert_published_safely(published: list[IntegrationEvent], *people: PersonalData) -> None:
    personal = [v for who in people for v in dataclasses.astuple(who) if v is not None]
    for event in published:
        wire = event.model_dump_json()
        assert parse_registry_event(wire) == event  # valid against the shared contract
        assert parse_registry_event(event.model_dump(mode="json")) == event
        assert [value for value in personal if value in wire] == []
    assert len({p.event_id for p in published}) == len(published)


def _of(published: list[IntegrationEvent], model: type[E]) -> list[E]:
    return [p for p in published if isinstance(p, model)]


def test_transfers_mandates_discipline_and_appeals_translate_without_personal_data(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    other = build_tree(registry, name="Saryarka")
    deputy_data = person(make_iin(date(1975, 4, 4)), surname="Жұмабаев", given_name="Ержан")
    deputy = apply(registry, tree.ppo, deputy_data)
    admit(registry, deputy, tree.ppo)

    def run(command: c.Command) -> dict[str, object]:
        return ok(registry.writer.execute(command))

    # A move, and a transfer to a PPO at the new place of residence (Ch. 5.2).
    run(c.ReportResidenceChange(actor="registrar", member_id=deputy, moved_on=date(2026, 3, 20)))
    run(
        c.RequestTransfer(
            actor="registrar",
            member_id=deputy,
            to_organisation_id=other.ppo,
            requested_on=date(2026, 3, 25),
            reason=TransferReason.RESIDENCE_CHANGE,
        )
    )
    run(
        c.RegisterTransfer(
            actor="registrar",
            member_id=deputy,
            decision=decided(BodyKind.PPO_BUREAU, other.ppo, date(2026, 4, 1), "Minutes 4"),
        )
    )

    # A past maslikhat mandate, and a current Mazhilis one (Ch. 3.7).
    maslikhat = run(
        c.RecordMandate(
            actor="registrar",
            member_id=deputy,
            kind=MandateKind.MASLIKHAT,
            territory="Astana city",
            level="city",
            started_on=date(2021, 1, 10),
        )
    )["mandate_id"]
    run(
        c.EndMandate(
            actor="registrar",
            member_id=deputy,
            mandate_id=UUID(str(maslikhat)),
            ended_on=date(2023, 3, 19),
        )
    )
    mazhilis = UUID(
        str(
            run(
                c.RecordMandate(
                    actor="registrar",
                    member_id=deputy,
                    kind=MandateKind.MAZHILIS,
                    territory="Republic of Kazakhstan",
                    level=None,
                    started_on=date(2023, 3, 29),
                )
            )["mandate_id"]
        )
    )

    # A case dismissed; a warning appealed and upheld (Ch. 3.8, 5.1).
    dismissed = run(
        c.OpenDisciplinaryCase(
            actor="registrar", member_id=deputy, opened_on=date(2026, 4, 10), reference="C-12"
        )
    )["case_id"]
    run(
        c.DismissDisciplinaryCase(
            actor="registrar",
            member_id=deputy,
            case_id=UUID(str(dismissed)),
            decision=decided(BodyKind.PPO_BUREAU, other.ppo, date(2026, 4, 20)),
        )
    )
    warning = UUID(
        str(
            run(
                c.ImposeSanction(
                    actor="registrar",
                    member_id=deputy,
                    kind=SanctionKind.WARNING,
                    decision=decided(BodyKind.PPO_MEETING, other.ppo, date(2026, 4, 25)),
                )
            )["sanction_id"]
        )
    )
    warning_appeal_body = DecidingBody(BodyKind.BRANCH_BUREAU, other.district)
    run(
        c.FileAppeal(
            actor="registrar",
            member_id=deputy,
            sanction_id=warning,
            filed_on=date(2026, 4, 28),
            body=warning_appeal_body,
            document_reference="Appeal No. 2",
        )
    )
    run(
        c.DecideAppeal(
            actor="registrar",
            member_id=deputy,
            sanction_id=warning,
            outcome=AppealOutcome.UPHELD,
            decision=decided(BodyKind.BRANCH_BUREAU, other.district, date(2026, 5, 5)),
        )
    )

    # The expulsion of a Mazhilis deputy: only the party Bureau decides it (Ch. 3.7, 9.5), and
    # the Constitution puts the mandate at stake. Appealed to the party's Political Council,
    # which annuls it: the membership is restored.
    case = UUID(
        str(
            run(
                c.OpenDisciplinaryCase(
                    actor="registrar",
                    member_id=deputy,
                    opened_on=date(2026, 5, 1),
                    reference="Complaint No. 15",
                )
            )["case_id"]
        )
    )
    expulsion = UUID(
        str(
            run(
                c.ImposeSanction(
                    actor="registrar",
                    member_id=deputy,
                    kind=SanctionKind.EXPULSION,
                    decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID, date(2026, 5, 15), "R-9"),
                    grounds=(ExclusionGround.DISCREDITING_THE_PARTY, ExclusionGround.OTHER),
                    other_ground="Charter Ch. 3.3",
                    case_id=case,
                )
            )["sanction_id"]
        )
    )
    run(
        c.FileAppeal(
            actor="registrar",
            member_id=deputy,
            sanction_id=expulsion,
            filed_on=date(2026, 6, 1),
            body=DecidingBody(BodyKind.PARTY_POLITICAL_COUNCIL, PARTY_ID),
            document_reference="Appeal No. 3",
        )
    )
    run(
        c.DecideAppeal(
            actor="registrar",
            member_id=deputy,
            sanction_id=expulsion,
            outcome=AppealOutcome.ANNULLED,
            decision=decided(BodyKind.PARTY_POLITICAL_COUNCIL, PARTY_ID, date(2026, 6, 20)),
        )
    )

    # A Kurultai deputy who withdraws puts their mandate at stake too.
    leaver_data = person(make_iin(date(1968, 2, 2)))
    leaver = apply(registry, tree.ppo, leaver_data)
    admit(registry, leaver, tree.ppo)
    kurultai = UUID(
        str(
            run(
                c.RecordMandate(
                    actor="registrar",
                    member_id=leaver,
                    kind=MandateKind.KURULTAI,
                    territory="Republic of Kazakhstan",
                    level=None,
                    started_on=date(2026, 3, 15),
                )
            )["mandate_id"]
        )
    )
    run(
        c.WithdrawMember(
            actor="registrar",
            member_id=leaver,
            application_document=signed(date(2026, 7, 1), "W"),
            effective_on=date(2026, 7, 1),
            decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID, date(2026, 7, 3), "Bureau No. 7"),
        )
    )

    stored = _every_stored_event(registry)
    published = list(to_integration_events(stored))
    mine = [p for p in published if p.aggregate_id == deputy]

    _assert_published_safely(published, deputy_data, leaver_data)
    assert [p.event_type.removeprefix("registry.member.") for p in mine] == [
        "application_submitted",
        "admitted",
        "residence_change_reported",
        "transfer_requested",
        "transferred",
        "mandate_recorded",
        "mandate_ended",
        "mandate_recorded",
        "disciplinary_case_opened",
        "disciplinary_case_dismissed",
        "sanction_imposed",
        "appeal_filed",
        "appeal_decided",
        "disciplinary_case_opened",
        "sanction_imposed",
        "national_mandate_at_stake",
        "appeal_filed",
        "appeal_decided",
        "membership_restored",
    ]
    # Every event carries the date the fact took effect, not the day it was recorded.
    assert [p.effective_on for p in mine[2:]] == [
        date(2026, 3, 20),  # moved
        date(2026, 3, 25),  # transfer requested
        date(2026, 4, 1),  # transfer registered
        date(2021, 1, 10),  # maslikhat mandate began
        date(2023, 3, 19),  # ... and ended
        date(2023, 3, 29),  # Mazhilis mandate began
        date(2026, 4, 10),  # case opened
        date(2026, 4, 20),  # ... and dismissed
        date(2026, 4, 25),  # warning
        date(2026, 4, 28),  # appealed
        date(2026, 5, 5),  # upheld
        date(2026, 5, 1),  # second case opened
        date(2026, 5, 15),  # expulsion
        date(2026, 5, 15),  # the mandate at stake from the day membership ended
        date(2026, 6, 1),  # appealed
        date(2026, 6, 20),  # annulled
        date(2026, 6, 20),  # membership restored by that decision
    ]

    [moved] = _of(mine, v1.ResidenceChangeReported)
    assert moved.registration_deadline == date(2026, 9, 20)
    [transferred] = _of(mine, v1.MemberTransferred)
    assert (transferred.from_organisation_id, transferred.to_organisation_id) == (
        tree.ppo,
        other.ppo,
    )
    assert transferred.closes_residence_clock is True
    warned, expelled = _of(mine, v1.SanctionImposed)
    assert (warned.kind, warned.grounds, warned.case_id) == ("warning", [], None)
    assert expelled.kind == "expulsion"
    assert expelled.grounds == ["discrediting_the_party", "other"]
    assert expelled.other_ground == "Charter Ch. 3.3"
    assert expelled.case_id == case
    assert expelled.organisation_id == other.ppo
    assert expelled.decision.body.kind == "party_bureau"
    assert expelled.appeal_deadline == date(2026, 8, 15)
    assert {
        (p.member_id, p.mandate_id, p.reason) for p in _of(published, v1.NationalMandateAtStake)
    } == {
        (deputy, mazhilis, "exclusion"),
        (leaver, kurultai, "withdrawal"),
    }
    # Ch. 3.7, 9.5: the Bureau that formalised the deputy's withdrawal travels with it.
    [left] = [p for p in _of(published, v1.MembershipEnded) if p.member_id == leaver]
    assert (left.reason, left.decision, left.effective_on) == ("withdrawal", None, date(2026, 7, 1))
    assert left.formalised_by is not None
    assert (left.formalised_by.body.kind, left.formalised_by.reference) == (
        "party_bureau",
        "Bureau No. 7",
    )
    upheld, annulled = _of(mine, v1.AppealDecided)
    assert (upheld.outcome, upheld.sanction_id) == ("upheld", warning)
    assert (annulled.outcome, annulled.replacement, annulled.sanction_id) == (
        "annulled",
        None,
        expulsion,
    )
    [restored_event] = _of(mine, v1.MembershipRestored)
    assert restored_event.sanction_id == expulsion

    # A restoration carries the appeal decision that restored it, so it translates on its own.
    restored, position = next((e, p) for e, p in stored if isinstance(e, Member.MembershipRestored))
    assert to_integration_event(restored, position) == restored_event
    assert restored_event.effective_on == restored.decision.decided_on


def test_an_event_without_a_contract_is_refused() -> None:
    class Promoted:  # not a registry event
        originator_id = uuid4()
        originator_version = 3
        timestamp = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
        recorded_by = "registrar"

    with pytest.raises(TypeError, match=r"no integration event for .*Promoted"):
        to_integration_event(Promoted())
