"""Loading a new installation with the real top of the tree: the party and its regional branches."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any
from uuid import UUID

from partia_kit.auth.scope import bootstrapped_organisation_id
from partia_registry.application.ports import Store
from partia_registry.domain.decisions import BodyKind, DecidingBody, Decision
from partia_registry.domain.organisations import Organisation, OrganisationKind, OrganisationNames
from partia_registry.domain.rules import NotFound

BOOTSTRAP_ACTOR = "bootstrap"


@dataclass(frozen=True)
class RegionalBranchDefinition:
    code: str
    names: OrganisationNames


@dataclass(frozen=True)
class PartyDefinition:
    code: str
    names: OrganisationNames
    founded_on: date
    founding_reference: str
    regional_branches: tuple[RegionalBranchDefinition, ...]

    @property
    def party_id(self) -> UUID:
        return organisation_id(self.code, "party")

    @classmethod
    def load(cls, party: str) -> PartyDefinition:
        text = (
            resources.files("partia_registry.parties").joinpath(f"{party}.toml").read_text("utf-8")
        )
        data: dict[str, Any] = tomllib.loads(text)
        return cls(
            code=data["code"],
            names=OrganisationNames(**data["names"]),
            founded_on=data["founded_on"],
            founding_reference=data["founding_reference"],
            regional_branches=tuple(
                RegionalBranchDefinition(b["code"], OrganisationNames(b["kk"], b["ru"], b["en"]))
                for b in data["regional_branches"]
            ),
        )


organisation_id = bootstrapped_organisation_id
"""Stable ids for the bootstrapped organisations, so bootstrapping twice changes nothing
(`partia_kit.auth.scope`: other services derive the party's root the same way)."""


def bootstrap_party(store: Store, party: PartyDefinition) -> int:
    """Create the party and any of its regional branches that do not exist yet; return how many
    organisations were created. Founding is the Congress's decision (Ch. 1.1, 6.4)."""
    uow = store.unit_of_work()
    founding = Decision(
        DecidingBody(BodyKind.PARTY_CONGRESS, party.party_id),
        party.founded_on,
        party.founding_reference,
    )
    created = 0
    wanted = [(party.party_id, OrganisationKind.PARTY, None, party.names, party.code)] + [
        (
            organisation_id(party.code, b.code),
            OrganisationKind.REGIONAL_BRANCH,
            party.party_id,
            b.names,
            b.code,
        )
        for b in party.regional_branches
    ]
    for the_id, kind, parent_id, names, code in wanted:
        try:
            uow.organisation(the_id)
        except NotFound:
            uow.add(
                Organisation.found(
                    kind=kind,
                    parent_id=parent_id,
                    names=names,
                    decision=founding,
                    recorded_by=BOOTSTRAP_ACTOR,
                    code=code,
                    organisation_id=the_id,
                )
            )
            created += 1
    uow.commit()
    return created
