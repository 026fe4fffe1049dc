"""Schemathesis against a real server process: requests generated from `/openapi.json` (its
examples, boundary values, random data, and stateful sequences that follow the links it infers,
e.g. from a 201's `Location`) must never get a 5xx, and every answer must be what the document
says: status code, media type, headers and body schema.

Bounded (a fixed number of examples per operation and a fixed seed) so that `make test` stays
reproducible and takes well under a minute. To search harder by hand:
`PARTIA_FUZZ_EXAMPLES=200 PARTIA_FUZZ_SEED=random .venv/bin/python -m pytest tests/e2e/test_generated_api.py`.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from partia_registry.settings import RegistrySettings
from tests.processes import served
from tests.registry.builders import ASTANA_ID, PARTY_ID, make_iin

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = int(os.environ.get("PARTIA_FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("PARTIA_FUZZ_SEED", "20261130")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
TOKEN = "generated-api-token"


@pytest.fixture
def server(settings: RegistrySettings, tmp_path: Path) -> Iterator[str]:
    """A registry process of its own, on its own schema: the base URL. What it logs goes to
    `server.log` beside the test's files."""
    with served(settings, tokens=f"fuzzer={TOKEN}", log=tmp_path / "server.log") as base:
        yield base


def _seed(base: str) -> dict[str, list[str]]:
    """A district branch, a PPO, an applicant and a member, so that generated requests reach the
    registry's rules and not only its 404s: their ids go into schemathesis's dictionaries."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            assert response.status_code in (200, 201), response.text
            receipt: dict[str, Any] = response.json()
            return receipt

        def decision(kind: str, organisation: str) -> dict[str, Any]:
            body = {"kind": kind, "organisation_id": organisation}
            return {"body": body, "decided_on": "2026-01-10", "reference": "Minutes 1"}

        def names(en: str) -> dict[str, str]:
            return {"kk": en, "ru": en, "en": en}

        astana = str(ASTANA_ID)
        district = post(
            "/organisations",
            {
                "kind": "territorial_branch",
                "parent_id": astana,
                "names": names("District"),
                "decision": decision("branch_bureau", astana),
            },
        )["organisation_id"]
        ppo = post(
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": names("PPO"),
                "decision": decision("branch_bureau", district),
            },
        )["organisation_id"]
        iins = [make_iin(date(1980 + i, 3, 1)) for i in range(3)]
        people = [
            post(
                "/applications",
                {
                    "organisation_id": ppo,
                    "person": {
                        "iin": iin,
                        "surname": "Seed",
                        "given_name": "Seed",
                        "address": "Astana",
                    },
                    "declarations": {"citizenship": "KZ", "member_of_another_party": False},
                    "application_document": {
                        "form": "paper",
                        "reference": "A-1",
                        "signed_on": "2026-01-10",
                    },
                },
            )["member_id"]
            for iin in iins[:2]
        ]
        post(f"/members/{people[1]}/admission", {"decision": decision("ppo_meeting", ppo)})
    return {
        "organisations": [str(PARTY_ID), astana, district, ppo],
        "members": people,
        "iins": [iins[2], make_iin(date(1990, 5, 5)), make_iin(date(1975, 7, 7))],
    }


def _config(seeded: dict[str, list[str]]) -> str:
    """schemathesis.toml: known ids and valid IINs offered part of the time, random data the rest."""
    lines = []
    for name, values in seeded.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    bindings = {
        "path.organisation_id": "organisations",
        "path.member_id": "members",
        "body.parent_id": "organisations",
        "body.to_parent_id": "organisations",
        "body.organisation_id": "organisations",
        "body.to_organisation_id": "organisations",
        "body.decision.body.organisation_id": "organisations",
        "body.body.organisation_id": "organisations",
        "body.person.iin": "iins",
    }
    for key, dictionary in bindings.items():
        lines.append(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.7 }}')
    return "\n".join(lines) + "\n"


def test_generated_requests_get_no_server_error_and_answers_match_the_openapi_document(
    server: str, tmp_path: Path
) -> None:
    (tmp_path / "schemathesis.toml").write_text(_config(_seed(server)))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server}/openapi.json",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            *([] if SEED == "random" else ["--seed", SEED]),
            "--request-timeout",
            "15",
            "--no-color",
        ],
        cwd=tmp_path,  # its reports and caches stay out of the work tree
        capture_output=True,
        text=True,
        timeout=max(300, MAX_EXAMPLES * 30),
    )
    log = (tmp_path / "server.log").read_text()
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:] + log[-10_000:]
    assert "Stateful" in run.stdout  # the stateful phase ran


def test_after_a_500_the_same_keep_alive_connection_serves_the_next_request(
    server: str, settings: RegistrySettings
) -> None:
    """A server error must not cost the client its connection without warning: before, the
    server closed it silently and the next request on it failed with a reset."""
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute(  # a fault under the service: its organisation list now fails
            sql.SQL("DROP TABLE {} CASCADE").format(
                sql.Identifier(settings.database_schema, "registry_organisation_index")
            )
        )
    host, port = server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        connection.request("GET", "/organisations", headers=headers)
        failed = connection.getresponse()
        body = json.loads(failed.read())
        connection.request("GET", "/health", headers=headers)  # the same connection
        after = connection.getresponse()
        after.read()
    finally:
        connection.close()

    assert (failed.status, failed.getheader("content-type")) == (500, "application/problem+json")
    assert body["rule"] == "internal-error"
    assert after.status == 200
