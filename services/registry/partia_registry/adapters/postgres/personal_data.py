"""The registry's personal data, sealed with a key per person (`partia_kit.vault`, DOMAIN §8)."""

from __future__ import annotations

from partia_kit.vault import SealingMapper
from partia_registry.domain.people import PersonalData

KEY_TABLE = "registry_personal_data_keys"


class PersonalDataMapper(SealingMapper):
    """The event store's mapper: every `PersonalData` field sealed by its owner's key."""

    personal_types = (PersonalData,)
