"""Idempotency-Key: what a client's key promises, and what a service remembers of each decided
request so that a retry gets the first answer (`partia_kit.postgres.idempotency` stores it)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's promise that requests with this key are the same request (RFC draft
    "The Idempotency-Key HTTP Header Field"). Keys are scoped to the acting user."""

    actor: str
    key: str
    fingerprint: str  # hash of method, path and body: the same key with another body is refused
    legacy_fingerprint: str | None = None  # how rows stored before canonical bodies were hashed

    def same_request(self, stored_fingerprint: str) -> bool:
        return stored_fingerprint in (self.fingerprint, self.legacy_fingerprint)


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request."""


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    fingerprint: str
    result: Mapping[str, Any]
    positions: tuple[int, ...] | None = None  # None: stored before positions were kept


def derive_fingerprint_key(master_key: bytes) -> bytes:
    """The key for request fingerprints: a request body holds an applicant's IIN and names, so an
    unkeyed hash of it would let anyone with the database confirm a guessed application."""
    return hmac.new(master_key, b"partia/request-fingerprint/v1", hashlib.sha256).digest()
