"""docker-compose.yml and its two overrides (development, added by `docker compose up` itself;
production, named with -f), checked without a Docker engine: against the Compose specification's
schema and against the code they run (settings, command-line parsers, ports, HTTP routes)."""

from __future__ import annotations

import json
import os
import re
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

from partia_kit.auth import AuthConfigurationError, Authenticator, Role
from tests.deploy.support import (
    ROOT,
    SECRET_LOOKING,
    app_routes,
    bearer_request,
    identity_provider_token,
    image_default,
    image_variables,
    parse_command,
    placeholder_secret,
    registry_settings,
    settings_variables,
    variables_the_code_reads,
)

FILES = ["docker-compose.yml", "docker-compose.override.yml", "docker-compose.production.yml"]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
PARTIA = sorted(
    name for name, s in SERVICES.items() if str(s.get("image", "")).startswith("partia-")
)
MIGRATIONS = {
    "partia-registry": "migrate",
    "partia-finance": "finance-migrate",
    "partia-notifications": "notifications-migrate",
}
"""The image's migration container: each service's migrations run from its own image."""
RUNNING = [name for name in PARTIA if name not in MIGRATIONS.values()]
APIS = {"registry": 8000, "finance": 8001, "notifications": 8002}
"""The API containers and their ports (issue 11: finance on 8001; issue 13: notifications 8002)."""
RUNNERS = [
    "registry-projection",
    "registry-relay",
    "finance-project",
    "finance-relay",
    "notifications-project",
    "notifications-send",
]


def image_name(service: str) -> str:
    return str(SERVICES[service]["image"]).split(":")[0]


def service_of(container: str) -> str:
    return image_name(container).removeprefix("partia-")


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
    assert PARTIA == [
        "finance",
        "finance-clock",
        "finance-migrate",
        "finance-project",
        "finance-relay",
        "migrate",
        "notifications",
        "notifications-migrate",
        "notifications-project",
        "notifications-relay",
        "notifications-send",
        "registry",
        "registry-projection",
        "registry-relay",
    ]


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


def mounted(service: dict[str, Any]) -> dict[str, str]:
    """A service's secrets: the name each is read under (/run/secrets/<target>) -> its source."""
    found = {}
    for secret in service.get("secrets", []):
        if isinstance(secret, str):
            found[secret] = secret
        else:
            found[secret.get("target", secret["source"])] = secret["source"]
    return found


def test_each_secret_is_a_file_named_after_a_setting_the_code_reads() -> None:
    readable = {name.lower() for name in settings_variables()}
    for service in PARTIA:
        assert environment(service)["PARTIA_SECRETS_DIR"] == "/run/secrets"
        assert set(mounted(SERVICES[service])) <= readable, service
        assert set(mounted(SERVICES[service]).values()) <= set(COMPOSE["secrets"]), service
    for name, secret in COMPOSE["secrets"].items():
        assert set(secret) == {"file"}, f"{name}: from a file outside git, never a literal"
        assert secret["file"].startswith("./secrets/")
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("service", PARTIA)
def test_each_command_is_one_the_cli_accepts(service: str) -> None:
    parse_command(SERVICES[service]["command"])


def test_migrate_runs_first_and_the_rest_start_only_after_it_succeeded() -> None:
    assert SERVICES["migrate"]["command"] == ["partia", "migrate"]
    assert SERVICES["finance-migrate"]["command"] == ["partia", "migrate", "--service", "finance"]
    notifications = ["partia", "migrate", "--service", "notifications"]
    assert SERVICES["notifications-migrate"]["command"] == notifications
    for migrate in MIGRATIONS.values():
        assert SERVICES[migrate]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in RUNNING:
        migrate = MIGRATIONS[image_name(service)]  # the one that runs its service's migrations
        condition = SERVICES[service]["depends_on"][migrate]["condition"]
        assert condition == "service_completed_successfully", service


def test_each_services_containers_use_its_own_schema() -> None:
    for service in PARTIA:
        schema = environment(service)["PARTIA_DATABASE_SCHEMA"]
        assert schema == service_of(service), service


def test_the_finance_image_is_built_for_finance_on_its_port() -> None:
    """The one Dockerfile, with the finance service's build args (issue 11 item 1: port 8001)."""
    args = SERVICES["finance"]["build"]["args"]
    assert (args["SERVICE"], int(args["PORT"])) == ("finance", APIS["finance"])
    assert parse_command(["partia-finance", "serve"]).port == APIS["finance"]


