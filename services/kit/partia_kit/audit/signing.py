"""Ed25519 keys and the signed checkpoint that closes every export.

The chain makes any edit visible *if* the verifier knows the right head. The checkpoint states the
head, the number of events, the position range and a digest of the header, and the auditor signs
it with a key of their own: whoever edits the file afterwards must either leave the signature
invalid or sign with another key, which `verify --public-key` refuses. Ed25519 because it is small,
fast, deterministic and in `cryptography` already.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from partia_kit.audit.chain import canonical_json
from partia_kit.audit.findings import AuditError

SIGNED_PREFIX = b"partia-audit checkpoint v1\n"
"""Domain separation: a checkpoint signature can never be mistaken for a signature over anything
else the same key might sign."""


class KeyFileError(AuditError, ValueError):
    """A key file that cannot be used."""


def generate_keypair(out: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new private key (PEM, PKCS#8, readable by the owner only) and OUT.pub beside it."""
    public_path = out.with_name(out.name + ".pub")
    for path in (out, public_path):
        if path.exists() and not force:
            raise KeyFileError(f"{path} exists; pass --force to replace it")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return out, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise KeyFileError(f"cannot read the signing key {path}: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as e:
        raise KeyFileError(f"cannot read the public key {path}: {e}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key")
    return key


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(raw_public: bytes) -> str:
    """A short name for a key, to print and compare by eye."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def sign_checkpoint(signed: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, str]:
    """The signature and public key fields of a checkpoint line."""
    signature = key.sign(SIGNED_PREFIX + canonical_json(signed))
    return {
        "signature": base64.b64encode(signature).decode("ascii"),
        "public_key": raw_public_key(key.public_key()).hex(),
    }


def check_signature(signed: dict[str, Any], signature_b64: str, public_raw: bytes) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            signature, SIGNED_PREFIX + canonical_json(signed)
        )
    except (InvalidSignature, ValueError):
        return False
    return True
