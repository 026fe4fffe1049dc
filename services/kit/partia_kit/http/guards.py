"""What stands between the network and a service's API, the same for every service (issue 10,
"Abuse"; OWASP API4 and API2, API8): a cap on request bodies, rate limits on refused tokens per
client address and on requests per token, and security headers on every response.

Plain ASGI middleware, not Starlette's BaseHTTPMiddleware (which costs a task per request): the
admission path pays a header scan and two dictionary lookups (decision 156)."""

from __future__ import annotations

import math
import time
from typing import Any

from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partia_kit.http.counters import WindowCounters
from partia_kit.http.problems import problem
from partia_kit.http.settings import HttpSettings

TOO_LARGE = "Content too large"
TOO_MANY = "Too many requests"


PROBES = frozenset({"/health", "/ready", "/metrics"})
"""Paths that need no token and show nothing personal: an address blocked for guessing tokens
still reaches them, or one misbehaving client behind the same address (a proxy, the node the
kubelet probes from) would take the service out of its load balancer."""


def install_guards(app: FastAPI, settings: HttpSettings, *, docs_prefixes: tuple[str, ...]) -> None:
    """Add the guards as the outermost middleware (call after every other `add_middleware`), so
    that their refusals cost nothing else and carry the security headers too. `docs_prefixes`:
    the paths of the docs pages and their assets, which need a CSP that lets them run."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimits,
        auth_failures=parse(settings.auth_failure_limit),
        per_token=parse(settings.token_request_limit),
        open_paths=PROBES,
    )
    app.add_middleware(
        SecurityHeaders, docs_prefixes=docs_prefixes, hsts_max_age=settings.hsts_max_age
    )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


# --- body size ------------------------------------------------------------------------------------


class BodyTooLarge(HTTPException):
    """Raised while the body arrives; an HTTPException so that FastAPI passes it on when it reads
    the body (it turns anything else into a 400) and the service's handler answers it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_detail(limit))


def _too_large_detail(limit: int) -> str:
    return f"body: larger than {limit:,} bytes, the most this service accepts"


class BodyLimit:
    """Refuses a body over `max_bytes` with 413 without holding it: at once when its
    Content-Length says so, else (chunked) as soon as the bytes received pass the limit. A body
    within a declared Content-Length is not counted: the server delivers no more than declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        if declared is not None:
            await self._refuse(scope, receive, send)
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        received, started = 0, False

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, watched)
        except BodyTooLarge:  # read outside FastAPI's body handling: answered here
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            TOO_LARGE,
            _too_large_detail(self.max_bytes),
            rule="content-too-large",
            field="body",
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None  # the server refuses it; if not, the bytes are counted


# --- rate limits ----------------------------------------------------------------------------------


class RateLimits:
    """Two limits, counted in this process's memory by the `limits` library (decision 156):

    * refused tokens per client address: a request whose token is refused (401) counts against its
      address; past `auth_failures`, every request from that address is answered 429 before its
      token is looked at (else a right guess would still show), until the window ends. A request
      without a token is no guess and does not count.
    * requests per bearer token: past `per_token`, 429. A token that turns out refused is
      forgotten at once, so made-up tokens cannot fill the memory.

    The client address is the connection's, or the one a trusted proxy forwards (uvicorn's
    `--forwarded-allow-ips`, see docs/production.md)."""

    def __init__(
        self,
        app: ASGIApp,
        auth_failures: RateLimitItem,
        per_token: RateLimitItem,
        open_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.auth_failures, self.per_token = auth_failures, per_token
        self.open_paths = open_paths
        self.limiter = FixedWindowRateLimiter(WindowCounters())  # no timer thread: decision 215
        self.blocked: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        if (
            address in self.blocked
            and scope["path"] not in self.open_paths
            and self._still_blocked(address)
        ):
            await self._refuse(
                self.auth_failures,
                address,
                "too many refused tokens from this address",
                "authentication-failures-limited",
            )(scope, receive, send)
            return
        token = _bearer_token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        if not self.limiter.hit(self.per_token, token):
            await self._refuse(
                self.per_token, token, "too many requests with this token", "token-rate-limited"
            )(scope, receive, send)
            return

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self._failed(address)
                self.limiter.clear(self.per_token, token)
            await send(message)

        await self.app(scope, receive, watched)

    def _failed(self, address: str) -> None:
        """Count a refused token; past the limit, the address is blocked until the window ends
        (kept here too, so that a request pays a set lookup, not the library's key building)."""
        self.limiter.hit(self.auth_failures, address)
        if not self.limiter.test(self.auth_failures, address):  # none left in this window
            self.blocked.add(address)

    def _still_blocked(self, address: str) -> bool:
        if self.limiter.test(self.auth_failures, address):
            self.blocked.discard(address)
            return False
        return True

    def _refuse(self, item: RateLimitItem, key: str, why: str, rule: str) -> Any:
        reset = self.limiter.get_window_stats(item, key).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        return problem(
            429,
            TOO_MANY,
            f"{why} (at most {item}); retry after {wait} s",
            rule=rule,
            headers={"Retry-After": str(wait)},
        )


def _bearer_token(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# --- security headers -----------------------------------------------------------------------------

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_API = [
    # answers carry personal data: no cache (browser or proxy) may keep them
    (b"cache-control", b"no-store"),
    # JSON and CSV are never a page: nothing may run, load or frame them
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
_DOCS = [
    # Swagger UI and ReDoc: scripts and styles from the service itself (the pages start them
    # inline), the OpenAPI document fetched from it, ReDoc's worker from a blob
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
        b" img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'",
    ),
]


class SecurityHeaders:
    """On every response: nosniff, no referrer, no framing; on the API's answers no-store and a
    CSP that allows nothing; on the docs pages a CSP that lets them run from the service itself;
    HSTS only when configured (the API is reached over HTTPS)."""

    def __init__(self, app: ASGIApp, docs_prefixes: tuple[str, ...], hsts_max_age: int) -> None:
        self.app, self.docs_prefixes = app, docs_prefixes
        always = list(_ALWAYS)
        if hsts_max_age:
            always.append((b"strict-transport-security", b"max-age=%d" % hsts_max_age))
        self.api, self.docs = always + _API, always + _DOCS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = (
            self.docs if self.docs_prefixes and path.startswith(self.docs_prefixes) else self.api
        )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
