"""docker-compose.yml, checked without a Docker engine: against the Compose specification's
schema and against the code it runs (settings, command-line parsers, ports, HTTP routes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import psycopg
import pytest
import yaml

from tests.deploy.support import (
    ROOT,
    SECRET_LOOKING,
    app_routes,
    image_default,
    image_variables,
    parse_command,
    settings_variables,
    variables_the_code_reads,
)

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
PARTIA = sorted(
    name for name, s in SERVICES.items() if str(s.get("image", "")).startswith("partia-")
)
RUNNING = [name for name in PARTIA if name != "migrate"]


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment", {})
    assert isinstance(env, dict), f"{service}: write environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def compose_schema() -> dict[str, Any]:
    """The Compose specification's JSON schema as check-jsonschema vendors it (decision 106)."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text())  # type: ignore[no-any-return]


def test_the_compose_file_is_valid_under_the_compose_specification() -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft202012Validator(compose_schema()).iter_errors(COMPOSE)
    ]
    assert errors == []


def test_the_partia_containers_are_the_api_the_projection_the_relay_and_migrate() -> None:
    assert PARTIA == ["migrate", "registry", "registry-projection", "registry-relay"]


@pytest.mark.parametrize("service", PARTIA)
def test_every_variable_set_for_a_partia_container_is_one_the_code_or_the_image_reads(
    service: str,
) -> None:
    unread = set(environment(service)) - variables_the_code_reads() - image_variables()
    assert unread == set(), f"{service} sets variables nothing reads"


@pytest.mark.parametrize("service", PARTIA)
def test_no_secret_is_written_into_the_compose_file(service: str) -> None:
    secret_looking = {
        name
        for name in environment(service)
        if SECRET_LOOKING.search(name) and not name.endswith(("_DIR", "_FILE"))  # where, not what
    }
    assert secret_looking == set(), "secrets come as files (`secrets:`), not values"


def test_each_secret_is_a_file_named_after_a_setting_the_code_reads() -> None:
    readable = {name.lower() for name in settings_variables()}
    for service in PARTIA:
        assert environment(service)["PARTIA_SECRETS_DIR"] == "/run/secrets"
        assert set(SERVICES[service]["secrets"]) <= readable, service
    for name, secret in COMPOSE["secrets"].items():
        assert set(secret) == {"file"}, f"{name}: from a file outside git, never a literal"
        assert secret["file"].startswith("./secrets/")
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("service", PARTIA)
def test_each_command_is_one_the_cli_accepts(service: str) -> None:
    parse_command(SERVICES[service]["command"])


def test_migrate_runs_first_and_the_rest_start_only_after_it_succeeded() -> None:
    assert SERVICES["migrate"]["command"] == ["partia", "migrate"]
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in RUNNING:
        condition = SERVICES[service]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", service


def test_the_api_listens_on_the_registrys_port_and_publishes_it() -> None:
    default_port = parse_command(["partia-registry", "serve"]).port
    args = parse_command(SERVICES["registry"]["command"])
    assert default_port == args.port == int(image_default("PORT")) == 8000
    assert args.host == "0.0.0.0"
    assert args.no_projection
    assert any(p.endswith(f":{args.port}") for p in SERVICES["registry"]["ports"])


def test_the_images_healthcheck_asks_the_apis_ready_route() -> None:
    url = urlsplit(image_variables_defaults()["HEALTHCHECK_URL"])
    assert url.port == int(image_default("PORT"))
    assert url.path == "/ready"
    assert {"/ready", "/health"} <= app_routes()


@pytest.mark.parametrize("service", ["registry-projection", "registry-relay"])
def test_the_projection_and_relay_are_checked_on_their_metrics_port(service: str) -> None:
    env = environment(service)
    url = urlsplit(env["HEALTHCHECK_URL"])
    assert url.port == int(env["PARTIA_METRICS_PORT"])
    assert env["PARTIA_METRICS_HOST"] == "0.0.0.0"  # reachable by Prometheus, not only inside
    assert url.path in app_routes()
    assert url.path == "/ready"


def test_kafka_runs_as_one_kraft_node_that_advertises_the_address_the_relay_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kafka = environment("kafka")
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:")
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka['KAFKA_NODE_ID']}@kafka:9093"
    assert kafka["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    relay = SERVICES["registry-relay"]
    assert relay["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name, value in environment("registry-relay").items():
        monkeypatch.setenv(name, value)
    assert parse_command(relay["command"]).bootstrap == "kafka:9092"


def test_the_api_does_not_wait_for_kafka() -> None:
    assert "kafka" not in SERVICES["registry"]["depends_on"]


def test_postgresql_18_keeps_its_data_in_a_named_volume_at_the_18_image_path() -> None:
    postgres = SERVICES["postgres"]
    assert postgres["image"] == "postgres:18"
    assert "postgres-data:/var/lib/postgresql" in postgres["volumes"]
    assert postgres["healthcheck"]["test"][1] == "pg_isready"
    assert environment("postgres")["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert set(COMPOSE["volumes"]) >= {"postgres-data", "kafka-data"}


def image_variables_defaults() -> dict[str, str]:
    from tests.deploy.support import dockerfile

    return dict(dockerfile().envs)


def test_the_migrate_container_migrates_the_database_its_secret_file_names(
    database_url: str, tmp_path: Path
) -> None:
    """The URL reaches the containers as a file, not a variable: a `partia migrate` that read only
    PARTIA_DATABASE_URL would fall back to an embedded throwaway database inside the container,
    migrate that, and report success while the real database stayed behind."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "partia_database_url").write_text(database_url + "\n")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTIA_")},
        **environment("migrate"),
        "PARTIA_SECRETS_DIR": str(secrets),
        "PARTIA_DATABASE_SCHEMA": schema,
        "PARTIA_DATA_DIR": str(tmp_path / "data"),  # were it to start an embedded one
        "PARTIA_KEY_DIR": str(tmp_path / "keys"),
    }
    script, *args = SERVICES["migrate"]["command"]
    installed = Path(sys.executable).parent / script
    assert installed.exists(), f"no {script} console script installed"

    done = subprocess.run(
        [str(installed), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 0, done.stderr[-2000:]
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchone()
    assert tables is not None
    assert tables[0] > 0, f"nothing was migrated in schema {schema} of the secret's database"
