"""Retries and bad input against a real server process, the way the generated-API runs found them."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.test_registry_service import decision, service  # noqa: F401 (a fixture)
from tests.registry.builders import ASTANA_ID

pytestmark = pytest.mark.e2e


def branch(name: str) -> dict[str, Any]:
    return {
        "kind": "territorial_branch",
        "parent_id": str(ASTANA_ID),
        "names": {"kk": name, "ru": name, "en": name},
        "decision": decision("branch_bureau", str(ASTANA_ID), "2026-01-10"),
    }


def test_forty_concurrent_retries_with_one_key_never_fail_and_later_writes_still_work(
    service: httpx.Client,  # noqa: F811
) -> None:
    """Issue 8 item 5: "prepared statement _pg3_N does not exist" after 40 same-key retries."""

    def create(key: str, name: str) -> httpx.Response:
        return service.post("/organisations", json=branch(name), headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=40) as pool:
        retries = list(pool.map(lambda _: create("one-key", "Yesil"), range(40)))
        later = list(pool.map(lambda n: create(str(uuid.uuid4()), f"Branch {n}"), range(40)))

    assert {r.status_code for r in retries} <= {201, 409}, [r.text for r in retries]
    answered = [r.json() for r in retries if r.status_code == 201]
    assert answered
    assert all(body == answered[0] for body in answered)
    assert [r.status_code for r in later] == [201] * 40, [r.text for r in later]
    final = create("one-key", "Yesil")
    assert (final.status_code, final.json()) == (201, answered[0])
    assert final.headers["Idempotent-Replayed"] == "true"