def test_the_api_listens_on_the_registrys_port_and_publishes_it() -> None:
    default_port = parse_command(["partia-registry", "serve"]).port
    args = parse_command(SERVICES["registry"]["command"])
    assert default_port == args.port == int(image_default("PORT")) == 8000
    assert args.host == "0.0.0.0"
    assert args.no_projection
    assert any(p.endswith(f":{args.port}") for p in SERVICES["registry"]["ports"])


def test_the_finance_api_listens_on_its_port_and_publishes_it() -> None:
    args = parse_command(SERVICES["finance"]["command"])
    assert args.port == int(SERVICES["finance"]["build"]["args"]["PORT"]) == 8001
    assert args.host == "0.0.0.0"
    assert any(p.endswith(f":{args.port}") for p in SERVICES["finance"]["ports"])
    assert {"/ready", "/health"} <= app_routes("finance")  # the image's HEALTHCHECK asks /ready


def test_the_notifications_api_listens_on_its_port_and_the_sender_mails_mailpit() -> None:
    """Issue 13 item 6: the service on 8002; in compose its mail goes to a Mailpit container."""
    args = parse_command(SERVICES["notifications"]["command"])
    assert args.port == int(SERVICES["notifications"]["build"]["args"]["PORT"]) == 8002
    assert any(p.endswith(f":{args.port}") for p in SERVICES["notifications"]["ports"])
    assert {"/ready", "/health"} <= app_routes("notifications")
    sender = environment("notifications-send")
    assert SERVICES["mailpit"]["image"].startswith("axllent/mailpit:")
    assert (sender["PARTIA_SMTP_HOST"], sender["PARTIA_SMTP_PORT"]) == ("mailpit", "1025")
    assert sender["PARTIA_REGISTRY_URL"] == f"http://registry:{APIS['registry']}"
    assert "partia_registry_token" in SERVICES["notifications-send"]["secrets"]


def test_the_finance_api_asks_the_registry_with_its_own_account_not_the_notifications_one() -> None:
    """Decision 296: whose record holds an IIN, asked with the `finance` service account's token
    from a secret file of its own, read under the setting's name."""
    finance = SERVICES["finance"]
    assert environment("finance")["PARTIA_REGISTRY_URL"] == "http://registry:8000"
    assert mounted(finance)["partia_registry_token"] == "partia_finance_registry_token"
    assert mounted(SERVICES["notifications-send"])["partia_registry_token"] == (
        "partia_registry_token"
    )
    script = (ROOT / "deploy" / "compose-secrets.sh").read_text()
    assert 'make_secret partia_finance_registry_token ""' in script
    assert parse_command(SERVICES["notifications-send"]["command"]).command == "send"


def test_the_images_healthcheck_asks_the_apis_ready_route() -> None:
    url = urlsplit(image_variables_defaults()["HEALTHCHECK_URL"])
    assert url.port == int(image_default("PORT"))
    assert url.path == "/ready"
    assert {"/ready", "/health"} <= app_routes()


@pytest.mark.parametrize("service", RUNNERS)
def test_the_projection_and_relay_are_checked_on_their_metrics_port(service: str) -> None:
    env = environment(service)
    url = urlsplit(env["HEALTHCHECK_URL"])
    assert url.port == int(env["PARTIA_METRICS_PORT"])
    assert env["PARTIA_METRICS_HOST"] == "0.0.0.0"  # reachable by Prometheus, not only inside
    assert url.path in app_routes(service_of(service))
    assert url.path == "/ready"


def test_the_finance_clock_runs_daily_at_the_kubernetes_cronjobs_hour() -> None:
    """Issue 11 item 4: compose has no scheduler, so `clock --daily-at` keeps running and runs
    it at the hour the CronJob does (its schedule is in Asia/Almaty, UTC+5 all year)."""
    args = parse_command(SERVICES["finance-clock"]["command"])
    assert args.command == "clock"
    assert args.on is None  # each run's own day
    cronjob = yaml.safe_load(
        (ROOT / "deploy/kubernetes/base/finance-clock-cronjob.yaml").read_text()
    )["spec"]
    minute, hour, *_ = cronjob["schedule"].split()
    assert cronjob["timeZone"] == "Asia/Almaty"
    assert (args.daily_at.hour + 5) % 24 == int(hour)
    assert args.daily_at.minute == int(minute)
    assert SERVICES["finance-clock"]["healthcheck"] == {"disable": True}  # it serves no /ready


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


