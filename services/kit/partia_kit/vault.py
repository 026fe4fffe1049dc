"""Personal data sealed with a key per person, so that erasure is destroying one key (DOMAIN §8).

Stored events are never edited. Every event field holding personal data (a value of one of the
mapper's `personal_types`: the registry's `PersonalData`) is encrypted (AES-GCM) with
the person's own key before it is stored; the key itself is stored wrapped by the installation's
master key. Erasing a person deletes their key: from then on their events read back with the
personal data gone and every fact around it intact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID, uuid5

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoding
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic
from psycopg.sql import SQL

from partia_kit.masterkeys import MasterKeys
from partia_kit.postgres.statements import Statement, table

_NONCE_BYTES = 12
_CACHE_SIZE = 50_000
_CACHE_SECONDS = 30.0  # how long another process may still read data erased elsewhere
_NAME_CONTEXT = b"/index-name"  # bound into a sealed name: it opens only as that, for that owner
_DERIVED_OWNERS = UUID("5f0c3d1e-7a55-4c1b-9d0e-6b1f2a7c9e40")  # namespace of derived secrets


@dataclass(frozen=True, slots=True)
class SealedPersonalData:
    """Personal data as stored: ciphertext only the person's key opens."""

    ciphertext: str


class SealedPersonalDataAsDict(Transcoding):
    type = SealedPersonalData
    name = "sealed_personal_data"

    def encode(self, obj: SealedPersonalData) -> dict[str, str]:
        return {"ciphertext": obj.ciphertext}

    def decode(self, data: dict[str, str]) -> SealedPersonalData:
        return SealedPersonalData(data["ciphertext"])


