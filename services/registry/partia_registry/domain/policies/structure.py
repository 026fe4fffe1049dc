"""Where each kind of organisation sits in the party's tree (Ch. 6.3-6.10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.rules import RuleViolation, StateConflict

K = OrganisationKind

_PARENT_KIND = {
    K.REGIONAL_BRANCH: K.PARTY,  # Ch. 6.3-6.4
    K.TERRITORIAL_BRANCH: K.REGIONAL_BRANCH,  # Ch. 6.10
    K.PRIMARY_ORGANISATION: K.TERRITORIAL_BRANCH,  # Ch. 6.9
    K.PARTY_GROUP: K.PRIMARY_ORGANISATION,  # Ch. 6.7
}

_CLAUSE = {
    K.REGIONAL_BRANCH: "Ch. 6.3",
    K.TERRITORIAL_BRANCH: "Ch. 6.10",
    K.PRIMARY_ORGANISATION: "Ch. 6.9",
    K.PARTY_GROUP: "Ch. 6.7",
}

_ADVICE = {
    K.PRIMARY_ORGANISATION: " (create a district or city branch under the regional branch first)",
}


@dataclass(frozen=True, slots=True)
class OrganisationRef:
    """An organisation as the rules see it: what it is and where it stands."""

    organisation_id: UUID
    kind: OrganisationKind


Ancestry = tuple[OrganisationRef, ...]
"""An organisation followed by its parent, grandparent, ... up to the party."""


def required_parent_kind(kind: OrganisationKind) -> OrganisationKind:
    """The only kind of organisation that `kind` may sit under; the party sits under nothing."""
    if kind is K.PARTY:
        raise RuleViolation(
            "one-party", "Ch. 1.1", "the party is created once, by the bootstrap", field="kind"
        )
    return _PARENT_KIND[kind]


def check_parent(kind: OrganisationKind, parent: OrganisationRef) -> None:
    """A regional branch sits under the party, a territorial branch under a regional branch,
    a PPO under a territorial branch, a group under a PPO (Ch. 6.3, 6.7, 6.9, 6.10)."""
    expected = required_parent_kind(kind)
    if parent.kind is not expected:
        raise RuleViolation(
            "parent-kind",
            _CLAUSE[kind],
            f"a {kind.value} must sit under a {expected.value}, not under a {parent.kind.value}"
            + _ADVICE.get(kind, ""),
            field="parent_id",
        )


def check_founded_by(organisation_id: UUID, founded_on: date, on: date, *, field: str) -> None:
    """Ch. 6.6: nothing is registered in an organisation before it was founded."""
    if on < founded_on:
        raise RuleViolation(
            "organisation-not-yet-founded",
            "Ch. 6.6",
            f"organisation {organisation_id} was founded on {founded_on}, after {on}",
            field=field,
        )


def check_members_belong_to_ppos(organisation: OrganisationRef, *, field: str) -> None:
    """Ch. 6.6, 4.2: members are on the roll of a primary party organisation, nowhere else."""
    if organisation.kind is not K.PRIMARY_ORGANISATION:
        raise RuleViolation(
            "members-belong-to-ppos",
            "Ch. 6.6, 4.2",
            f"members are registered in a primary organisation, and "
            f"{organisation.organisation_id} is a {organisation.kind.value}",
            field=field,
        )


def check_not_under_itself(organisation_id: UUID, new_place: Ancestry) -> None:
    """Ch. 6.2: the tree stays a tree: an organisation cannot be moved under itself or under one
    of its own units (`new_place` is the new parent and its ancestors)."""
    if organisation_id in {ref.organisation_id for ref in new_place}:
        raise RuleViolation(
            "move-into-itself",
            "Ch. 6.2",
            "an organisation cannot sit under itself",
            field="to_parent_id",
        )


def check_may_dissolve(parent_id: UUID | None) -> UUID:
    """Ch. 15.2: the party itself is liquidated by its Congress or a court, not through the
    registry; only its units are dissolved here."""
    if parent_id is None:
        raise RuleViolation(
            "party-cannot-dissolve",
            "Ch. 15.2",
            "the party is liquidated by its Congress or a court, not through the registry",
        )
    return parent_id


def check_empty(members_on_roll: int, active_units: int) -> None:
    """Ch. 9.8: an organisation is dissolved once nobody is left on its roll and no unit sits
    under it: members are transferred and units moved or dissolved first."""
    if members_on_roll:
        raise StateConflict(
            "organisation-has-members",
            "Ch. 9.8",
            f"{members_on_roll} member(s) are still on this organisation's roll; transfer them first",
        )
    if active_units:
        raise StateConflict(
            "organisation-has-units",
            "Ch. 9.8",
            f"{active_units} organisation(s) still sit under this one; move or dissolve them first",
        )
