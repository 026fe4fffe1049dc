"""The party's tree on the real database: bootstrap, founding, renaming, moving, dissolving."""

from __future__ import annotations

from datetime import date

import pytest

from partia_registry.application import commands as c
from partia_registry.application.bootstrap import PartyDefinition, bootstrap_party
from partia_registry.composition import Registry
from partia_registry.domain.decisions import BodyKind
from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.rules import RuleViolation, StateConflict
from tests.registry.builders import (
    ALMATY_CITY_ID,
    ASTANA_ID,
    PARTY_ID,
    admit,
    apply,
    build_tree,
    decided,
    names,
    ok,
)


def test_a_new_installation_starts_with_the_party_and_its_twenty_regional_branches(
    registry: Registry,
) -> None:
    """Ch. 6.3-6.4: a branch in every region, city of republican significance and the capital."""
    branches, total = registry.queries.organisations(
        kind="regional_branch", parent_id=None, limit=100, offset=0
    )
    party = registry.queries.organisation(PARTY_ID)

    assert total == 20
    assert {b["parent_id"] for b in branches} == {PARTY_ID}
    assert {"Astana (the capital)", "City of Almaty", "City of Shymkent", "Ulytau Region"} <= {
        b["names"]["en"] for b in branches
    }
    assert all(b["names"]["kk"] and b["names"]["ru"] for b in branches)
    assert party["names"]["kk"] == "Қазақстанның «Байтақ» жасылдар партиясы"


def test_bootstrapping_again_changes_nothing(registry: Registry) -> None:
    assert bootstrap_party(registry.store, PartyDefinition.load("baytaq")) == 0


def test_a_territorial_branch_may_not_be_founded_by_another_regions_bureau(
    registry: Registry,
) -> None:
    """Ch. 9.8: a branch Bureau decides within its own branch."""
    outcome = registry.writer.execute(
        c.CreateOrganisation(
            actor="registrar",
            kind=OrganisationKind.TERRITORIAL_BRANCH,
            parent_id=ASTANA_ID,
            names=names("Yesil"),
            decision=decided(BodyKind.BRANCH_BUREAU, ALMATY_CITY_ID),
        )
    )
    assert isinstance(outcome.error, RuleViolation)
    assert outcome.error.rule == "body-not-competent"


def test_a_ppo_is_renamed_in_all_three_languages(registry: Registry) -> None:
    tree = build_tree(registry)
    ok(
        registry.writer.execute(
            c.RenameOrganisation(
                actor="registrar",
                organisation_id=tree.ppo,
                names=names("Green Yesil PPO"),
                decision=decided(BodyKind.BRANCH_BUREAU, tree.district),
            )
        )
    )
    assert registry.queries.organisation(tree.ppo)["names"] == {
        "kk": "Green Yesil PPO (kk)",
        "ru": "Green Yesil PPO (ru)",
        "en": "Green Yesil PPO",
    }


def test_a_ppo_moves_to_another_district_with_its_members(registry: Registry) -> None:
    tree = build_tree(registry)
    other = build_tree(registry, name="Saryarka")
    admit(registry, apply(registry, tree.ppo), tree.ppo)

    ok(
        registry.writer.execute(
            c.MoveOrganisation(
                actor="registrar",
                organisation_id=tree.ppo,
                to_parent_id=other.district,
                decision=decided(BodyKind.BRANCH_BUREAU, tree.region),
            )
        )
    )

    assert registry.queries.organisation(tree.ppo)["parent_id"] == other.district
    assert registry.queries.organisation(tree.ppo)["member_count"] == 1


def test_moving_a_ppo_to_another_region_needs_the_party_bureau(registry: Registry) -> None:
    """Ch. 9.5, 9.8: a regional Bureau cannot restructure another region."""
    tree = build_tree(registry)
    elsewhere = build_tree(registry, region=ALMATY_CITY_ID, name="Medeu")

    refused = registry.writer.execute(
        c.MoveOrganisation(
            actor="registrar",
            organisation_id=tree.ppo,
            to_parent_id=elsewhere.district,
            decision=decided(BodyKind.BRANCH_BUREAU, tree.region),
        )
    )
    assert isinstance(refused.error, RuleViolation)
    ok(
        registry.writer.execute(
            c.MoveOrganisation(
                actor="registrar",
                organisation_id=tree.ppo,
                to_parent_id=elsewhere.district,
                decision=decided(BodyKind.PARTY_BUREAU, PARTY_ID),
            )
        )
    )


def test_an_organisation_with_members_cannot_be_dissolved(registry: Registry) -> None:
    """Ch. 9.8: dissolution is for organisations whose members have been transferred."""
    tree = build_tree(registry)
    admit(registry, apply(registry, tree.ppo), tree.ppo)
    refused = registry.writer.execute(
        c.DissolveOrganisation(
            actor="registrar",
            organisation_id=tree.ppo,
            decision=decided(BodyKind.BRANCH_BUREAU, tree.district, date(2026, 8, 1)),
        )
    )
    assert isinstance(refused.error, StateConflict)
    assert refused.error.rule == "organisation-has-members"


def test_a_dissolved_ppo_accepts_no_applications(registry: Registry) -> None:
    tree = build_tree(registry)
    ok(
        registry.writer.execute(
            c.DissolveOrganisation(
                actor="registrar",
                organisation_id=tree.ppo,
                decision=decided(BodyKind.BRANCH_BUREAU, tree.district, date(2026, 8, 1)),
            )
        )
    )
    assert registry.queries.organisation(tree.ppo)["dissolved_on"] == date(2026, 8, 1)
    with pytest.raises(StateConflict):
        apply(registry, tree.ppo)


def test_a_branch_with_organisations_under_it_cannot_be_dissolved(registry: Registry) -> None:
    tree = build_tree(registry)
    refused = registry.writer.execute(
        c.DissolveOrganisation(
            actor="registrar",
            organisation_id=tree.district,
            decision=decided(BodyKind.BRANCH_BUREAU, tree.region, date(2026, 8, 1)),
        )
    )
    assert isinstance(refused.error, StateConflict)
    assert refused.error.rule == "organisation-has-units"


def test_a_party_group_is_founded_by_its_ppo_meeting(registry: Registry) -> None:
    """Ch. 6.7: party groups inside a PPO."""
    tree = build_tree(registry)
    group = ok(
        registry.writer.execute(
            c.CreateOrganisation(
                actor="registrar",
                kind=OrganisationKind.PARTY_GROUP,
                parent_id=tree.ppo,
                names=names("Youth group"),
                decision=decided(BodyKind.PPO_MEETING, tree.ppo),
            )
        )
    )
    assert registry.queries.organisation(group["organisation_id"])["kind"] == "party_group"  # type: ignore[arg-type]
