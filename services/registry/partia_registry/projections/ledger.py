"""Folding the registry's events into who was on which roll when (membership spells).

A spell is one stretch of membership on one organisation's roll: it opens on admission (or on the
day a transfer takes effect) and closes when the member leaves that roll. On any business date a
member is on at most one roll, and a member is on exactly one while a member: a transfer closes one
spell and opens the next on the same date, in the same event. This module is pure (no I/O): the
live projections and the auditor's replay both use it, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from partia_registry.domain.discipline import SanctionKind
from partia_registry.domain.members import EXCLUSION, WITHDRAWAL, Member
from partia_registry.domain.organisations import Organisation


@dataclass
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


@dataclass
class OrganisationSpell:
    spell_id: int
    organisation_id: UUID
    kind: str
    parent_id: UUID | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
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


@dataclass
class _Person:
    sex: str
    birth_year: int
    card_number: str | None = None
    admitted_on: date | None = None
    expelled_on: date | None = None


class MembershipLedger:
    """The fold's state: each member's open spell and what the next spell needs to know."""

    def __init__(self, *, keep_all: bool = False) -> None:
        self.keep_all = keep_all  # a rebuild keeps every spell, to write them all at the end
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

    def apply(self, e: Any, changes: Changes) -> None:
        me = e.originator_id
        match e:
            case Member.ApplicationSubmitted() | Member.NewApplicationSubmitted():
                self.people[me] = _Person(e.demographics.sex, e.demographics.birth_year)
            case Member.Admitted():
                person = self.people[me]
                person.card_number, person.admitted_on = e.card_number, e.decision.decided_on
                self._open(me, e.organisation_id, e.decision.decided_on, changes)
                changes.facts.append(Fact("admitted", me, e.organisation_id, e.decision.decided_on))
            case Member.Withdrew():
                self._close(me, e.effective_on, WITHDRAWAL, changes)
            case Member.MembershipTerminated():
                self._close(me, e.decision.decided_on, e.ground, changes)
            case Member.SanctionImposed() if e.kind == SanctionKind.EXPULSION:
                self.people[me].expelled_on = e.decision.decided_on
                self._close(me, e.decision.decided_on, EXCLUSION, changes)
            case Member.MembershipRestored():
                self._reopen(me, changes)
            case Member.Transferred():
                on = e.decision.decided_on
                spell = self.open_spells[me]
                self._close(me, on, "transfer", changes, fact=False)
                changes.facts.append(Fact("transfer_out", me, spell.organisation_id, on))
                self._open(me, e.to_organisation_id, on, changes)
                changes.facts.append(Fact("transfer_in", me, e.to_organisation_id, on))
            case Organisation.Created():
                self._organisation(me, e.kind, e.parent_id, e.decision.decided_on, changes)
            case Organisation.Moved():
                current = self.organisations[me]
                self._end_organisation(current, e.decision.decided_on, changes)
                self._organisation(me, current.kind, e.to_parent_id, e.decision.decided_on, changes)
            case Organisation.Dissolved():
                self._end_organisation(self.organisations[me], e.decision.decided_on, changes)
            case _:
                pass  # other facts do not change who is on which roll

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
        if self.keep_all:
            self.all_spells.append(spell)
        changes.opened.append(spell)

    def _close(
        self, member_id: UUID, on: date, reason: str, changes: Changes, *, fact: bool = True
    ) -> None:
        spell = self.open_spells.pop(member_id)
        spell.valid_to, spell.end_reason = on, reason
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
