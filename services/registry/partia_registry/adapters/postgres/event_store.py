"""The registry's event store (`partia_kit.postgres.event_store`)."""

from __future__ import annotations

from eventsourcing.persistence import JSONTranscoder

from partia_kit.postgres.event_store import EventStore
from partia_registry.adapters.postgres.personal_data import KEY_TABLE, PersonalDataMapper
from partia_registry.adapters.postgres.transcodings import register_registry_transcodings


class RegistryEventStore(EventStore):
    """Holds every organisation and member event, in table `registry_events`."""

    name = "Registry"
    mapper_class = PersonalDataMapper
    key_table = KEY_TABLE

    def register_value_transcodings(self, transcoder: JSONTranscoder) -> None:
        register_registry_transcodings(transcoder)
