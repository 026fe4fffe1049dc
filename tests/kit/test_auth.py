"""Identity (issue 10, item 1): bearer JWTs from the configured issuer, checked against its JWKS;
the local issuer and `partia-auth`; static development tokens refused in production."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from starlette.requests import Request

from partia_kit.auth import AuthConfigurationError, Authenticator, Grant, Principal, Role
from partia_kit.auth.issuer import LocalIssuer
from partia_kit.auth.tokens import InvalidToken, Jwks, TokenVerifier, principal_from_claims
from partia_kit.settings import ServiceSettings

ALMATY = uuid.uuid4()


def verifier(issuer: LocalIssuer, *, leeway: float = 30.0) -> TokenVerifier:
    document = json.dumps(issuer.jwks()).encode()
    return TokenVerifier(
        Jwks(lambda: document), issuer=issuer.issuer, audience=issuer.audience, leeway=leeway
    )


def test_a_token_from_the_issuer_names_the_user_their_roles_and_organisations() -> None:
    issuer = LocalIssuer.generate()
    token = issuer.mint("aigerim", [Grant(Role.CLERK, ALMATY), Grant(Role.AUDITOR, ALMATY)])

    principal = verifier(issuer).principal(token)

    assert principal.user == "aigerim"
    assert principal.roles == {Role.CLERK, Role.AUDITOR}
    assert principal.organisations(Role.CLERK) == {ALMATY}


def test_a_member_token_carries_the_members_own_record_and_a_service_token_its_service() -> None:
    issuer = LocalIssuer.generate()
    me = uuid.uuid4()
    member = verifier(issuer).principal(issuer.mint("asel", [Grant(Role.MEMBER)], member_id=me))
    service = verifier(issuer).principal(
        issuer.mint("finance", [Grant(Role.SERVICE)], service="finance")
    )
    assert (member.member_id, member.roles) == (me, {Role.MEMBER})
    assert (service.service, service.roles) == ("finance", {Role.SERVICE})


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda: {"expires_in": -120}, "expired"),
        # computed when the test runs, not when it is collected: a long run must not make it valid
        (lambda: {"not_before": time.time() + 600}, "not valid yet"),
        (lambda: {"audience": "someone-else"}, "not meant for this service"),
        (lambda: {"issuer": "https://evil.example"}, "not issued by"),
    ],
)
def test_an_expired_early_or_misaddressed_token_is_refused_with_the_reason(
    change: Callable[[], dict[str, object]], reason: str
) -> None:
    issuer = LocalIssuer.generate()
    token = issuer.mint("aigerim", [Grant(Role.CLERK, ALMATY)], **change())  # type: ignore[arg-type]
    with pytest.raises(InvalidToken, match=reason):
        verifier(issuer).principal(token)


def test_the_clock_skew_allowance_accepts_a_token_that_expired_a_moment_ago() -> None:
    issuer = LocalIssuer.generate()
    token = issuer.mint("aigerim", [Grant(Role.CLERK, ALMATY)], expires_in=-5)
    assert verifier(issuer, leeway=30).principal(token).user == "aigerim"
    with pytest.raises(InvalidToken, match="expired"):
        verifier(issuer, leeway=0).principal(token)


def test_a_token_signed_by_another_key_under_the_issuers_key_id_is_refused() -> None:
    issuer, forger = LocalIssuer.generate(), LocalIssuer.generate()
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "mallory"}
    forged = jwt.encode(
        {**claims, "exp": int(time.time()) + 60, "partia": {"roles": [{"role": "operations"}]}},
        forger.key,
        algorithm="RS256",
        headers={"kid": issuer.kid},
    )
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        verifier(issuer).principal(forged)


def test_a_shared_secret_or_unsigned_token_is_refused_even_with_the_right_claims() -> None:
    """The classic confusions: HS256 with the published key as the secret, and `alg: none`."""
    issuer = LocalIssuer.generate()
    claims = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "mallory",
        "exp": int(time.time()) + 60,
        "partia": {"roles": [{"role": "operations"}]},
    }
    secret = json.dumps(issuer.jwks()).encode()
    for alg in ("HS256", "none"):
        header = _b64({"alg": alg, "typ": "JWT", "kid": issuer.kid})
        signed = f"{header}.{_b64(claims)}"
        signature = (
            hmac.new(secret, signed.encode(), hashlib.sha256).digest() if alg != "none" else b""
        )
        token = f"{signed}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
        with pytest.raises(InvalidToken, match="not valid"):
            verifier(issuer).principal(token)


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_when_the_issuer_rotates_its_key_the_new_keys_are_fetched_on_the_first_unknown_key_id() -> (
    None
):
    old, new = LocalIssuer.generate(), LocalIssuer.generate()
    published = [json.dumps(old.jwks()).encode()]
    fetches = []

    def load() -> bytes:
        fetches.append(1)
        return published[-1]

    check = TokenVerifier(Jwks(load, min_refresh=0), issuer=old.issuer, audience=old.audience)
    assert check.principal(old.mint("a", [Grant(Role.OPERATIONS)])).user == "a"
    assert check.principal(old.mint("b", [Grant(Role.OPERATIONS)])).user == "b"
    assert len(fetches) == 1  # the keys are kept, not fetched per token

    published.append(json.dumps(new.jwks()).encode())
    assert check.principal(new.mint("c", [Grant(Role.OPERATIONS)])).user == "c"
    assert len(fetches) == 2


def test_made_up_key_ids_do_not_make_the_service_fetch_the_issuers_keys_again_and_again() -> None:
    issuer = LocalIssuer.generate()
    fetches = []

    def load() -> bytes:
        fetches.append(1)
        return json.dumps(issuer.jwks()).encode()

    keys = Jwks(load, min_refresh=30)
    for _ in range(50):
        with pytest.raises(InvalidToken, match="does not publish"):
            keys.key(f"made-up-{uuid.uuid4()}")
    assert len(fetches) == 1


@pytest.mark.parametrize(
    ("partia", "claim"),
    [
        ({"roles": [{"role": "chair", "organisation": str(ALMATY)}]}, "partia.roles[0].role"),
        ({"roles": [{"role": "clerk"}]}, "partia.roles[0].organisation"),
        ({"roles": [{"role": "clerk", "organisation": "almaty"}]}, "partia.roles[0].organisation"),
        ({"roles": [{"role": "member"}]}, "partia.member_id"),
        ({"roles": [{"role": "service"}]}, "partia.service"),
        ({"roles": ["clerk"]}, "partia.roles[0]"),
    ],
)
def test_claims_that_do_not_fit_the_layout_are_refused_naming_the_claim(
    partia: dict[str, object], claim: str
) -> None:
    with pytest.raises(InvalidToken, match=re.escape(f"claim {claim}")):
        principal_from_claims({"sub": "x", "partia": partia})


def test_a_token_without_partia_roles_is_a_user_with_no_roles() -> None:
    assert principal_from_claims({"sub": "x"}) == Principal("x")


def settings(**values: object) -> ServiceSettings:
    """Only what the test gives (`make` exports PARTIA_API_TOKENS for `make run`)."""
    given: dict[str, object] = {"api_tokens": "", "auth_issuer": None, **values}
    return ServiceSettings(data_dir=Path("/nonexistent"), **given)  # type: ignore[arg-type]


def test_static_tokens_are_refused_at_start_up_in_production() -> None:
    with pytest.raises(AuthConfigurationError, match="static tokens are for local development"):
        Authenticator.from_settings(settings(api_tokens="dev=dev-token", environment="production"))


def test_static_tokens_stand_for_every_role_of_the_whole_party_in_development() -> None:
    authenticator = Authenticator.from_settings(settings(api_tokens="dev=dev-token"))
    principal = authenticator._static_principal(b"dev-token")
    assert principal is not None
    assert principal.user == "dev"
    assert {Role.CLERK, Role.AUDITOR, Role.OPERATIONS} <= principal.roles
    assert principal.organisations(Role.CLERK) == {None}  # the whole party


def test_a_service_nobody_could_call_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigurationError, match="nobody could call the API"):
        Authenticator.from_settings(settings())
    with pytest.raises(AuthConfigurationError, match="PARTIA_AUTH_JWKS_URL"):
        Authenticator.from_settings(settings(auth_issuer="https://id.example"))
    production = settings(
        auth_issuer="https://id.example",
        auth_jwks_file=tmp_path / "jwks.json",
        environment="production",
    )
    assert Authenticator.from_settings(production).verifier is not None


def test_partia_auth_mint_prints_a_token_the_services_accept(tmp_path: Path) -> None:
    data, keys = tmp_path / "data", tmp_path / "keys"
    where = ["--data-dir", str(data), "--key-dir", str(keys)]
    command = [sys.executable, "-m", "partia_kit.auth.cli", *where]
    minted = subprocess.run(
        [
            *command,
            "mint",
            "--user",
            "aigerim",
            "--role",
            "clerk",
            "--organisation",
            str(ALMATY),
            "--expires",
            "1h",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    jwks = subprocess.run([*command, "jwks"], capture_output=True, text=True, check=True).stdout

    issuer = LocalIssuer.of_installation(data, keys)
    check = TokenVerifier(
        Jwks(lambda: jwks.encode()), issuer=issuer.issuer, audience=issuer.audience
    )
    principal = check.principal(minted)
    assert (principal.user, principal.organisations(Role.CLERK)) == ("aigerim", {ALMATY})
    assert not any(p.is_relative_to(data) for p in keys.rglob("*.pem"))
    assert list(keys.glob("*.signing.pem")), "the signing key is kept in the key directory"
    assert not list(data.rglob("*.pem")), "never beside the data"


def test_loading_the_issuers_keys_for_a_new_key_id_never_holds_up_the_event_loop() -> None:
    """Issue 10: the keys are loaded from the identity provider (up to 5 s) in a worker thread.
    The load below returns only once a coroutine on the loop has run: were it on the loop
    itself, that coroutine could not run, the load would give up and the token be refused."""
    issuer = LocalIssuer.generate()
    document = json.dumps(issuer.jwks()).encode()
    loop_ran = threading.Event()

    def slow_identity_provider() -> bytes:
        if not loop_ran.wait(timeout=5):
            raise OSError("the identity provider did not answer")
        return document

    authenticator = Authenticator(
        verifier=TokenVerifier(
            Jwks(slow_identity_provider), issuer=issuer.issuer, audience=issuer.audience
        )
    )
    token = issuer.mint("aigerim", [Grant(Role.CLERK, ALMATY)])
    request = Request({"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())]})

    async def meanwhile_on_the_loop() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    async def both() -> Principal:
        principal, _ = await asyncio.gather(
            authenticator.authenticate_on_loop(request), meanwhile_on_the_loop()
        )
        return principal

    assert asyncio.run(both()).user == "aigerim"
