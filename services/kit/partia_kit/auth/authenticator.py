"""From a request's `Authorization: Bearer ...` to the `Principal` making it: an OIDC token from
the configured issuer, or (in development only) a static token from PARTIA_API_TOKENS."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from partia_kit.auth.principal import Principal, development_principal
from partia_kit.auth.tokens import (
    InvalidToken,
    Jwks,
    KeysUnavailable,
    TokenVerifier,
    jwks_from_file,
    jwks_from_url,
)
from partia_kit.http.problems import ApiProblem
from partia_kit.settings import ServiceSettings


class AuthConfigurationError(ValueError):
    """The settings would start a service nobody can call, or one that trusts what it must not."""


class Authenticator:
    def __init__(
        self, static: Mapping[str, str] | None = None, verifier: TokenVerifier | None = None
    ) -> None:
        """`static`: development token -> user name."""
        self._static = {
            token.encode(): development_principal(user) for token, user in (static or {}).items()
        }
        self.verifier = verifier

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Authenticator:
        """Refuses static tokens in production (decision 143), and a configuration with no way
        in at all."""
        static = settings.tokens()
        if static and settings.environment == "production":
            raise AuthConfigurationError(
                "PARTIA_API_TOKENS is set but PARTIA_ENVIRONMENT=production: static tokens are"
                " for local development only; configure the identity provider (PARTIA_AUTH_*)"
            )
        verifier = None
        if settings.auth_issuer is not None:
            if settings.auth_jwks_url:
                load = jwks_from_url(settings.auth_jwks_url)
            elif settings.auth_jwks_file is not None:
                load = jwks_from_file(str(settings.auth_jwks_file))
            else:
                raise AuthConfigurationError(
                    "PARTIA_AUTH_ISSUER is set: set PARTIA_AUTH_JWKS_URL (or PARTIA_AUTH_JWKS_FILE)"
                    " to where the issuer publishes its keys"
                )
            verifier = TokenVerifier(
                Jwks(load),
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
                leeway=settings.auth_leeway,
            )
        if not static and verifier is None:
            raise AuthConfigurationError(
                "nobody could call the API: set PARTIA_AUTH_ISSUER and PARTIA_AUTH_JWKS_URL"
                " (or, in development, PARTIA_API_TOKENS)"
            )
        return cls(static, verifier)

    async def authenticate_on_loop(self, request: Request) -> Principal:
        """`authenticate`, for a caller on the event loop: a token that needs the issuer's keys
        loaded first (a new key id, at most once per 30 s; up to 5 s) is checked in a worker
        thread, so the loop never waits for the identity provider."""
        _, _, token = request.headers.get("authorization", "").partition(" ")
        if self.verifier is not None and token and self.verifier.would_load_keys(token):
            return await run_in_threadpool(self.authenticate, request)
        return self.authenticate(request)

    def authenticate(self, request: Request) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorised("send 'Authorization: Bearer <token>'", "authentication-required")
        principal = self._static_principal(token.encode()) if self._static else None
        if principal is not None:
            return principal
        if self.verifier is None or token.count(".") != 2:
            raise _unauthorised("the bearer token is not recognised", "authentication-failed")
        try:
            return self.verifier.principal(token)
        except InvalidToken as error:
            raise _unauthorised(str(error), "authentication-failed") from None
        except KeysUnavailable as error:
            raise ApiProblem(
                503,
                "Identity provider unavailable",
                str(error),
                rule="issuer-keys-unavailable",
                headers={"Retry-After": "5"},
            ) from None

    def _static_principal(self, token: bytes) -> Principal | None:
        for known, principal in self._static.items():
            if hmac.compare_digest(known, token):
                return principal
        return None


def _unauthorised(detail: str, rule: str) -> ApiProblem:
    return ApiProblem(
        401, "Unauthorised", detail, rule=rule, headers={"WWW-Authenticate": "Bearer"}
    )
