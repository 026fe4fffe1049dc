"""Folding the registry's events into who was on which roll when (membership spells).

A spell is one stretch of membership on one organisation's roll: it opens on admission (or on the
day a transfer takes effect) and closes when the member leaves that roll. On any business date a
member is on at most one roll, and a member is on exactly one while a member: a transfer closes one
spell and opens the next on the same date, in the same event. This module is pure (no I/O): the
live projections and the auditor's replay both use it, so they cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from partia_registry.domain.discipline import SanctionKind
from partia_registry.domain.members import EXCLUSION, WITHDRAWAL, Member
from partia_registry.domain.organisations import Organisation

TRANSFER = "transfer"
"""Why a spell ended when its member moved to another roll."""


@dataclass(slots=True)
class Spell:
    spell_id: int
    member_id: UUID
    organisation_id: UUID
    card_number: str
    valid_from: date
    valid_to: date | None  # exclusive: the member is off this roll from this date
    end_reason: str | None
    admitted_on: date
    sex: str
    birth_year: int


@dataclass(slots=True)
class OrganisationSpell:
    spell_id: int
    organisation_id: UUID
    kind: str
    parent_id: UUID | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class Fact:
    """Something to count over a period: admitted, ended (with reason), transfer in or out."""

    kind: str
    member_id: UUID
    organisation_id: UUID
    on: date
    reason: str | None = None


@dataclass
class Changes:
    """What one batch of events did to the read model, in order."""

    opened: list[Spell] = field(default_factory=list)
    closed: list[Spell] = field(default_factory=list)  # spells whose valid_to/end_reason changed
    organisations: list[OrganisationSpell] = field(default_factory=list)  # new or changed
    facts: list[Fact] = field(default_factory=list)
    current: Counter[tuple[UUID, str, int]] = field(default_factory=Counter)
    """Change in today's counts by (organisation, sex, birth year): the current report's source."""


class Applied(NamedTuple):
    member_id: UUID
    sex: str
    birth_year: int


class Admitted(NamedTuple):
    member_id: UUID
    organisation_id: UUID
    card_number: str
    on: date


class Left(NamedTuple):
    member_id: UUID
    on: date
    reason: str


class Moved(NamedTuple):
    member_id: UUID
    to_organisation_id: UUID
    on: date


class Restored(NamedTuple):
    member_id: UUID


class UnitFounded(NamedTuple):
    organisation_id: UUID
    kind: str
    parent_id: UUID | None
    on: date


class UnitMoved(NamedTuple):
    organisation_id: UUID
    parent_id: UUID
    on: date


class UnitDissolved(NamedTuple):
    organisation_id: UUID
    on: date


Step = Applied | Admitted | Left | Moved | Restored | UnitFounded | UnitMoved | UnitDissolved
"""What an event means for the rolls; every other event means nothing for them."""


def steps_from_event(e: Any) -> tuple[Step, ...]:
    """The steps of a domain event (stored.py reads the same from stored bytes, faster)."""
    me = e.originator_id
    match e:
        case Member.ApplicationSubmitted() | Member.NewApplicationSubmitted():
            return (Applied(me, e.demographics.sex, e.demographics.birth_year),)
        case Member.Admitted():
            return (Admitted(me, e.organisation_id, e.card_number, e.decision.decided_on),)
        case Member.Withdrew():
            return (Left(me, e.effective_on, WITHDRAWAL),)
        case Member.MembershipTerminated():
            return (Left(me, e.decision.decided_on, e.ground),)
        case Member.SanctionImposed() if e.kind == SanctionKind.EXPULSION:
            return (Left(me, e.decision.decided_on, EXCLUSION),)
        case Member.MembershipRestored():
            return (Restored(me),)
        case Member.Transferred():
            return (Moved(me, e.to_organisation_id, e.decision.decided_on),)
        case Organisation.Created():
            return (UnitFounded(me, e.kind, e.parent_id, e.decision.decided_on),)
        case Organisation.Moved():
            return (UnitMoved(me, e.to_parent_id, e.decision.decided_on),)
        case Organisation.Dissolved():
            return (UnitDissolved(me, e.decision.decided_on),)
    return ()


@dataclass(slots=True)
class _Person:
    sex: str
    birth_year: int
    card_number: str | None = None
    admitted_on: date | None = None


class MembershipLedger:
    """The fold's state: each member's open spell and what the next spell needs to know."""

    def __init__(self, *, keep_all: bool = False) -> None:
        self.keep_all = keep_all  # the auditor's replay keeps every spell, to answer any date
        self.all_spells: list[Spell] = []
        self.all_organisation_spells: list[OrganisationSpell] = []
        self.people: dict[UUID, _Person] = {}
        self.open_spells: dict[UUID, Spell] = {}
        self.last_spells: dict[UUID, Spell] = {}  # the latest spell, open or closed
        self.organisations: dict[UUID, OrganisationSpell] = {}
        self.next_spell_id = 1
        self.next_organisation_spell_id = 1

    def apply_all(self, events: Iterable[Any]) -> Changes:
        changes = Changes()
        for event in events:
            self.apply(event, changes)
        return changes

    def apply(self, event: Any, changes: Changes) -> None:
        """Fold one domain event."""
        for step in steps_from_event(event):
            self.record(step, changes)

    def record(self, step: Step, changes: Changes) -> None:
        """Fold one step (what an event means for the rolls)."""
        match step:
            case Applied(member, sex, birth_year):
                self.people[member] = _Person(sex, birth_year)
            case Admitted(member, organisation, card_number, on):
                person = self.people[member]
                person.card_number, person.admitted_on = card_number, on
                self._open(member, organisation, on, changes)
                changes.facts.append(Fact("admitted", member, organisation, on))
            case Left(member, on, reason):
                self._close(member, on, reason, changes)
            case Moved(member, to, on):
                spell = self.open_spells[member]
                self._close(member, on, TRANSFER, changes, fact=False)
                changes.facts.append(Fact("transfer_out", member, spell.organisation_id, on))
                self._open(member, to, on, changes)
                changes.facts.append(Fact("transfer_in", member, to, on))
            case Restored(member):
                self._reopen(member, changes)
            case UnitFounded(unit, kind, parent, on):
                self._organisation(unit, kind, parent, on, changes)
            case UnitMoved(unit, parent, on):
                current = self.organisations[unit]
                self._end_organisation(current, on, changes)
                self._organisation(unit, current.kind, parent, on, changes)
            case UnitDissolved(unit, on):
                self._end_organisation(self.organisations[unit], on, changes)

    def _open(self, member_id: UUID, organisation_id: UUID, on: date, changes: Changes) -> None:
        person = self.people[member_id]
        assert person.card_number is not None
        assert person.admitted_on is not None
        spell = Spell(
            self.next_spell_id,
            member_id,
            organisation_id,
            person.card_number,
            on,
            None,
            None,
            person.admitted_on,
            person.sex,
            person.birth_year,
        )
        self.next_spell_id += 1
        self.open_spells[member_id] = self.last_spells[member_id] = spell
        changes.current[(organisation_id, person.sex, person.birth_year)] += 1
        if self.keep_all:
            self.all_spells.append(spell)
        changes.opened.append(spell)

    def _close(
        self, member_id: UUID, on: date, reason: str, changes: Changes, *, fact: bool = True
    ) -> None:
        spell = self.open_spells.pop(member_id)
        spell.valid_to, spell.end_reason = on, reason
        changes.current[(spell.organisation_id, spell.sex, spell.birth_year)] -= 1
        changes.closed.append(spell)
        if fact:
            changes.facts.append(Fact("ended", member_id, spell.organisation_id, on, reason))

    def _reopen(self, member_id: UUID, changes: Changes) -> None:
        """An annulled expulsion: the membership continues as if it had not ended."""
        spell = self.last_spells[member_id]
        changes.facts.append(
            Fact(
                "restored",
                member_id,
                spell.organisation_id,
                spell.valid_to or spell.valid_from,
                EXCLUSION,
            )
        )
        spell.valid_to, spell.end_reason = None, None
        self.open_spells[member_id] = spell
        changes.current[(spell.organisation_id, spell.sex, spell.birth_year)] += 1
        changes.closed.append(spell)

    def _organisation(
        self, organisation_id: UUID, kind: str, parent_id: UUID | None, on: date, changes: Changes
    ) -> None:
        spell = OrganisationSpell(
            self.next_organisation_spell_id, organisation_id, kind, parent_id, on, None
        )
        self.next_organisation_spell_id += 1
        self.organisations[organisation_id] = spell
        if self.keep_all:
            self.all_organisation_spells.append(spell)
        changes.organisations.append(spell)

    @staticmethod
    def _end_organisation(spell: OrganisationSpell, on: date, changes: Changes) -> None:
        spell.valid_to = on
        changes.organisations.append(spell)
