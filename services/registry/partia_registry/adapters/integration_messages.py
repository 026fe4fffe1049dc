"""The relay's fast path: a stored event's contract JSON built straight from the stored JSON.

`integration_events.to_integration_event` is the one translation (decode the domain event, build
and validate the pydantic contract model, serialise it). It cost the relay about 60 µs an event,
most of the relay's time. For the events that make up nearly all of the log (applications,
admissions, organisations created) the stored state already holds the contract's fields under the
contract's names, so this module parses the stored JSON with pydantic-core's parser, takes the
contract's fields in the contract's order, and serialises with pydantic-core: the same bytes as
the model's `model_dump_json` (pinned by tests/registry/relay/test_published_bytes.py against the
model path for every covered type), for a fraction of the cost.

What it does not do: run the contract's validators. The stored events were validated by the
domain when written; anything this module does not recognise exactly (another event type, a
class version other than 1, a value wrapped in a type it does not know, a missing field, a
timestamp not in UTC) returns None and the caller takes the model path.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel
from pydantic_core import from_json, to_json

from partia_contracts.event_id import EVENT_ID_NAMESPACE
from partia_contracts.registry import v1
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import Organisation

Shape = tuple[tuple[str, "Shape | None"], ...]
"""A contract model's fields in order, each with the shape of its nested model (or None)."""

_ENVELOPE = frozenset(v1.IntegrationEvent.model_fields)
_NAMESPACE = EVENT_ID_NAMESPACE.bytes
_OWN_DATE_FIELDS = ("effective_on", "moved_on", "requested_on", "opened_on", "filed_on", "ended_on")
_READ_FOR_ENVELOPE = (
    "timestamp",
    "recorded_by",
    "decision",
    "mandate",
    "application_document",
    *_OWN_DATE_FIELDS,
)


class _Unfit(Exception):
    """This stored event is not one the fast path reproduces exactly."""


class FastEvent(NamedTuple):
    """A contract event's JSON body and what the message headers need (a named tuple: cheaper
    to make than a frozen dataclass, once per event)."""

    body: bytes
    event_id: str
    event_type: str
    """The contract's `event_type`, e.g. `registry.member.admitted`."""
    schema_version: int
    aggregate_id: str
    recorded_at: str
    effective_on: str


def _shape(model: type[BaseModel]) -> Shape:
    fields: list[tuple[str, Shape | None]] = []
    for name, info in model.model_fields.items():
        candidates = typing.get_args(info.annotation) or (info.annotation,)
        nested = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        fields.append((name, None if nested is None else _shape(nested)))
    return tuple(fields)


@dataclass(frozen=True)
class _Translation:
    event_type: str
    schema_version: int
    id_field: str
    """The contract field that repeats the aggregate id (`member_id`, `organisation_id`)."""
    fields: Shape
    """The event-specific fields (the envelope's are computed)."""
    needed: frozenset[str]
    """The stored fields read (the others, personal data among them, are not even unwrapped)."""


def _translation(model: type[v1.IntegrationEvent], id_field: str) -> _Translation:
    fields = model.model_fields
    own = tuple((n, s) for n, s in _shape(model) if n not in _ENVELOPE)
    return _Translation(
        event_type=str(fields["event_type"].default),
        schema_version=int(fields["schema_version"].default),
        id_field=id_field,
        fields=own,
        needed=frozenset((*(n for n, _ in own), *_READ_FOR_ENVELOPE)),
    )