def test_the_finance_consumer_reads_the_brokers_address_and_waits_for_kafka(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = SERVICES["finance-project"]
    for name in ("finance-project", "finance-relay"):
        assert SERVICES[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name, value in environment("finance-project").items():
        monkeypatch.setenv(name, value)
    assert parse_command(project["command"]).bootstrap == "kafka:9092"


@pytest.mark.parametrize("api", APIS)
def test_the_api_does_not_wait_for_kafka(api: str) -> None:
    assert "kafka" not in SERVICES[api]["depends_on"]


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


@pytest.mark.parametrize("migrate", sorted(MIGRATIONS.values()))
def test_the_migrate_container_migrates_the_database_its_secret_file_names(
    migrate: str, database_url: str, tmp_path: Path
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
        **environment(migrate),
        "PARTIA_SECRETS_DIR": str(secrets),
        "PARTIA_DATABASE_SCHEMA": schema,
        "PARTIA_DATA_DIR": str(tmp_path / "data"),  # were it to start an embedded one
        "PARTIA_KEY_DIR": str(tmp_path / "keys"),
    }
    script, *args = SERVICES[migrate]["command"]
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


# Development and production mode (decision 176)

# Lists a later file replaces; every other list is appended to (the Compose specification's
# merge rules: secrets, ports and volumes keep one entry per source or target).
_REPLACED_LISTS = {"command", "entrypoint", "test"}


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge of a later file into an earlier one, for what these files use: mappings
    key by key, lists appended without repeats (but commands replaced), anything else replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {k: merge(base[k], v, k) if k in base else v for k, v in override.items()} | {
            k: v for k, v in base.items() if k not in override
        }
    if key not in _REPLACED_LISTS and isinstance(base, list) and isinstance(override, list):
        return base + [item for item in override if item not in base]
    return override


def configuration(*names: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name in names:
        merged = merge(merged, yaml.safe_load((ROOT / name).read_text()))
    return merged


DEFAULT = configuration("docker-compose.yml", "docker-compose.override.yml")  # `docker compose up`
PRODUCTION = configuration("docker-compose.yml", "docker-compose.production.yml")
MODES = {"development": DEFAULT, "production": PRODUCTION}

_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match[1], match[2] or "", match[3] or ""
        value = env.get(name)
        unset = value is None or (operator.startswith(":") and value == "")
        if unset and operator.endswith("?"):
            raise MissingVariable(f"{name}: {argument}")
        if unset and operator.endswith("-"):
            return argument
        return value or ""

    return _VARIABLE.sub(one, value)


def service_environment(config: dict[str, Any], service: str) -> dict[str, str]:
    env = config["services"][service].get("environment", {})
    assert isinstance(env, dict), f"{service}: write environment as a mapping"
    return {k: str(v) for k, v in env.items()}


@pytest.mark.parametrize("name", FILES[1:])
def test_each_override_file_alone_and_merged_is_valid_under_the_compose_specification(
    name: str,
) -> None:
    validator = jsonschema.Draft202012Validator(compose_schema())
    for document in (
        yaml.safe_load((ROOT / name).read_text()),
        configuration("docker-compose.yml", name),
    ):
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)
        ]
        assert errors == []


@pytest.mark.parametrize("mode", MODES)
def test_every_variable_an_override_sets_is_one_the_code_reads_and_none_is_a_secret(
    mode: str,
) -> None:
    config = MODES[mode]
    for service in PARTIA:
        names = set(service_environment(config, service))
        assert names - variables_the_code_reads() - image_variables() == set(), service
        assert {n for n in names if SECRET_LOOKING.search(n) and not n.endswith("_DIR")} == set()
    read_as = {
        source: target
        for service in config["services"].values()
        for target, source in mounted(service).items()
    }
    for name, secret in config["secrets"].items():
        assert set(secret) == {"file"}, f"{name}: from a file outside git, never a literal"
        file = Path(secret["file"]).name
        assert read_as.get(file, file) in {n.lower() for n in settings_variables()} | {
            "postgres_password"
        }


def test_docker_compose_up_runs_in_development_mode_with_static_tokens_for_the_api_only() -> None:
    for api in APIS:
        assert service_environment(DEFAULT, api)["PARTIA_ENVIRONMENT"] == "development"
        assert "partia_api_tokens" in DEFAULT["services"][api]["secrets"]
    for service in (s for s in PARTIA if s not in APIS):
        assert "partia_api_tokens" not in DEFAULT["services"][service]["secrets"], service


def test_the_compose_file_alone_gives_no_process_static_tokens() -> None:
    assert "partia_api_tokens" not in COMPOSE["secrets"]
    for service in PARTIA:
        assert "partia_api_tokens" not in SERVICES[service]["secrets"], service
        assert "PARTIA_API_TOKENS" not in environment(service), service


@pytest.mark.parametrize("api", APIS)
def test_production_mode_runs_the_api_with_the_identity_provider_and_no_static_tokens(
    api: str,
) -> None:
    env = service_environment(PRODUCTION, api)
    assert env["PARTIA_ENVIRONMENT"] == "production"
    assert {"PARTIA_AUTH_ISSUER", "PARTIA_AUTH_JWKS_URL", "PARTIA_AUTH_AUDIENCE"} <= set(env)
    assert "partia_api_tokens" not in PRODUCTION["secrets"]
    for service in PARTIA:
        assert "partia_api_tokens" not in PRODUCTION["services"][service]["secrets"], service
        if service not in APIS:  # they serve no API: only `serve` checks tokens
            others = set(service_environment(PRODUCTION, service))
            assert not {n for n in others if n.startswith(("PARTIA_AUTH_", "PARTIA_ENVIRONMENT"))}


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("missing", ["PARTIA_AUTH_ISSUER", "PARTIA_AUTH_JWKS_URL"])
def test_production_mode_stops_before_starting_anything_without_the_identity_providers_address(
    missing: str, api: str
) -> None:
    given = {
        "PARTIA_AUTH_ISSUER": "https://id.example.kz/realms/baytaq",
        "PARTIA_AUTH_JWKS_URL": "https://id.example.kz/realms/baytaq/protocol/openid-connect/certs",
    }
    env = service_environment(PRODUCTION, api)
    assert interpolate(env[missing], given) == given[missing]
    for unset in ({k: v for k, v in given.items() if k != missing}, given | {missing: ""}):
        with pytest.raises(MissingVariable, match=missing):
            interpolate(env[missing], unset)


def production_api(
    config: dict[str, Any],
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    api: str = "registry",
    **given: str,
) -> Any:
    """The settings the production API container starts with, its secret files as placeholders."""
    env = {k: interpolate(v, given) for k, v in service_environment(config, api).items()}
    files = {name: placeholder_secret(name) for name in mounted(config["services"][api])}
    return registry_settings(env, files, directory, monkeypatch, service=api)


@pytest.mark.parametrize("api", APIS)
def test_the_api_starts_in_production_mode_and_accepts_the_identity_providers_tokens(
    api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = "https://id.example.kz/realms/baytaq"
    token, jwks = identity_provider_token(
        {
            "iss": issuer,
            "aud": "partia",
            "sub": "f3c1e2d4",
            "preferred_username": "aigerim",
            "partia": {"roles": [{"role": "auditor", "organisation": str(uuid.uuid4())}]},
        },
        tmp_path,
    )
    settings = production_api(
        PRODUCTION,
        tmp_path,
        monkeypatch,
        api,
        PARTIA_AUTH_ISSUER=issuer,
        PARTIA_AUTH_JWKS_URL=jwks.as_uri(),
    )
    settings.auth_jwks_url, settings.auth_jwks_file = None, jwks  # the address is a placeholder

    principal = Authenticator.from_settings(settings).authenticate(bearer_request(token))

    assert (principal.user, principal.roles) == ("aigerim", {Role.AUDITOR})


@pytest.mark.parametrize("api", APIS)
def test_the_api_refuses_to_start_when_the_development_tokens_are_added_to_production_mode(
    api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-f docker-compose.yml -f docker-compose.override.yml -f docker-compose.production.yml`
    mounts the tokens into a production API: it must not start."""
    both = configuration(*FILES)
    settings = production_api(
        both,
        tmp_path,
        monkeypatch,
        api,
        PARTIA_AUTH_ISSUER="https://id.example.kz/realms/baytaq",
        PARTIA_AUTH_JWKS_URL="https://id.example.kz/realms/baytaq/protocol/openid-connect/certs",
    )
    assert settings.tokens()  # the override's file was read

    with pytest.raises(AuthConfigurationError, match="PARTIA_API_TOKENS"):
        Authenticator.from_settings(settings)
