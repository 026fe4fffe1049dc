"""What a careless or hostile client cannot do to a real server over HTTP (issue 10, "Abuse";
OWASP API4 unrestricted resource consumption, API2 broken authentication, API8 misconfiguration):
send bodies that fill its memory, guess tokens at full speed, tie up its threads with long polls,
or get answers without the security headers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from partia_kit.testing import free_port, wait_until_healthy
from partia_registry.settings import RegistrySettings
from tests.processes import registry_process, served

pytestmark = pytest.mark.e2e

TOKENS = "registrar=e2e-token,other=other-token"
TOKEN = {"Authorization": "Bearer e2e-token"}
HUNDRED_MB = 100 * 1024 * 1024


@contextmanager
def serving(settings: RegistrySettings, *args: str, **env: str) -> Iterator[tuple[str, int]]:
    """`serve` on a free port, with the process id of the API (uvicorn runs in it)."""
    port = free_port()
    with registry_process(
        settings, "serve", "--port", str(port), *args, tokens=TOKENS, **env
    ) as child:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(child, base, "serve")
        yield base, child.pid


def peak_memory_mb(pid: int) -> float:
    """The process's highest resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def megabytes(count: int) -> Iterator[bytes]:
    chunk = b"x" * (1024 * 1024)
    for _ in range(count):
        yield chunk


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "with-token"])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mb_post_is_refused_with_413_and_the_server_does_not_hold_it(
    settings: RegistrySettings, authenticated: bool, declared: bool
) -> None:
    with serving(settings) as (base, pid):
        headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
        if authenticated:
            headers |= TOKEN
        if declared:
            headers["Content-Length"] = str(HUNDRED_MB)
        before = peak_memory_mb(pid)
        refused = httpx.post(
            f"{base}/applications",
            content=megabytes(100),
            headers=headers,
            timeout=60,
        )
        grew = peak_memory_mb(pid) - before

        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["field"] == "body"
        assert problem["rule"] == "content-too-large"
        assert "1,048,576 bytes" in problem["detail"]
        assert grew < 20, f"the server's peak memory grew by {grew:.0f} MB"
        # the connection's server still answers
        assert httpx.get(f"{base}/organisations", headers=TOKEN).status_code == 200


def test_a_body_within_the_limit_is_still_read_and_the_limit_is_a_setting(
    settings: RegistrySettings,
) -> None:
    with serving(settings, PARTIA_MAX_BODY_BYTES="100") as (base, _):
        small = httpx.post(
            f"{base}/applications",
            json={"organisation_id": str(uuid.uuid4())},
            headers={**TOKEN, "Idempotency-Key": str(uuid.uuid4())},
        )
        large = httpx.post(
            f"{base}/applications",
            json={"organisation_id": str(uuid.uuid4()), "padding": "x" * 100},
            headers={**TOKEN, "Idempotency-Key": str(uuid.uuid4())},
        )
    assert small.status_code == 422  # read, and refused for what it lacks
    assert large.status_code == 413
    assert "100 bytes" in large.json()["detail"]


def test_300_wrong_token_guesses_get_429_with_retry_after_after_the_first_twenty(
    settings: RegistrySettings,
) -> None:
    with (
        served(settings, tokens=TOKENS, PARTIA_AUTH_FAILURE_LIMIT="20/minute") as base,
        httpx.Client(base_url=base) as client,
    ):
        answers = [
            client.get("/organisations", headers={"Authorization": f"Bearer guess-{n}"})
            for n in range(300)
        ]
        # while blocked, even the right token is not looked at (else a right guess would show)
        right_token = client.get("/organisations", headers=TOKEN)
        probes = [client.get(path).status_code for path in ("/health", "/ready", "/metrics")]
    statuses = [a.status_code for a in answers]
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429] * 280
    limited = answers[-1]
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["rule"] == "authentication-failures-limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert right_token.status_code == 429
    # the probes need no token: a blocked address (a proxy, a probing node) still reaches them
    assert probes == [200, 200, 200]


