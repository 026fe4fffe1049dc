"""How the values inside events become JSON and back.

Each value object is stored under a stable name (not its module path), so classes may move.
A field added later must have a default, so older events still load.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from partia_registry.domain.decisions import ApplicationDocument, DecidingBody, Decision
from partia_registry.domain.mandates import Mandate
from partia_registry.domain.organisations import OrganisationNames
from partia_registry.domain.people import Declarations, Demographics, PersonalData


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

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

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


VALUE_OBJECTS: dict[str, type[Any]] = {
    "decision": Decision,
    "deciding_body": DecidingBody,
    "application_document": ApplicationDocument,
    "organisation_names": OrganisationNames,
    "personal_data": PersonalData,
    "demographics": Demographics,
    "declarations": Declarations,
    "mandate": Mandate,
}


def register_registry_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for name, cls in VALUE_OBJECTS.items():
        transcoder.register(ValueObjectAsDict(cls, name))
