"""Writes `fixtures/registry-26c28f3.sql`: a registry schema made and filled by the code of commit
26c28f3 (before versioned migrations), for the upgrade test. Kept to show how the fixture was
made; it only gives that result when run on a checkout of that commit:

    git worktree add /tmp/v0 26c28f3 && cp tests/registry/migrations/capture_fixture.py /tmp/v0/
    cd /tmp/v0 && PYTHONPATH=. <venv>/bin/python capture_fixture.py <this directory>/fixtures
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from partia_kit.postgres.embedded import start_embedded_postgres
from partia_kit.relay import create_position_table
from partia_registry.api.app import create_app
from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import application, decision, make_ppo, post
from tests.registry.builders import make_iin

SCHEMA = "partia_v0"
MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # a test key, in the clear on purpose


def capture(out: Path) -> None:
    import datetime

    import psycopg

    server, url = start_embedded_postgres(Path(tempfile.mkdtemp()) / "pg", throwaway=True)
    try:
        settings = RegistrySettings(
            database_url=url,
            database_schema=SCHEMA,
            master_key=MASTER_KEY,
            api_tokens="registrar=registrar-token",
            data_dir=Path("/nonexistent"),
        )
        expected: dict[str, object] = {}
        with TestClient(create_app(settings)) as client:
            client.headers["Authorization"] = "Bearer registrar-token"
            ppo = make_ppo(client)
            members = []
            for n in range(3):
                iin = make_iin(datetime.date(1980 + n, 1, 1 + n))
                member = post(client, "/applications", application(ppo, iin), key=f"apply-{n}")
                assert member.status_code == 201, member.text
                member_id = member.json()["member_id"]
                body = {"decision": decision("ppo_meeting", ppo)}
                admitted = post(client, f"/members/{member_id}/admission", body, key=f"admit-{n}")
                assert admitted.status_code == 200, admitted.text
                members.append(
                    {"member_id": member_id, "card_number": admitted.json()["card_number"]}
                )
            while client.get("/read-model").json()["lag_events"] != 0:
                time.sleep(0.1)
            expected = {
                "schema": SCHEMA,
                "master_key": MASTER_KEY,
                "ppo": ppo,
                "members": members,
                "roll": client.get(f"/organisations/{ppo}/roll").json(),
            }
        with psycopg.connect(url, autocommit=True) as conn:
            create_position_table(conn, SCHEMA, "registry")  # what the registry's relay makes
        pg_dump = Path(__import__("embedded_postgres").__file__).parent / "pginstall/bin/pg_dump"
        dump = subprocess.run(
            [str(pg_dump), "--no-owner", "--no-privileges", f"--schema={SCHEMA}", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (out / "registry-26c28f3.sql").write_text(dump)
        (out / "registry-26c28f3.json").write_text(json.dumps(expected, indent=2) + "\n")
    finally:
        server.cleanup()


if __name__ == "__main__":
    capture(Path(sys.argv[1]).resolve())
