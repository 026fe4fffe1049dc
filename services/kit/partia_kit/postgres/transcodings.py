"""How the values inside events become JSON and back.

Each value object is stored under a stable name (not its module path), so classes may move.
A field added later must have a default, so older events still load. A service names its value
objects (`register_value_objects`); the registry's are in its `adapters/postgres/transcodings.py`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ValueObjectAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields; enum fields come back as enums."""

    def __init__(self, cls: type[Any], name: str) -> None:
        self.type = cls
        self.name = name
        self._enum_fields = _enum_fields(cls)
        # once, not per value: `dataclasses.fields` was ~8 % of finance's writer thread
        self._names = tuple(f.name for f in dataclasses.fields(cls))

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._names}

    def decode(self, data: dict[str, Any]) -> Any:
        for name, enum in self._enum_fields.items():
            if data.get(name) is not None:
                data[name] = enum(data[name])
        return self.type(**data)


def _enum_fields(cls: type[Any]) -> dict[str, type[Enum]]:
    found: dict[str, type[Enum]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        candidates = typing.get_args(hint) or (hint,)
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, Enum):
                found[name] = candidate
    return found


def register_value_objects(
    transcoder: JSONTranscoder, value_objects: Mapping[str, type[Any]]
) -> None:
    """Dates, and each value object under its stable name (never rename one: stored events
    carry it)."""
    transcoder.register(DateAsISO())
    for name, cls in value_objects.items():
        transcoder.register(ValueObjectAsDict(cls, name))
