"""A service's event store: the `eventsourcing` library's Application on PostgreSQL, with personal
data sealed per person (`partia_kit.vault`) and the events inserted by `EventRecorder`.

A service subclasses `EventStore`, naming itself (`name`: the events table is `<name>_events`), its
mapper (which types are personal data), its key table and its value objects.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import get_topic

from partia_kit.masterkeys import MasterKeys
from partia_kit.postgres.recorder import EventRecorder
from partia_kit.vault import PersonalDataVault, SealingMapper, register_sealed_transcoding


class EventStore(Application[UUID]):
    mapper_class: ClassVar[type[SealingMapper]] = SealingMapper
    key_table: ClassVar[str]

    def __init__(self, env: dict[str, str], master_key: bytes | MasterKeys) -> None:
        self._master_key = master_key
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": get_topic(EventRecorder),
            **env,
        }
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=self.mapper_class
        )
        assert isinstance(mapper, SealingMapper)
        assert isinstance(self.factory, PostgresFactory)
        schema = self.factory.datastore.schema
        mapper.vault = PersonalDataVault(
            self.factory.datastore, schema, self._master_key, self.key_table
        )
        return mapper

    def construct_recorder(self) -> Any:
        recorder = super().construct_recorder()
        assert isinstance(recorder, EventRecorder)
        recorder.vault = self.vault
        return recorder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        self.register_value_transcodings(transcoder)
        register_sealed_transcoding(transcoder)

    def register_value_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The service's value objects (`partia_kit.postgres.transcodings.register_value_objects`)."""

    def vault_mapper(self) -> SealingMapper:
        assert isinstance(self.mapper, SealingMapper)
        return self.mapper

    @property
    def vault(self) -> PersonalDataVault:
        assert isinstance(self.mapper, SealingMapper)
        return self.mapper.vault

    @property
    def datastore(self) -> Any:
        assert isinstance(self.factory, PostgresFactory)
        return self.factory.datastore

    @property
    def schema(self) -> str:
        return str(self.datastore.schema)
