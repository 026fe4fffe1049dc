"""The master keys that wrap every person's data key: the current one, which wraps every key made
or re-wrapped from now on, and the previous ones, still accepted for unwrapping while a rotation
is under way (decision 160).

Each wrapped key is stored with the id of the master key that wrapped it (`key_id`), so the
rotation (`partia_kit.keyrotation`) knows what is left to re-wrap and a key wrapped by a master
key that is no longer configured is reported by name, not as a decryption error.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class MasterKeyMissing(Exception):
    """A wrapped key none of the configured master keys opens."""

    def __init__(self, owner_id: UUID, key_id: str | None) -> None:
        wrapped_by = f"master key {key_id}" if key_id else "a master key"
        super().__init__(
            f"the data key of {owner_id} is wrapped by {wrapped_by}, which is not configured"
            " (PARTIA_MASTER_KEY, PARTIA_PREVIOUS_MASTER_KEYS)"
        )
        self.owner_id = owner_id
        self.key_id = key_id


def key_id(master_key: bytes) -> str:
    """A master key's public name: 16 hex digits derived from it (nothing about the key can be
    learnt from them), printed by the rotation and stored beside each key it wraps."""
    return hmac.new(master_key, b"partia/master-key-id/v1", hashlib.sha256).hexdigest()[:16]


class MasterKeys:
    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        self.current_id = key_id(current)
        self._current = AESGCM(current)
        self._by_id: dict[str, AESGCM] = {self.current_id: self._current}
        self._raw: dict[str, bytes] = {self.current_id: current}
        for key in previous:
            self._by_id.setdefault(key_id(key), AESGCM(key))
            self._raw.setdefault(key_id(key), key)

    @property
    def ids(self) -> list[str]:
        """The configured keys' ids, the current one first."""
        return list(self._by_id)

    def wrap(self, owner_id: UUID, key: bytes) -> bytes:
        """`key` wrapped by the current master key, bound to its owner."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._current.encrypt(nonce, key, owner_id.bytes)

    def unwrap(self, owner_id: UUID, wrapped: bytes, wrapped_by: str | None = None) -> bytes:
        """The key; the master key named by `wrapped_by` is tried first, then every other (rows
        wrapped before key ids were recorded have none, and a row read without its id, e.g.
        beside an index name, is tried against each)."""
        return self._opening(owner_id, wrapped, wrapped_by)[0]

    def which(self, owner_id: UUID, wrapped: bytes, wrapped_by: str | None = None) -> str:
        """The id of the master key that opens a wrapped key."""
        return self._opening(owner_id, wrapped, wrapped_by)[1]

    def raw(self, id_: str) -> bytes:
        return self._raw[id_]

    def _opening(self, owner_id: UUID, wrapped: bytes, wrapped_by: str | None) -> tuple[bytes, str]:
        first = [wrapped_by] if wrapped_by in self._by_id else []
        for id_ in first + [i for i in self._by_id if i != wrapped_by]:
            try:
                key = self._by_id[id_].decrypt(
                    wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], owner_id.bytes
                )
            except InvalidTag:
                continue
            return key, id_
        raise MasterKeyMissing(owner_id, wrapped_by)