class PersonalDataVault:
    """Creates, finds and destroys the per-person keys, kept in `key_table` of `schema` (each
    service its own table, e.g. `registry_personal_data_keys`)."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        schema: str,
        master_key: bytes | MasterKeys,
        key_table: str,
    ) -> None:
        self._datastore = datastore
        self._table = table(schema, key_table)
        self.master = master_key if isinstance(master_key, MasterKeys) else MasterKeys(master_key)
        self._lock = threading.Lock()
        self._cache: OrderedDict[UUID, tuple[bytes, float]] = OrderedDict()
        self._unsaved: dict[UUID, bytes] = {}

    def seal(self, owner_id: UUID, plaintext: bytes, *, new_owner: bool) -> SealedPersonalData:
        nonce = os.urandom(_NONCE_BYTES)
        key = self._sealing_key(owner_id, new_owner=new_owner)
        sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, owner_id.bytes)
        return SealedPersonalData(base64.b64encode(sealed).decode("ascii"))

    def seal_name(self, owner_id: UUID, name: str, *, new_owner: bool) -> bytes:
        """A name for an index column, sealed with its owner's key (decision 021): the same key as
        the event it comes from, so erasure makes both unreadable. No database round trip: the key
        is the one the event is sealed with in the same unit of work."""
        nonce = os.urandom(_NONCE_BYTES)
        key = self._sealing_key(owner_id, new_owner=new_owner)
        return nonce + AESGCM(key).encrypt(nonce, name.encode(), owner_id.bytes + _NAME_CONTEXT)

    def open_names(self, rows: Sequence[tuple[UUID, bytes | None]]) -> list[str | None]:
        """Sealed index names opened, in order; None where there is none or the key is gone.
        The keys not cached are fetched with one query."""
        now = time.monotonic()
        keys: dict[UUID, bytes] = {}
        missing: list[UUID] = []
        with self._lock:
            for owner, sealed in rows:
                if sealed is None:
                    continue
                cached = self._cache.get(owner)
                if cached is not None and cached[1] > now:
                    keys[owner] = cached[0]
                else:
                    missing.append(owner)
        if missing:
            keys.update(self._fetch_keys(missing))
        return [
            None
            if sealed is None or (key := keys.get(owner)) is None
            else _open(key, owner, sealed)
            for owner, sealed in rows
        ]

    def open_names_with_keys(
        self, rows: Sequence[tuple[UUID, bytes | None, bytes | None]]
    ) -> list[str | None]:
        """Sealed index names opened with the wrapped keys read alongside them (owner, sealed
        name, wrapped key), for long lists: no cache look-ups, no second query, and a key deleted
        by an erasure is seen at once."""
        return [
            None
            if sealed is None or wrapped is None
            else _open(self.master.unwrap(owner, bytes(wrapped)), owner, bytes(sealed))
            for owner, sealed, wrapped in rows
        ]

    def _sealing_key(self, owner_id: UUID, *, new_owner: bool) -> bytes:
        """A new record gets a new key, once per unit of work: its index rows and its events are
        sealed with the same one."""
        with self._lock:
            made = self._unsaved.get(owner_id)
        if made is not None:
            return made
        key = None if new_owner else self._key(owner_id)
        if key is None:  # new, or the owner's data was erased before: new data gets a new key
            key = self._new_key(owner_id)
        return key

    def open(self, owner_id: UUID, sealed: SealedPersonalData) -> bytes | None:
        """The plaintext, or None when the owner's key has been destroyed."""
        key = self._key(owner_id)
        if key is None:
            return None
        raw = base64.b64decode(sealed.ciphertext)
        try:
            return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], owner_id.bytes)
        except InvalidTag:
            return None  # sealed under a key that was destroyed and replaced

    def unsaved_keys(self) -> list[Statement]:
        """Keys made since the last commit: they must be stored with the events they sealed."""
        with self._lock:
            rows: list[tuple[Any, ...]] = [
                (owner, self.master.wrap(owner, key), self.master.current_id)
                for owner, key in self._unsaved.items()
            ]
        if not rows:
            return []
        sql = SQL(
            "INSERT INTO {} (owner_id, wrapped_key, key_id)"
            " SELECT * FROM unnest(%b::uuid[], %b::bytea[], %b::text[]) ON CONFLICT DO NOTHING"
        )
        return [Statement(sql.format(self._table), rows)]

    def keys_saved(self) -> None:
        with self._lock:
            self._unsaved.clear()

    def keys_not_saved(self) -> None:
        with self._lock:
            for owner in self._unsaved:
                self._cache.pop(owner, None)
            self._unsaved.clear()

    def destroy(self, owner_id: UUID) -> Statement:
        """The statement that destroys a key; commit it with the erasure event."""
        sql = SQL("DELETE FROM {} WHERE owner_id = ANY(%b::uuid[])").format(self._table)
        return Statement(sql, [(owner_id,)])

    def forget(self, owner_id: UUID) -> None:
        with self._lock:
            self._cache.pop(owner_id, None)
            self._unsaved.pop(owner_id, None)

    def prefetch(self, owner_ids: list[UUID]) -> None:
        """Fetch the keys of many owners with one query (those that have none are skipped)."""
        self._fetch_keys(owner_ids)

    def keys_of(self, owner_ids: list[UUID]) -> set[UUID]:
        """Which of these owners still have a key (fetched and cached with one query)."""
        return set(self._fetch_keys(owner_ids))

    def _fetch_keys(self, owner_ids: list[UUID]) -> dict[UUID, bytes]:
        with self._datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "SELECT owner_id, wrapped_key, key_id FROM {} WHERE owner_id = ANY(%s::uuid[])"
                ).format(self._table),
                (owner_ids,),
            )
            rows = curs.fetchall()
        keys = {
            r["owner_id"]: self.master.unwrap(r["owner_id"], bytes(r["wrapped_key"]), r["key_id"])
            for r in rows
        }
        with self._lock:
            for owner_id, key in keys.items():
                self._remember(owner_id, key)
        return keys

    def _new_key(self, owner_id: UUID) -> bytes:
        key = AESGCM.generate_key(bit_length=256)
        with self._lock:
            self._unsaved[owner_id] = key
            self._remember(owner_id, key)
        return key

    def _key(self, owner_id: UUID) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(owner_id)
            if cached is not None and cached[1] > now:
                self._cache.move_to_end(owner_id)
                return cached[0]
        with self._datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT wrapped_key, key_id FROM {} WHERE owner_id = %s").format(self._table),
                (owner_id,),
                prepare=True,
            )
            row = curs.fetchone()
        if row is None:
            return None
        key = self.master.unwrap(owner_id, bytes(row["wrapped_key"]), row["key_id"])
        with self._lock:
            self._remember(owner_id, key)
        return key

    def _remember(self, owner_id: UUID, key: bytes) -> None:
        self._cache[owner_id] = (key, time.monotonic() + _CACHE_SECONDS)
        self._cache.move_to_end(owner_id)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def derived_secret(self, label: bytes) -> bytes:
        """A service-wide secret (the IIN digests' key, the request fingerprints' key) that keys
        rows already stored, so it must outlive a rotation of the master key (decision 161). Kept
        in the key table under an owner id of its own, wrapped like a person's key (a rotation
        re-wraps it with the rest); made on first use as HMAC(master key, label) of the master key
        that wrapped the keys already stored (the one every earlier version derived it from), or
        of the current one in a new installation."""
        owner = uuid5(_DERIVED_OWNERS, label.decode())
        select = SQL("SELECT wrapped_key, key_id FROM {} WHERE owner_id = %s").format(self._table)
        with self._datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(select, (owner,))
            row = curs.fetchone()
            if row is None:
                secret = hmac.new(self.master.raw(self._original_key(curs)), label, hashlib.sha256)
                curs.execute(
                    SQL(
                        "INSERT INTO {} (owner_id, wrapped_key, key_id) VALUES (%s, %s, %s)"
                        " ON CONFLICT DO NOTHING"
                    ).format(self._table),
                    (owner, self.master.wrap(owner, secret.digest()), self.master.current_id),
                )
                conn.commit()
                curs.execute(select, (owner,))
                row = curs.fetchone()
        assert row is not None
        return self.master.unwrap(owner, bytes(row["wrapped_key"]), row["key_id"])

    def _original_key(self, curs: Any) -> str:
        """The id of the master key the stored keys were first wrapped by: one of those wrapped
        before key ids were recorded, if any, else any; the current key if there are none."""
        curs.execute(
            SQL(
                "SELECT owner_id, wrapped_key, key_id FROM {}"
                " ORDER BY key_id IS NULL DESC, created_at LIMIT 1"
            ).format(self._table)
        )
        row = curs.fetchone()
        if row is None:
            return self.master.current_id
        return self.master.which(row["owner_id"], bytes(row["wrapped_key"]), row["key_id"])


