"""What putting every look at personal data on record costs a roll read (issue 10 item 4).

    python -m bench.access_log [--members 100] [--reads 3000]

One run, one throwaway PostgreSQL, the registry's real application in this process (no network:
the figure is the endpoint's own cost, which is what the log adds to). A primary organisation
with N members; then the same roll page (N names) read over and over, the three ways taking turns
request by request so that drift hits them alike:
  - off: the access log's `record` does nothing (what a read cost before issue 10);
  - batched: as a roll page is recorded (queued; the log's thread writes many per COPY);
  - waited: as a member's record or a CSV export is recorded (the answer waits for its COPY).
Prints p50/p99/max per way and the records and round trips the log made.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from partia_kit.access_log import AccessLog, AccessRecord
from partia_kit.postgres.embedded import start_embedded_postgres
from partia_registry.api.app import create_app
from partia_registry.settings import RegistrySettings
from tests.registry.builders import ASTANA_ID, make_iin

TOKEN = "bench-token"


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    answer = client.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def decision(kind: str, organisation: Any, on: str) -> dict[str, Any]:
    return {
        "body": {"kind": kind, "organisation_id": str(organisation)},
        "decided_on": on,
        "reference": "Minutes",
    }


def party(client: TestClient, members: int) -> tuple[str, int]:
    names = {"kk": "k", "ru": "r", "en": "Bench"}
    district = post(
        client,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": str(ASTANA_ID),
            "names": names,
            "decision": decision("branch_bureau", ASTANA_ID, "2024-01-01"),
        },
    )["organisation_id"]
    ppo = post(
        client,
        "/organisations",
        {
            "kind": "primary_organisation",
            "parent_id": district,
            "names": names,
            "decision": decision("branch_bureau", district, "2024-01-02"),
        },
    )["organisation_id"]
    last = 0
    for i in range(members):
        member = post(
            client,
            "/applications",
            {
                "organisation_id": ppo,
                "person": {
                    "iin": make_iin(date(1960 + i % 40, 1 + i % 12, 1 + i % 28), serial=i),
                    "surname": f"Surname{i}",
                    "given_name": "Name",
                    "address": "Astana",
                },
                "declarations": {"citizenship": "KZ", "member_of_another_party": False},
                "application_document": {
                    "form": "paper",
                    "reference": "A",
                    "signed_on": "2025-01-01",
                },
            },
        )["member_id"]
        admitted = post(
            client,
            f"/members/{member}/admission",
            {"decision": decision("ppo_meeting", ppo, "2025-02-01")},
        )
        last = max(admitted["positions"])
    return ppo, last


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--reads", type=int, default=3000, help="per way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-access-log-") as workdir:
        server, url = start_embedded_postgres(Path(workdir) / "pg", throwaway=True)
        try:
            run(url, Path(workdir), args.members, args.reads)
        finally:
            server.cleanup()


def run(url: str, workdir: Path, members: int, reads: int) -> None:
    settings = RegistrySettings(
        database_url=url,
        database_schema="bench",
        master_key=base64.b64encode(os.urandom(32)).decode(),
        api_tokens=f"bench={TOKEN}",
        data_dir=workdir,
    )
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        ppo, last = party(client, members)
        registry: Any = client.app.state.registry  # type: ignore[attr-defined]
        assert registry.read_model.wait_for(last, timeout=60)
        log: AccessLog = registry.access_log
        recorded = log.record

        def off(record: AccessRecord, *, wait: bool = False) -> None:
            return None

        def waited(record: AccessRecord, *, wait: bool = False) -> None:
            recorded(record, wait=True)

        ways = {"off": off, "batched": recorded, "waited": waited}
        samples: dict[str, list[float]] = {way: [] for way in ways}
        path = f"/organisations/{ppo}/roll"
        params = {"limit": members}
        for _ in range(50):  # warm up
            client.get(path, params=params)
        before = (log.written, log.batches)
        for _ in range(reads):
            for way, record in ways.items():
                log.record = record  # type: ignore[method-assign,assignment]
                start = time.perf_counter()
                answer = client.get(path, params=params)
                samples[way].append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, answer.text
                assert answer.json()["total"] == members
        log.record = recorded  # type: ignore[method-assign]
        log.flush()
        written, batches = log.written - before[0], log.batches - before[1]
    print(f"roll page of {members} names, {reads} reads per way, in-process (ms):")
    for way, times in samples.items():
        print(
            f"  {way:8} p50 {statistics.median(times):6.2f}  p99 {percentile(times, 0.99):6.2f}"
            f"  max {max(times):6.2f}"
        )
    print(
        f"  the log wrote {written} records in {batches} COPYs ({written / max(batches, 1):.1f} per COPY)"
    )


if __name__ == "__main__":
    main()
