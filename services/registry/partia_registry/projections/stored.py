"""Where the rolls' facts sit in a stored event: read by Python here and by SQL in `rebuild.py`.

Decoding a whole domain event costs ~35 µs (a Python call for every nested value); the rolls need
a handful of fields. This module is the one place that knows the stored form ({"_type_": ...,
"_data_": ...} for UUIDs, dates and value objects): `SOURCES` says, for each kind of event that
matters to the rolls, which step it is and the JSON path of each of the step's fields. The live
read model reads those paths with `json.loads` and a few lookups; a rebuild has PostgreSQL read the
same paths (`sql_field`). Tests check that both agree with `ledger.steps_from_event`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from partia_registry.domain.discipline import SanctionKind
from partia_registry.domain.members import EXCLUSION, WITHDRAWAL, Member
from partia_registry.domain.organisations import Organisation
from partia_registry.projections.ledger import (
    Admitted,
    Applied,
    Left,
    Moved,
    Restored,
    Step,
    UnitDissolved,
    UnitFounded,
    UnitMoved,
)

COLUMN_TYPES = {
    "organisation": "uuid",
    "on_date": "date",
    "card_number": "text",
    "reason": "text",
    "kind": "text",
    "sex": "text",
    "birth_year": "int",
}
"""The step fields an event can carry (besides its originator), as the rebuild's columns."""

STEP_CODES: dict[type[Step], int] = {
    Applied: 1,
    Admitted: 2,
    Left: 3,
    Moved: 4,
    Restored: 5,
    UnitFounded: 6,
    UnitMoved: 7,
    UnitDissolved: 8,
}


@dataclass(frozen=True)
class Field:
    """One field of a step: found at a JSON path in the stored state, or always the same value."""

    column: str
    path: tuple[str, ...] = ()
    constant: str | None = None


@dataclass(frozen=True)
class Source:
    """A kind of stored event that is a step on the rolls: the step and where its fields are, in
    the step's own order after the originator; `only_if` narrows it to events whose value at a
    path is the one given (a sanction is a step only when it is an expulsion)."""

    step: type[Step]
    fields: tuple[Field, ...] = ()
    only_if: tuple[tuple[str, ...], str] | None = None


DECIDED_ON = Field("on_date", ("decision", "_data_", "decided_on", "_data_"))
DEMOGRAPHICS = (
    Field("sex", ("demographics", "_data_", "sex")),
    Field("birth_year", ("demographics", "_data_", "birth_year")),
)

SOURCES: dict[str, Source] = {
    get_topic(Member.ApplicationSubmitted): Source(Applied, DEMOGRAPHICS),
    get_topic(Member.NewApplicationSubmitted): Source(Applied, DEMOGRAPHICS),
    get_topic(Member.Admitted): Source(
        Admitted,
        (
            Field("organisation", ("organisation_id", "_data_")),
            Field("card_number", ("card_number",)),
            DECIDED_ON,
        ),
    ),
    get_topic(Member.Withdrew): Source(
        Left, (Field("on_date", ("effective_on", "_data_")), Field("reason", constant=WITHDRAWAL))
    ),
    get_topic(Member.MembershipTerminated): Source(
        Left, (DECIDED_ON, Field("reason", ("ground",)))
    ),
    get_topic(Member.SanctionImposed): Source(
        Left,
        (DECIDED_ON, Field("reason", constant=EXCLUSION)),
        only_if=(("kind",), SanctionKind.EXPULSION.value),
    ),
    get_topic(Member.MembershipRestored): Source(Restored),
    get_topic(Member.Transferred): Source(
        Moved, (Field("organisation", ("to_organisation_id", "_data_")), DECIDED_ON)
    ),
    get_topic(Organisation.Created): Source(
        UnitFounded,
        (Field("kind", ("kind",)), Field("organisation", ("parent_id", "_data_")), DECIDED_ON),
    ),
    get_topic(Organisation.Moved): Source(
        UnitMoved, (Field("organisation", ("to_parent_id", "_data_")), DECIDED_ON)
    ),
    get_topic(Organisation.Dissolved): Source(UnitDissolved, (DECIDED_ON,)),
}


# --- read by Python (the live read model) -------------------------------------------------------

State = dict[str, Any]
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "uuid": lambda hex_digits: UUID(hex=hex_digits),
    "date": date.fromisoformat,
    "int": int,
    "text": str,
}


def _at(state: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if state is None:
            return None
        state = state[key]
    return state


def _getter(f: Field) -> Callable[[State], Any]:
    constant = f.constant
    if constant is not None:
        return lambda _: constant
    path, convert = f.path, _CONVERT[COLUMN_TYPES[f.column]]

    def get(state: State) -> Any:
        value = _at(state, path)
        return None if value is None else convert(value)

    return get


def _reader(source: Source) -> Callable[[UUID, State], tuple[Step, ...]]:
    getters = [_getter(f) for f in source.fields]
    step, only_if = source.step, source.only_if

    def read(originator_id: UUID, state: State) -> tuple[Step, ...]:
        if only_if is not None and _at(state, only_if[0]) != only_if[1]:
            return ()
        return (step(originator_id, *(get(state) for get in getters)),)

    return read


_READERS = {topic: _reader(source) for topic, source in SOURCES.items()}


def steps_from_stored(topic: str, state: bytes, originator_id: UUID) -> tuple[Step, ...]:
    reader = _READERS.get(topic)
    if reader is None:
        return ()  # the event changes nothing on the rolls: not even decoded
    return reader(originator_id, json.loads(state))


# --- read by PostgreSQL (a rebuild) -------------------------------------------------------------


def sql_path(path: tuple[str, ...]) -> str:
    """A JSON path as a PostgreSQL text[] literal (the keys are ours: plain identifiers)."""
    assert all(key.isidentifier() for key in path)
    return "{" + ",".join(path) + "}"
