"""Where each kind of organisation sits in the party's tree (Ch. 6.3-6.10)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from partia_registry.domain.organisations import OrganisationKind
from partia_registry.domain.rules import RuleViolation

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