def test_requests_without_a_token_do_not_count_as_guesses(settings: RegistrySettings) -> None:
    with (
        served(settings, tokens=TOKENS, PARTIA_AUTH_FAILURE_LIMIT="5/minute") as base,
        httpx.Client(base_url=base) as client,
    ):
        anonymous = [client.get("/organisations").status_code for _ in range(20)]
        after = client.get("/organisations", headers=TOKEN).status_code
    assert anonymous == [401] * 20
    assert after == 200


def test_a_token_past_its_request_limit_gets_429_and_other_tokens_are_still_served(
    settings: RegistrySettings,
) -> None:
    with (
        served(settings, tokens=TOKENS, PARTIA_TOKEN_REQUEST_LIMIT="30/minute") as base,
        httpx.Client(base_url=base) as client,
    ):
        answers = [client.get("/organisations", headers=TOKEN) for _ in range(40)]
        other = client.get("/organisations", headers={"Authorization": "Bearer other-token"})
    assert [a.status_code for a in answers] == [200] * 30 + [429] * 10
    assert answers[-1].json()["rule"] == "token-rate-limited"
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert other.status_code == 200


def test_many_long_polls_waiting_for_the_read_model_do_not_stop_other_requests(
    settings: RegistrySettings,
) -> None:
    """Without a read-model runner the read model stays behind the bootstrap's events, so a read
    with `min_position` at the log's head waits its full 5 s. The server has 40 request
    threads: 60 waiting reads held one each, and a plain read queued behind them."""
    with serving(settings, "--no-projection") as (base, _), httpx.Client(base_url=base) as client:
        head = client.get("/read-model", headers=TOKEN).json()["head"]
        assert head > 0
        finished = threading.Event()

        def long_poll(_: int) -> int:
            answer = httpx.get(
                f"{base}/reports/structure",
                params={"min_position": head},
                headers=TOKEN,
                timeout=60,
            )
            finished.set()
            return answer.status_code

        with ThreadPoolExecutor(max_workers=60) as pool:
            polls = pool.map(long_poll, range(60))
            time.sleep(1)  # let them arrive and start waiting
            other = client.get("/organisations", headers=TOKEN, timeout=60)
            answered_while_waiting = not finished.is_set()
            statuses = list(polls)
    assert other.status_code == 200
    assert answered_while_waiting, "the other request waited for the long polls to end"
    assert statuses == [503] * 60  # each waited its 5 s and said so


def test_every_answer_carries_the_security_headers_and_no_hsts_without_tls(
    settings: RegistrySettings,
) -> None:
    with served(settings, tokens=TOKENS) as base, httpx.Client(base_url=base) as client:
        answers = {
            "data": client.get("/organisations", headers=TOKEN),
            "refusal": client.get("/organisations"),
            "unknown": client.get("/nowhere", headers=TOKEN),
            "health": client.get("/health"),
        }
        docs = client.get("/docs")
        asset = client.get("/docs-assets/swagger-ui.css")
        openapi = client.get("/openapi.json")
    for name, answer in answers.items():
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["cache-control"] == "no-store", name
        assert answer.headers["content-security-policy"].startswith("default-src 'none'"), name
        assert answer.headers["referrer-policy"] == "no-referrer", name
        assert answer.headers["x-frame-options"] == "DENY", name
        assert "strict-transport-security" not in answer.headers, name
    for page in (docs, asset):
        assert page.status_code == 200
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in page.headers["content-security-policy"]
    assert openapi.headers["content-security-policy"].startswith("default-src 'none'")


def test_docs_off_in_production_and_hsts_when_served_over_tls(settings: RegistrySettings) -> None:
    with (
        served(
            settings, tokens=TOKENS, PARTIA_API_DOCS="false", PARTIA_HSTS_MAX_AGE="31536000"
        ) as base,
        httpx.Client(base_url=base) as client,
    ):
        hidden = [client.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")]
        data = client.get("/organisations", headers=TOKEN)
    assert hidden == [404, 404, 404]
    assert data.status_code == 200
    assert data.headers["strict-transport-security"] == "max-age=31536000"