def _topic(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_COVERED: dict[type[Any], tuple[type[v1.IntegrationEvent], str]] = {
    Organisation.Created: (v1.OrganisationCreated, "organisation_id"),
    Member.ApplicationSubmitted: (v1.MembershipApplicationSubmitted, "member_id"),
    Member.ApplicationRejected: (v1.MembershipApplicationRejected, "member_id"),
    Member.Admitted: (v1.MemberAdmitted, "member_id"),
}
"""Domain events whose stored fields are the contract's fields, one to one (see the tests)."""

TRANSLATIONS: dict[str, _Translation] = {
    _topic(cls): _translation(model, id_field)
    for cls, (model, id_field) in _COVERED.items()
    if getattr(cls, "class_version", 1) == 1  # an upcast event takes the model path
}


def fast_integration_event(
    topic: str, state: bytes, originator_id: str, originator_version: int, position: int
) -> FastEvent | None:
    """The contract event's JSON for a stored event, or None when the model path must do it.
    `originator_id` is the aggregate id as text (with dashes)."""
    translation = TRANSLATIONS.get(topic)
    if translation is None:
        return None
    try:
        return _translate(
            translation,
            from_json(state, cache_strings="keys"),
            originator_id,
            originator_version,
            position,
        )
    except (_Unfit, KeyError, TypeError, ValueError):
        return None


def _translate(
    t: _Translation, stored: dict[str, Any], aggregate_id: str, version: int, position: int
) -> FastEvent:
    if "class_version" in stored:
        raise _Unfit
    needed = t.needed
    plain = {
        name: _plain(value) if type(value) in _NESTED else value
        for name, value in stored.items()
        if name in needed
    }
    recorded_at = plain["timestamp"]
    effective = _effective_on(plain, recorded_at)
    event_id = event_id_text(aggregate_id, version)
    body: dict[str, Any] = {
        "event_id": event_id,
        "event_type": t.event_type,
        "schema_version": t.schema_version,
        "aggregate_id": aggregate_id,
        "aggregate_version": version,
        "position": position,
        "recorded_at": recorded_at,
        "recorded_by": plain["recorded_by"],
        "effective_on": effective,
    }
    for name, shape in t.fields:
        value: Any = aggregate_id if name == t.id_field else plain[name]
        body[name] = value if shape is None or value is None else _reshape(value, shape)
    return FastEvent(
        body=to_json(body),
        event_id=event_id,
        event_type=t.event_type,
        schema_version=t.schema_version,
        aggregate_id=aggregate_id,
        recorded_at=recorded_at,
        effective_on=effective,
    )


def _reshape(value: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """A nested value object's fields in the contract's order (a missing one raises KeyError)."""
    return {
        name: value[name] if sub is None or value[name] is None else _reshape(value[name], sub)
        for name, sub in shape
    }


def _effective_on(plain: dict[str, Any], recorded_at: str) -> str:
    """`partia_registry.domain.dates.effective_on`, on the stored form (dates as ISO text)."""
    own = plain.get("effective_on")
    if own is not None:
        return str(own)
    decision = plain.get("decision")
    if decision is not None:
        return str(decision["decided_on"])
    for name in _OWN_DATE_FIELDS:
        if plain.get(name) is not None:
            return str(plain[name])
    if plain.get("mandate") is not None:
        return str(plain["mandate"]["started_on"])
    if plain.get("application_document") is not None:
        return str(plain["application_document"]["signed_on"])
    return recorded_at[:10]


def _uuid(hex_: str) -> str:
    if len(hex_) != 32:
        raise _Unfit
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


def _utc(iso: str) -> str:
    """An aware UTC datetime as pydantic writes it (`Z`); anything else is unfit."""
    if not iso.endswith("+00:00"):
        raise _Unfit
    return iso[:-6] + "Z"


_VALUE_OBJECTS = frozenset(
    ("decision", "deciding_body", "application_document", "organisation_names")
)
_SCALARS: dict[str, Callable[[Any], Any]] = {
    "uuid_hex": _uuid,
    "date_iso": str,
    "datetime_iso": _utc,
}


_NESTED = (dict, list)
"""The stored values `_plain` has to look into (the others it returns as they are: callers skip
the call for them, the relay's hottest path)."""


def _plain(value: Any) -> Any:
    """A stored value as the contract's JSON writes it; personal data or an unknown type is
    unfit (no covered contract field holds them, and an unknown type may not be one-to-one)."""
    if type(value) is dict:
        kind = value.get("_type_")
        if kind is None:
            return {k: _plain(v) if type(v) in _NESTED else v for k, v in value.items()}
        if kind in _VALUE_OBJECTS:
            return _plain(value["_data_"])
        scalar = _SCALARS.get(kind)
        if scalar is None:
            return _Skipped
        return scalar(value["_data_"])
    if type(value) is list:
        return [_plain(v) for v in value]
    return value


class _Skipped:
    """Stands for a stored value no covered contract field takes (e.g. sealed personal data);
    it can never reach the JSON: `to_json` refuses it, and the model path is taken."""


def event_id_text(aggregate_id: str, aggregate_version: int) -> str:
    """`derive_event_id(…)` as text, without building UUID objects (same UUIDv5 algorithm: the
    version nibble set to 5, the variant's two top bits to 10)."""
    h = hashlib.sha1(_NAMESPACE + f"{aggregate_id}/{aggregate_version}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {f"{n:x}": f"{8 | (n & 3):x}" for n in range(16)}
"""The first hex digit of the UUID's 9th byte once its top two bits are set to 10."""
