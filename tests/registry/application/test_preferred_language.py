"""The language a person wants notices in is part of their record: given on the application,
changed by a command, sealed and erased with their other personal data (issue 13 item 3)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from partia_kit.relay import StoredRecord
from partia_kit.vault import SealedPersonalData
from partia_registry.adapters.integration_events import to_integration_events
from partia_registry.application import commands as c
from partia_registry.application.batches import Outcome
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.members import Member
from partia_registry.domain.people import Language
from partia_registry.domain.rules import StateConflict
from partia_registry.relay import registry_messages
from tests.registry.builders import apply, build_tree, decided, ok, person


def change(registry: Registry, member: UUID, language: Language) -> Outcome:
    return registry.writer.execute(
        c.ChangePreferredLanguage(actor="registrar", member_id=member, language=language)
    )


def stored_states(registry: Registry, member: UUID) -> list[tuple[str, str]]:
    """Each stored event of a member as its topic and raw JSON: what a copy of the database
    holds."""
    recorded = registry.events.recorder.select_events(member)
    return [(r.topic, bytes(r.state).decode()) for r in recorded]


def test_a_language_given_on_the_application_is_part_of_the_record_and_sealed(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, replace(person(), preferred_language=Language.RUSSIAN))
    assert registry.queries.member(member)["person"]["preferred_language"] == "ru"
    [(_, state)] = stored_states(registry, member)
    assert "preferred_language" not in state
    assert "Ахметова" not in state


def test_an_application_that_names_no_language_records_none_stated(registry: Registry) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    assert registry.queries.member(member)["person"]["preferred_language"] is None


def test_the_language_is_changed_by_command_sealed_like_the_rest_and_a_repeat_records_nothing(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    receipt = ok(change(registry, member, Language.ENGLISH))
    assert receipt["preferred_language"] == "en"
    view = registry.queries.member(member)
    assert view["person"]["preferred_language"] == "en"
    assert view["person"]["surname"] == "Ахметова"  # the rest of the personal data unchanged
    ok(change(registry, member, Language.ENGLISH))
    states = stored_states(registry, member)
    assert [topic for topic, _ in states] == [
        get_topic(Member.ApplicationSubmitted),
        get_topic(Member.PreferredLanguageChanged),
    ]
    assert all("preferred_language" not in state for _, state in states)
    history = registry.queries.member_history(member)
    assert history[-1]["event"] == "PreferredLanguageChanged"
    assert history[-1]["details"]["personal"]["preferred_language"] == "en"


def test_the_change_is_not_published_to_other_services(registry: Registry) -> None:
    """Integration events carry no personal data; a language is nothing another service acts on
    (notifications ask the registry at send time)."""
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    ok(change(registry, member, Language.RUSSIAN))
    page = registry.queries.log_page(0, 10_000)
    changed = [(e, p) for e, p in page if isinstance(e, Member.PreferredLanguageChanged)]
    assert len(changed) == 1
    assert list(to_integration_events(changed)) == []
    _, position = changed[0]
    stored = registry.events.recorder.select_events(member)[-1]
    record = StoredRecord(position, member, stored.originator_version, stored.topic, stored.state)
    to_messages = registry_messages(registry.events.vault_mapper().without_personal_data())
    assert list(to_messages(record)) == []


def test_an_erased_persons_language_is_gone_with_the_rest_and_cannot_be_set_again(
    registry: Registry,
) -> None:
    tree = build_tree(registry)
    member = apply(registry, tree.ppo, replace(person(), preferred_language=Language.RUSSIAN))
    ok(change(registry, member, Language.ENGLISH))
    ok(
        registry.writer.execute(
            c.RejectApplication(
                actor="registrar",
                member_id=member,
                decision=decided(BodyKind.PPO_MEETING, tree.ppo, date(2026, 3, 5)),
                reason="another party",
            )
        )
    )
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar",
                member_id=member,
                legal_basis="the person's request",
                request_reference="R-1",
            )
        )
    )
    assert registry.queries.member(member)["person"] is None
    history = registry.queries.member_history(member)
    assert [e["details"].get("personal") for e in history if "personal" in e["details"]] == [
        "erased",
        "erased",
    ]
    with pytest.raises(StateConflict) as refused:
        ok(change(registry, member, Language.KAZAKH))
    assert refused.value.rule == "personal-data-erased"


def test_personal_data_stored_before_languages_existed_loads_with_none_stated(
    registry: Registry,
) -> None:
    """Events are forever: an application whose sealed personal data has no
    `preferred_language` (as every one recorded before it existed) still opens, with the
    language not stated."""
    tree = build_tree(registry)
    member = apply(registry, tree.ppo)
    [row] = registry.events.recorder.select_events(member)
    state = json.loads(row.state)
    mapper = registry.events.vault_mapper()
    sealed = SealedPersonalData(state["personal"]["_data_"]["ciphertext"])
    plain = json.loads(mapper.vault.open(member, sealed) or "")
    assert plain["_data_"].pop("preferred_language") is None
    old = mapper.vault.seal(member, json.dumps(plain).encode(), new_owner=False)
    state["personal"]["_data_"]["ciphertext"] = old.ciphertext
    event = mapper.to_domain_event(
        StoredEvent(member, row.originator_version, row.topic, json.dumps(state).encode())
    )
    assert isinstance(event, Member.ApplicationSubmitted)
    assert event.personal.preferred_language is None
    assert event.personal.surname == "Ахметова"
