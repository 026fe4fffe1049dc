"""The read model is right however many processes serve one database (issue 8, item 1): real
server and runner processes, talked to over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from partia_registry.settings import RegistrySettings
from tests.e2e.test_registry_service import application, decision
from tests.processes import registry_process, served
from tests.registry.builders import make_iin

pytestmark = pytest.mark.e2e

TOKEN = "e2e-token"


@contextmanager
def process(settings: RegistrySettings, *args: str, **env: str) -> Iterator[subprocess.Popen[str]]:
    with registry_process(settings, *args, tokens=f"registrar={TOKEN}", **env) as child:
        yield child


@contextmanager
def server(
    settings: RegistrySettings, *args: str, log: Path | None = None, **env: str
) -> Iterator[str]:
    with served(settings, *args, tokens=f"registrar={TOKEN}", log=log, **env) as base:
        yield base


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


def post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A fresh connection per command, so that `--workers 2` spreads them over both workers."""
    with client(base) as c:
        answer = c.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


def new_ppo(base: str) -> str:
    with client(base) as c:
        regions = c.get("/organisations", params={"kind": "regional_branch"}).json()["items"]
    astana = next(r for r in regions if r["code"] == "astana")
    names = {"kk": "Есіл", "ru": "Есиль", "en": "Yesil"}
    district = post(
        base,
        "/organisations",
        {
            "kind": "territorial_branch",
            "parent_id": astana["organisation_id"],
            "names": names,
            "decision": decision("party_bureau", astana["parent_id"], "2026-01-10"),
        },
    )["organisation_id"]
    return str(
        post(
            base,
            "/organisations",
            {
                "kind": "primary_organisation",
                "parent_id": district,
                "names": {**names, "en": "PPO 1"},
                "decision": decision("branch_bureau", district, "2026-01-20"),
            },
        )["organisation_id"]
    )


def admit(bases: list[str], ppo: str, first: int, n: int) -> int:
    """Admit n people, the commands going round the servers; returns the last log position."""
    last = 0
    for i in range(first, first + n):
        base = bases[i % len(bases)]
        iin = make_iin(date(1950 + i % 50, 1 + i % 12, 1 + i % 28))
        member = post(base, "/applications", application(ppo, iin, f"Member{i}"))["member_id"]
        admitted = post(
            base,
            f"/members/{member}/admission",
            {"decision": decision("ppo_meeting", ppo, "2026-03-10")},
        )
        last = max([last, *admitted["positions"]])
    return last


def counts(base: str, ppo: str, position: int) -> tuple[int, int, int]:
    """(the roll's total, its rows, the structure report's members), read once the read model
    includes `position`."""
    with client(base) as c:
        wait = {"min_position": position}
        roll = c.get(f"/organisations/{ppo}/roll", params={**wait, "limit": 1000})
        assert roll.status_code == 200, roll.text
        structure = c.get("/reports/structure", params=wait)
        assert structure.status_code == 200, structure.text
    body = roll.json()
    return body["total"], len(body["items"]), structure.json()["members"]


def test_serve_with_two_workers_counts_each_admission_once(settings: RegistrySettings) -> None:
    with server(settings, "--workers", "2") as base:
        ppo = new_ppo(base)
        last = admit([base], ppo, 0, 30)

        assert counts(base, ppo, last) == (30, 30, 30)
        with client(base) as c:
            status = c.get("/read-model").json()
        assert status["runner_active"] is True
        assert status["position"] >= last


def test_two_servers_on_one_database_agree_with_each_other_and_the_rolls(
    settings: RegistrySettings,
) -> None:
    with server(settings) as one, server(settings) as two:
        ppo = new_ppo(one)
        last = admit([one, two], ppo, 0, 30)

        assert counts(one, ppo, last) == (30, 30, 30)
        assert counts(two, ppo, last) == (30, 30, 30)


def test_two_runner_processes_at_once_count_each_event_once_even_when_one_is_killed(
    settings: RegistrySettings,
) -> None:
    with (
        server(settings, "--no-projection") as base,
        process(settings, "project") as first,
        process(settings, "project") as second,
    ):
        ppo = new_ppo(base)
        last = admit([base], ppo, 0, 15)
        assert counts(base, ppo, last) == (15, 15, 15)

        os.kill(first.pid, signal.SIGKILL)  # the active one or the standby: either way
        first.wait()
        last = admit([base], ppo, 15, 15)

        assert counts(base, ppo, last) == (30, 30, 30)
        assert second.poll() is None
        with client(base) as c:
            assert c.get("/read-model").json()["runner_active"] is True


def test_a_rebuild_requested_on_one_server_while_another_serves_reads_fails_no_read(
    settings: RegistrySettings, tmp_path: Path
) -> None:
    grace = {"PARTIA_READ_MODEL_GRACE": "1"}  # old tables go soon after each switch
    reader_log = tmp_path / "two.log"  # what a failed read raised, should one fail
    with server(settings, **grace) as one, server(settings, log=reader_log, **grace) as two:
        ppo = new_ppo(one)
        last = admit([one, two], ppo, 0, 10)
        assert counts(two, ppo, last) == (10, 10, 10)
        failures: list[str] = []
        reads = 0
        stop = threading.Event()

        def read() -> None:
            nonlocal reads
            with client(two) as c:
                while not stop.is_set():
                    for path in (f"/organisations/{ppo}/roll", "/reports/structure"):
                        answer = c.get(path)
                        reads += 1
                        if answer.status_code != 200:
                            failures.append(f"{path}: {answer.status_code} {answer.text[:200]}")

        reader = threading.Thread(target=read)
        reader.start()
        try:
            with client(one) as c:
                generation = c.get("/read-model").json()["generation"]
                for _ in range(2):  # the second drops the first's tables
                    rebuild = c.post("/read-model/rebuild", headers={"Idempotency-Key": "r"})
                    assert rebuild.status_code == 202, rebuild.text
                    generation += 1
                    deadline = time.monotonic() + 60
                    while (status := c.get("/read-model").json())["generation"] != generation:
                        assert time.monotonic() < deadline, f"no switch: {status}"
                        time.sleep(0.1)
                time.sleep(3)  # past the grace period: the retired tables are gone
        finally:
            stop.set()
            reader.join()

        assert failures == [], reader_log.read_text()[-6000:]
        assert reads > 20
        assert status["last_failure"] is None
        assert counts(two, ppo, last) == (10, 10, 10)
