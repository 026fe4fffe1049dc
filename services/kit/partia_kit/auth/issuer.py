"""The local issuer, for `make run` and the tests: an RSA signing key kept like the development
master key (outside the data directory, decision 144), the JWKS the services check tokens
against, and tokens minted in the claims layout of decision 140. A party's own identity provider
(Keycloak or similar) takes its place in production."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from partia_kit.auth.principal import Grant
from partia_kit.settings import _default_key_dir, _installation_id, _write_new

LOCAL_ISSUER = "partia-local-issuer"
AUDIENCE = "partia"


@dataclass(frozen=True)
class LocalIssuer:
    key: rsa.RSAPrivateKey
    issuer: str = LOCAL_ISSUER
    audience: str = AUDIENCE

    @classmethod
    def generate(cls) -> LocalIssuer:
        """A new key, in memory only (tests)."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def of_installation(cls, data_dir: Path, key_dir: Path | None = None) -> LocalIssuer:
        """The development issuer of the installation in `data_dir`: its key is created on first
        use beside the development master key, under the installation's id."""
        keys = (key_dir or _default_key_dir()).resolve()
        if keys.is_relative_to(data_dir.resolve()):
            raise ValueError(f"PARTIA_KEY_DIR {keys} is inside the data directory: keep keys apart")
        data_dir.mkdir(parents=True, exist_ok=True)
        path = keys / f"{_installation_id(data_dir)}.signing.pem"
        if not path.exists():
            _write_new(path, _pem(cls.generate().key))
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} is not an RSA private key")
        return cls(loaded)

    @property
    def kid(self) -> str:
        """The key's RFC 7638 thumbprint: a new key gets a new id, so services fetch it."""
        public = json.loads(self._public_jwk())
        canonical = json.dumps(
            {k: public[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True
        )
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def jwks(self) -> dict[str, Any]:
        public = json.loads(self._public_jwk())
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def write_jwks(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        draft.write_text(json.dumps(self.jwks()))
        draft.replace(path)  # readers never see half a file
        return path

    def mint(
        self,
        user: str,
        grants: Iterable[Grant],
        *,
        member_id: uuid.UUID | None = None,
        service: str | None = None,
        expires_in: float = 8 * 3600,
        not_before: float | None = None,
        now: float | None = None,
        audience: str | None = None,
        issuer: str | None = None,
    ) -> str:
        issued = time.time() if now is None else now
        partia: dict[str, Any] = {
            "roles": [
                {"role": g.role.value}
                | ({} if g.organisation is None else {"organisation": str(g.organisation)})
                for g in grants
            ]
        }
        if member_id is not None:
            partia["member_id"] = str(member_id)
        if service is not None:
            partia["service"] = service
        claims: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "aud": audience or self.audience,
            "sub": user,
            "preferred_username": user,
            "iat": int(issued),
            "nbf": int(issued if not_before is None else not_before),
            "exp": int(issued + expires_in),
            "jti": uuid.uuid4().hex,
            "partia": partia,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def _public_jwk(self) -> str:
        return str(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def local_issuer_environment(issuer: LocalIssuer, jwks_file: Path) -> dict[str, str]:
    """The PARTIA_AUTH_* settings that make a service accept the local issuer's tokens."""
    issuer.write_jwks(jwks_file)
    return {
        "PARTIA_AUTH_ISSUER": issuer.issuer,
        "PARTIA_AUTH_AUDIENCE": issuer.audience,
        "PARTIA_AUTH_JWKS_FILE": str(jwks_file),
    }
