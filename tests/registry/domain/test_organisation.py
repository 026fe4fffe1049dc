"""An organisation of the party's tree: founded, renamed, moved, dissolved (Ch. 6, 9.5, 9.8)."""

from __future__ import annotations

from datetime import date
from functools import reduce
from uuid import uuid4

import pytest

from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.organisations import Organisation, OrganisationKind, OrganisationNames
from partia_registry.domain.rules import StateConflict
from tests.registry.domain.support import decided

K = OrganisationKind
FOUNDED = date(2026, 1, 20)
DISTRICT = uuid4()
OTHER_DISTRICT = uuid4()


def _names(en: str) -> OrganisationNames:
    return OrganisationNames(kk=f"{en} (kk)", ru=f"{en} (ru)", en=en)


def _bureau(on: date):
    return decided(BodyKind.BRANCH_BUREAU, DISTRICT, on)


def _ppo(**kwargs) -> Organisation:
    return Organisation.found(
        kind=K.PRIMARY_ORGANISATION,
        parent_id=DISTRICT,
        names=_names("PPO No. 1"),
        decision=_bureau(FOUNDED),
        recorded_by="clerk-found",
        **kwargs,
    )


def _dissolved() -> Organisation:
    ppo = _ppo()
    ppo.dissolve(_bureau(date(2026, 6, 1)), "clerk")
    return ppo


def test_a_founded_organisation_is_active_from_the_decision_date():
    ppo = _ppo(code="AST-YES-001")
    assert ppo.kind is K.PRIMARY_ORGANISATION
    assert ppo.parent_id == DISTRICT
    assert ppo.names == _names("PPO No. 1")
    assert ppo.code == "AST-YES-001"
    assert ppo.founded_on == FOUNDED
    assert ppo.is_active
    assert ppo.dissolved_on is None


def test_an_organisation_may_be_founded_with_a_given_id():
    chosen = uuid4()
    assert _ppo(organisation_id=chosen).id == chosen


def test_organisations_keep_their_names_in_kazakh_russian_and_english():
    ppo = _ppo()
    assert (ppo.names.kk, ppo.names.ru, ppo.names.en) == (
        "PPO No. 1 (kk)",
        "PPO No. 1 (ru)",
        "PPO No. 1",
    )


def test_renaming_changes_all_three_names():
    ppo = _ppo()
    ppo.rename(_names("PPO Green Street"), _bureau(date(2026, 2, 1)), "clerk")
    assert ppo.names == _names("PPO Green Street")


def test_ch_6_9_moving_puts_the_organisation_under_its_new_parent():
    ppo = _ppo()
    ppo.collect_events()
    ppo.move(OTHER_DISTRICT, _bureau(date(2026, 2, 1)), "clerk-move")
    assert ppo.parent_id == OTHER_DISTRICT
    (moved,) = ppo.collect_events()
    assert moved.from_parent_id == DISTRICT
    assert moved.to_parent_id == OTHER_DISTRICT
    assert moved.recorded_by == "clerk-move"


def test_ch_6_9_an_organisation_cannot_be_moved_to_the_parent_it_already_has():
    ppo = _ppo()
    ppo.collect_events()
    with pytest.raises(StateConflict) as refused:
        ppo.move(DISTRICT, _bureau(date(2026, 2, 1)), "clerk")
    assert refused.value.rule == "already-there"
    assert refused.value.field == "parent_id"
    assert ppo.pending_events == []


def test_the_party_itself_cannot_be_moved():
    party = Organisation.found(
        kind=K.PARTY,
        parent_id=None,
        names=_names("Baytaq"),
        decision=decided(BodyKind.PARTY_CONGRESS, uuid4(), date(2022, 9, 24)),
        recorded_by="bootstrap",
    )
    with pytest.raises(StateConflict) as refused:
        party.move(uuid4(), decided(BodyKind.PARTY_CONGRESS, party.id, date(2026, 1, 1)), "clerk")
    assert refused.value.rule == "party-cannot-move"
    assert party.parent_id is None


def test_ch_9_8_dissolution_takes_effect_on_the_decision_date():
    ppo = _ppo()
    ppo.dissolve(_bureau(date(2026, 6, 1)), "clerk")
    assert not ppo.is_active
    assert ppo.dissolved_on == date(2026, 6, 1)


def test_ch_9_8_an_organisation_may_be_dissolved_on_the_day_it_was_founded():
    ppo = _ppo()
    ppo.dissolve(_bureau(FOUNDED), "clerk")
    assert ppo.dissolved_on == FOUNDED


def test_ch_9_8_an_organisation_cannot_be_dissolved_before_it_was_founded():
    ppo = _ppo()
    with pytest.raises(StateConflict) as refused:
        ppo.dissolve(_bureau(date(2026, 1, 19)), "clerk")
    assert refused.value.rule == "dissolved-before-founded"
    assert refused.value.field == "decision.decided_on"
    assert str(FOUNDED) in refused.value.message
    assert ppo.is_active


@pytest.mark.parametrize(
    "act",
    [
        lambda org: org.rename(_names("New"), _bureau(date(2026, 7, 1)), "clerk"),
        lambda org: org.move(OTHER_DISTRICT, _bureau(date(2026, 7, 1)), "clerk"),
        lambda org: org.dissolve(_bureau(date(2026, 7, 1)), "clerk"),
    ],
    ids=["rename", "move", "dissolve"],
)
def test_ch_9_8_nothing_can_be_done_to_a_dissolved_organisation(act):
    ppo = _dissolved()
    ppo.collect_events()
    with pytest.raises(StateConflict) as refused:
        act(ppo)
    assert refused.value.rule == "organisation-dissolved"
    assert "2026-06-01" in refused.value.message
    assert ppo.pending_events == []
    assert ppo.dissolved_on == date(2026, 6, 1)
    assert ppo.parent_id == DISTRICT
    assert ppo.names == _names("PPO No. 1")


def test_every_organisation_event_says_who_recorded_it_in_version_order():
    ppo = _ppo()
    ppo.rename(_names("PPO 1a"), _bureau(date(2026, 2, 1)), "clerk-rename")
    ppo.move(OTHER_DISTRICT, _bureau(date(2026, 3, 1)), "clerk-move")
    ppo.dissolve(_bureau(date(2026, 4, 1)), "clerk-dissolve")
    events = ppo.collect_events()
    assert [type(e).__name__ for e in events] == ["Created", "Renamed", "Moved", "Dissolved"]
    assert [e.originator_version for e in events] == [1, 2, 3, 4]
    assert [e.recorded_by for e in events] == [
        "clerk-found",
        "clerk-rename",
        "clerk-move",
        "clerk-dissolve",
    ]
    assert [e.decision.decided_on for e in events] == [
        FOUNDED,
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]


def test_replaying_an_organisations_events_rebuilds_it():
    ppo = _ppo(code="X-1")
    ppo.rename(_names("PPO 1a"), _bureau(date(2026, 2, 1)), "clerk")
    ppo.move(OTHER_DISTRICT, _bureau(date(2026, 3, 1)), "clerk")
    ppo.dissolve(_bureau(date(2026, 4, 1)), "clerk")
    rebuilt = reduce(lambda aggregate, event: event.mutate(aggregate), ppo.collect_events(), None)
    assert rebuilt is not None
    for attribute in (
        "id",
        "version",
        "kind",
        "parent_id",
        "names",
        "code",
        "founded_on",
        "dissolved_on",
        "is_active",
    ):
        assert getattr(rebuilt, attribute) == getattr(ppo, attribute), attribute