class SealingMapper(Mapper[UUID]):
    """The library's mapper, with every field whose value is one of `personal_types` sealed by
    its owner's key (a service subclasses it naming its personal-data types)."""

    personal_types: ClassVar[tuple[type[Any], ...]] = ()
    vault: PersonalDataVault
    open_personal_data = True  # off for readers that need only the facts (projections, feeds)

    def without_personal_data(self) -> SealingMapper:
        """A mapper that leaves personal data sealed: cheaper, and it cannot leak what it never
        opened."""
        mapper = type(self)(transcoder=self.transcoder)
        mapper.vault, mapper.open_personal_data = self.vault, False
        return mapper

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event_state = dict(vars(domain_event))
        originator_id: UUID = event_state.pop("originator_id")
        originator_version: int = event_state.pop("originator_version")
        for name, value in event_state.items():
            if isinstance(value, self.personal_types):
                event_state[name] = self.vault.seal(
                    originator_id, self.transcoder.encode(value), new_owner=originator_version == 1
                )
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=self.transcoder.encode(event_state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        if not self.open_personal_data:
            return domain_event
        state = vars(domain_event)
        for name, value in list(state.items()):
            if isinstance(value, SealedPersonalData):
                plaintext = self.vault.open(domain_event.originator_id, value)
                state[name] = None if plaintext is None else self.transcoder.decode(plaintext)
        return domain_event


def _open(key: bytes, owner_id: UUID, sealed: bytes) -> str | None:
    try:
        plain = AESGCM(key).decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], owner_id.bytes + _NAME_CONTEXT
        )
    except InvalidTag:
        return None  # sealed under a key that was destroyed and replaced
    return plain.decode()


def register_sealed_transcoding(transcoder: JSONTranscoder) -> None:
    transcoder.register(SealedPersonalDataAsDict())
