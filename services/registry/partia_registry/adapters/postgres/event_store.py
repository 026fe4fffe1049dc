"""The registry's event store: the `eventsourcing` library's Application on PostgreSQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import get_topic

from partia_registry.adapters.postgres.personal_data import (
    PersonalDataMapper,
    PersonalDataVault,
    register_sealed_transcoding,
)
from partia_registry.adapters.postgres.recorder import RegistryRecorder
from partia_registry.adapters.postgres.transcodings import register_registry_transcodings


class RegistryEventStore(Application[UUID]):
    """Holds every organisation and member event, in table `registry_events`."""

    name = "Registry"

    def __init__(self, env: dict[str, str], master_key: bytes) -> None:
        self._master_key = master_key
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": get_topic(RegistryRecorder),
            **env,
        }
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PersonalDataMapper
        )
        assert isinstance(mapper, PersonalDataMapper)
        assert isinstance(self.factory, PostgresFactory)
        schema = self.factory.datastore.schema
        mapper.vault = PersonalDataVault(self.factory.datastore, schema, self._master_key)
        return mapper

    def construct_recorder(self) -> Any:
        recorder = super().construct_recorder()
        assert isinstance(recorder, RegistryRecorder)
        recorder.vault = self.vault
        return recorder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_registry_transcodings(transcoder)
        register_sealed_transcoding(transcoder)

    def vault_mapper(self) -> PersonalDataMapper:
        assert isinstance(self.mapper, PersonalDataMapper)
        return self.mapper

    @property
    def vault(self) -> PersonalDataVault:
        assert isinstance(self.mapper, PersonalDataMapper)
        return self.mapper.vault

    @property
    def datastore(self) -> Any:
        assert isinstance(self.factory, PostgresFactory)
        return self.factory.datastore

    @property
    def schema(self) -> str:
        return str(self.datastore.schema)
