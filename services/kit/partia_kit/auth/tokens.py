"""OIDC-style JWT bearer tokens, checked against the issuer's published keys (JWKS): signature,
issuer, audience, expiry and not-before (with a clock skew allowance), then the Partia claims
read into a `Principal`. The claims layout is decision 140:

    {"iss": ..., "aud": ..., "sub": "...", "preferred_username": "aigerim", "exp": ..., "iat": ...,
     "partia": {"roles": [{"role": "clerk", "organisation": "<uuid>"}],
                "member_id": "<uuid>", "service": "finance"}}
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import httpx
import jwt

from partia_kit.auth.principal import Grant, Principal, Role

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
"""Public-key algorithms only: a shared-secret one (HS256) would let anyone holding the published
key sign tokens."""

SCOPED = frozenset({Role.CLERK, Role.TREASURER, Role.AUDITOR})
"""Roles that mean nothing without the organisation they are held in."""


class InvalidToken(Exception):
    """The token is not one this service accepts; the message says why (and is safe to show)."""


class KeysUnavailable(Exception):
    """The issuer's keys could not be loaded (its JWKS address does not answer)."""


class Jwks:
    """The issuer's signing keys, loaded on first use and again when a token names a key not
    seen before (the issuer rotated its keys), at most once per `min_refresh` seconds so that
    tokens with made-up key ids cannot make us hammer the issuer."""

    def __init__(self, load: Callable[[], bytes], *, min_refresh: float = 30.0) -> None:
        self._load, self._min_refresh = load, min_refresh
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK:
        found = self._find(kid)
        if found is not None:
            return found
        with self._lock:
            found = self._find(kid)  # another thread may have refreshed meanwhile
            due = self._loaded_at is None or time.monotonic() - self._loaded_at >= self._min_refresh
            if found is None and due:
                self._refresh()
                found = self._find(kid)
        if found is None:
            raise InvalidToken(f"signed with a key the issuer does not publish (kid {kid!r})")
        return found

    def would_load(self, kid: str | None) -> bool:
        """Whether `key(kid)` would load the issuer's keys (a network call of up to 5 s)."""
        due = self._loaded_at is None or time.monotonic() - self._loaded_at >= self._min_refresh
        return due and self._find(kid) is None

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:  # allowed only while the issuer publishes a single key
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _refresh(self) -> None:
        try:
            document = json.loads(self._load())
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (OSError, ValueError, httpx.HTTPError, jwt.PyJWTError) as error:
            if not self._keys:
                raise KeysUnavailable(f"the issuer's keys could not be loaded: {error}") from error
            return  # keep the keys we have; a later unknown kid tries again
        finally:
            self._loaded_at = time.monotonic()
        self._keys = {str(k.key_id or i): k for i, k in enumerate(keys)}


def jwks_from_url(url: str) -> Callable[[], bytes]:
    def load() -> bytes:
        response = httpx.get(url, timeout=5.0)
        response.raise_for_status()
        return response.content

    return load


def jwks_from_file(path: str) -> Callable[[], bytes]:
    def load() -> bytes:
        with open(path, "rb") as f:
            return f.read()

    return load


class TokenVerifier:
    """Verified tokens are remembered (until they expire, up to `cache_size` of them), so a
    client's next request costs a dictionary look-up instead of a signature check."""

    def __init__(
        self,
        keys: Jwks,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        cache_size: int = 4096,
    ) -> None:
        self.keys, self.issuer, self.audience, self.leeway = keys, issuer, audience, leeway
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._cache_size = cache_size

    def principal(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None and time.time() < cached[0] + self.leeway:
            return cached[1]
        claims = self._claims(token)
        principal = principal_from_claims(claims)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[token] = (float(claims["exp"]), principal)
        return principal

    def would_load_keys(self, token: str) -> bool:
        """Whether checking `token` would load the issuer's keys first (a new key id, or the
        first token of all): a caller on an event loop checks it in a worker thread instead."""
        if token in self._cache:
            return False
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return False  # refused without looking at any key
        return self.keys.would_load(kid)

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.key(header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet (nbf/iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(
                f"the token is not meant for this service (aud {self.audience!r} expected)"
            ) from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"the token was not issued by {self.issuer}") from None
        except jwt.PyJWTError as error:
            raise InvalidToken(f"the token is not valid: {error}") from None
        return claims


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The Partia claims (decision 140) as a principal; a claim that does not fit is refused
    with its name, never guessed at."""
    user = claims.get("preferred_username") or claims.get("sub")
    if not isinstance(user, str) or not user:
        raise InvalidToken("claim sub: a user name is required")
    partia = claims.get("partia", {})
    if not isinstance(partia, Mapping):
        raise InvalidToken("claim partia: must be an object")
    grants = frozenset(_grant(i, entry) for i, entry in enumerate(partia.get("roles", [])))
    roles = {g.role for g in grants}
    member_id = _uuid("partia.member_id", partia.get("member_id"))
    if Role.MEMBER in roles and member_id is None:
        raise InvalidToken("claim partia.member_id: required with the member role")
    service = partia.get("service")
    if Role.SERVICE in roles and (not isinstance(service, str) or not service):
        raise InvalidToken(
            "claim partia.service: the service's name is required with the service role"
        )
    return Principal(
        user,
        grants,
        member_id=member_id,
        service=service if Role.SERVICE in roles else None,
    )


def _grant(index: int, entry: Any) -> Grant:
    name = f"partia.roles[{index}]"
    if not isinstance(entry, Mapping):
        raise InvalidToken(f"claim {name}: must be an object with role and organisation")
    try:
        role = Role(str(entry.get("role")))
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidToken(f"claim {name}.role: one of {known}") from None
    organisation = _uuid(f"{name}.organisation", entry.get("organisation"))
    if organisation is None and role in SCOPED:
        raise InvalidToken(f"claim {name}.organisation: a {role} role is held in an organisation")
    return Grant(role, organisation)


def _uuid(name: str, value: Any) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidToken(f"claim {name}: not a UUID") from None
