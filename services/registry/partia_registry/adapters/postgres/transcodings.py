"""The registry's value objects inside events, each under a stable name
(`partia_kit.postgres.transcodings`)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import JSONTranscoder

from partia_kit.postgres.transcodings import register_value_objects
from partia_registry.domain.decisions import ApplicationDocument, DecidingBody, Decision
from partia_registry.domain.mandates import Mandate
from partia_registry.domain.organisations import OrganisationNames
from partia_registry.domain.people import Declarations, Demographics, PersonalData

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
    register_value_objects(transcoder, VALUE_OBJECTS)
