"""Every stored event translates to a valid contract event, and none carries personal data."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from partia_contracts.registry import parse_registry_event
from partia_registry.adapters.integration_events import to_integration_event
from partia_registry.application import commands as c
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.members import TerminationGround
from partia_registry.domain.organisations import OrganisationKind
from tests.registry.builders import (
    admit,
    apply,
    build_tree,
    decided,
    make_iin,
    names,
    ok,
    person,
    signed,
)


def _every_stored_event(registry: Registry) -> list[tuple[object, int]]:
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

    published = [to_integration_event(e, position) for e, position in _every_stored_event(registry)]
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
