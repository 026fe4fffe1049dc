"""The party's tree: party → regional branches → territorial branches → PPOs → groups (Ch. 6)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from partia_registry.domain.decisions import Decision
from partia_registry.domain.rules import StateConflict


class OrganisationKind(StrEnum):
    PARTY = "party"
    REGIONAL_BRANCH = (
        "regional_branch"  # Ch. 6.3-6.4: region, city of republican significance, capital
    )
    TERRITORIAL_BRANCH = "territorial_branch"  # Ch. 6.3, 6.10: district or city branch
    PRIMARY_ORGANISATION = "primary_organisation"  # Ch. 6.6, 6.9
    PARTY_GROUP = "party_group"  # Ch. 6.7: inside a PPO


@dataclass(frozen=True, slots=True)
class OrganisationNames:
    """The party works in Kazakh, Russian and English; every organisation is named in all three."""

    kk: str
    ru: str
    en: str


class Organisation(Aggregate):
    """One unit of the party's structure. Its members are on their own records, not here."""

    class Created(Aggregate.Created):
        kind: str
        parent_id: UUID | None
        names: OrganisationNames
        code: str | None
        decision: Decision
        recorded_by: str

    class Renamed(Aggregate.Event):
        names: OrganisationNames
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.names = self.names

    class Moved(Aggregate.Event):
        from_parent_id: UUID
        to_parent_id: UUID
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.parent_id = self.to_parent_id

    class Dissolved(Aggregate.Event):
        decision: Decision
        recorded_by: str

        def apply(self, aggregate: Any) -> None:
            aggregate.dissolved_on = self.decision.decided_on

    def __init__(
        self,
        kind: str,
        parent_id: UUID | None,
        names: OrganisationNames,
        code: str | None,
        decision: Decision,
        recorded_by: str,
    ) -> None:
        self.kind = OrganisationKind(kind)
        self.parent_id = parent_id
        self.names = names
        self.code = code
        self.founded_on = decision.decided_on
        self.dissolved_on: Any = None

    @staticmethod
    def create_id(**_: Any) -> UUID:
        return uuid4()

    @classmethod
    def found(
        cls,
        *,
        kind: OrganisationKind,
        parent_id: UUID | None,
        names: OrganisationNames,
        decision: Decision,
        recorded_by: str,
        code: str | None = None,
        organisation_id: UUID | None = None,
    ) -> Organisation:
        return cls._create(
            cls.Created,
            id=organisation_id,
            kind=kind.value,
            parent_id=parent_id,
            names=names,
            code=code,
            decision=decision,
            recorded_by=recorded_by,
        )

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None

    def rename(self, names: OrganisationNames, decision: Decision, recorded_by: str) -> None:
        self._require_active()
        self.trigger_event(self.Renamed, names=names, decision=decision, recorded_by=recorded_by)

    def move(self, to_parent_id: UUID, decision: Decision, recorded_by: str) -> None:
        self._require_active()
        if self.parent_id is None:
            raise StateConflict("party-cannot-move", "Ch. 6.2", "the party itself has no parent")
        if to_parent_id == self.parent_id:
            raise StateConflict(
                "already-there",
                "Ch. 6.9",
                "the organisation is already under that parent",
                field="parent_id",
            )
        self.trigger_event(
            self.Moved,
            from_parent_id=self.parent_id,
            to_parent_id=to_parent_id,
            decision=decision,
            recorded_by=recorded_by,
        )

    def dissolve(self, decision: Decision, recorded_by: str) -> None:
        self._require_active()
        if decision.decided_on < self.founded_on:
            raise StateConflict(
                "dissolved-before-founded",
                "Ch. 9.8",
                f"the organisation was founded on {self.founded_on}; it cannot be dissolved earlier",
                field="decision.decided_on",
            )
        self.trigger_event(self.Dissolved, decision=decision, recorded_by=recorded_by)

    def _require_active(self) -> None:
        if not self.is_active:
            raise StateConflict(
                "organisation-dissolved",
                "Ch. 9.8",
                f"the organisation was dissolved on {self.dissolved_on}",
            )
