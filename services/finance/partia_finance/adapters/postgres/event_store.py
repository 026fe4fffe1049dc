"""The finance service's event store (`partia_kit.postgres.event_store`): table `finance_events` in
the finance schema, donors' personal data sealed with a key of its own per donation
(`partia_kit.vault`, decision 193)."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.persistence import JSONTranscoder

from partia_finance.adapters.postgres.transcodings import register_finance_transcodings
from partia_finance.domain.donors import DonorPersonalData
from partia_finance.domain.dues_account import DuesDeclaration
from partia_kit.postgres.event_store import EventStore
from partia_kit.vault import SealingMapper

KEY_TABLE = "finance_personal_data_keys"


class DonorDataMapper(SealingMapper):
    """Every field holding a donor's personal data is sealed by its donation's key; a member's
    dues category and its evidence (it can reveal health or employment) by the member's."""

    personal_types: ClassVar[tuple[type[Any], ...]] = (DonorPersonalData, DuesDeclaration)


class FinanceEventStore(EventStore):
    name = "Finance"
    mapper_class = DonorDataMapper
    key_table = KEY_TABLE

    def register_value_transcodings(self, transcoder: JSONTranscoder) -> None:
        register_finance_transcodings(transcoder)
