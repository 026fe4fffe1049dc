"""deploy/kubernetes, checked offline: what `kustomize build` would need (listed files exist,
patches and merges find their targets), every manifest against Kubernetes' own schemas
(kubernetes-validate ships them), and against the code: commands, variables, probe paths, ports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from partia_kit.auth import AuthConfigurationError, Authenticator, Role
from tests.deploy.support import (
    ROOT,
    SECRET_LOOKING,
    app_routes,
    bearer_request,
    identity_provider_token,
    load_yaml_documents,
    parse_command,
    placeholder_secret,
    registry_settings,
    settings_variables,
    variables_the_code_reads,
)

KUBERNETES = ROOT / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
OVERLAYS = sorted(p.parent for p in (KUBERNETES / "overlays").glob("*/kustomization.yaml"))
# the oldest and the newest Kubernetes the validator knows, within upstream support or near it
VERSIONS = ["1.31.0", kubernetes_validate.utils.latest_version()]


def kustomization(directory: Path) -> dict[str, Any]:
    (document,) = load_yaml_documents(directory / "kustomization.yaml")
    assert isinstance(document, dict)
    return document


def manifests(directory: Path) -> list[dict[str, Any]]:
    """The resources a kustomization lists, its bases' included (what `kustomize build` reads)."""
    found: list[dict[str, Any]] = []
    for entry in kustomization(directory).get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            found += manifests(path)
        else:
            found += load_yaml_documents(path)
    return found


APIS = {
    "registry-api": "registry",
    "finance-api": "finance",
    "notifications-api": "notifications",
}
RUNNERS = [
    "registry-projection",
    "registry-relay",
    "finance-project",
    "finance-relay",
    "notifications-project",
    "notifications-send",
    "notifications-relay",
]


def workloads() -> dict[str, dict[str, Any]]:
    """Deployments and Jobs of the base by name."""
    kinds = {"Deployment", "Job", "CronJob"}
    return {m["metadata"]["name"]: m for m in manifests(BASE) if m["kind"] in kinds}


def pod_spec(name: str) -> dict[str, Any]:
    """The pod template's spec of a Deployment or Job, or of the Job a CronJob makes."""
    spec = workloads()[name]["spec"]
    spec = spec["jobTemplate"]["spec"] if "jobTemplate" in spec else spec
    return spec["template"]["spec"]  # type: ignore[no-any-return]


def container(name: str) -> dict[str, Any]:
    (only,) = pod_spec(name)["containers"]
    return only  # type: ignore[no-any-return]


def service_of(name: str) -> str:
    """The service whose image the workload runs (`partia-finance` -> finance)."""
    return str(container(name)["image"]).removeprefix("partia-")


def env_of(name: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(name).get("env", [])}


def config_literals(directory: Path) -> dict[str, str]:
    literals: dict[str, str] = {}
    for generator in kustomization(directory).get("configMapGenerator", []):
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            literals[key] = value
    return literals


@pytest.mark.parametrize("directory", [BASE, *OVERLAYS], ids=lambda p: p.name)
def test_every_file_a_kustomization_lists_exists(directory: Path) -> None:
    listed = kustomization(directory).get("resources", [])
    assert listed
    for entry in listed:
        path = directory / entry
        assert path.is_file() or (path / "kustomization.yaml").is_file(), entry


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_an_overlays_patches_and_merges_find_their_targets_in_the_base(directory: Path) -> None:
    spec = kustomization(directory)
    names = {(m["kind"], m["metadata"]["name"]) for m in manifests(directory)}
    for patch in spec.get("patches", []):
        assert (patch["target"]["kind"], patch["target"]["name"]) in names
    base_maps = {g["name"] for g in kustomization(BASE).get("configMapGenerator", [])}
    for generator in spec.get("configMapGenerator", []):
        if generator.get("behavior") == "merge":
            assert generator["name"] in base_maps
    images = {c["image"] for name in workloads() for c in [container(name)]}
    assert {image["name"] for image in spec.get("images", [])} <= images


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_an_overlays_secrets_are_files_named_after_settings_and_kept_out_of_git(
    directory: Path,
) -> None:
    readable = {name.lower() for name in settings_variables()}
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/deploy/kubernetes/overlays/*/secrets/" in ignored
    for generator in kustomization(directory).get("secretGenerator", []):
        assert "literals" not in generator, "a secret's value is never written in git"
        for file in generator["files"]:
            key, path = secret_entry(file)
            assert path.startswith("secrets/")
            assert key in readable


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("directory", [BASE, *OVERLAYS], ids=lambda p: p.name)
def test_every_manifest_is_valid_under_the_kubernetes_schemas(
    directory: Path, version: str
) -> None:
    for manifest in manifests(directory):
        kubernetes_validate.validate(manifest, version, strict=True)


def test_the_base_holds_the_api_the_projection_the_relay_and_the_migration_job() -> None:
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests(BASE)}
    assert kinds == {
        ("Job", "partia-migrate"),
        ("Deployment", "registry-api"),
        ("Service", "registry"),
        ("Deployment", "registry-projection"),
        ("Service", "registry-projection-metrics"),
        ("Deployment", "registry-relay"),
        ("Service", "registry-relay-metrics"),
        ("Job", "finance-migrate"),
        ("Deployment", "finance-api"),
        ("Service", "finance"),
        ("Deployment", "finance-project"),
        ("Service", "finance-project-metrics"),
        ("Deployment", "finance-relay"),
        ("Service", "finance-relay-metrics"),
        ("CronJob", "finance-clock"),
        ("Job", "notifications-migrate"),
        ("Deployment", "notifications-api"),
        ("Service", "notifications"),
        ("Deployment", "notifications-project"),
        ("Service", "notifications-project-metrics"),
        ("Deployment", "notifications-send"),
        ("Service", "notifications-send-metrics"),
        ("Deployment", "notifications-relay"),
        ("Service", "notifications-relay-metrics"),
    }


def test_the_finance_clock_runs_daily_once_at_a_time_in_the_partys_time_zone() -> None:
    """Issue 11 item 4: overdue obligations and undecided donations are found by the clock; a
    missed or repeated run is harmless (`partia-finance clock` is safe to repeat)."""
    spec = workloads()["finance-clock"]["spec"]
    minute, hour, *every_day = spec["schedule"].split()
    assert every_day == ["*", "*", "*"]
    assert minute.isdigit()
    assert hour.isdigit()
    assert spec["timeZone"] == "Asia/Almaty"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert parse_command(container("finance-clock")["command"]).command == "clock"


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_the_finance_api_asks_the_registrys_service_with_its_own_accounts_token(
    directory: Path,
) -> None:
    """Decision 296: whose record holds an IIN a bank line names, asked of the registry's Service
    with the `finance` account's token, a file of its own read under the setting's name."""
    env = environment("finance-api", directory)
    (registry,) = [
        m for m in manifests(BASE) if m["kind"] == "Service" and m["metadata"]["name"] == "registry"
    ]
    (port,) = registry["spec"]["ports"]
    assert env["PARTIA_REGISTRY_URL"] == f"http://registry:{port['port']}"
    assert "PARTIA_REGISTRY_TOKEN" not in env
    [entry] = [
        secret_entry(file)
        for generator in kustomization(directory).get("secretGenerator", [])
        if generator["name"] == "partia-finance-secrets"
        for file in generator["files"]
        if secret_entry(file)[0] == "partia_registry_token"
    ]
    assert entry == ("partia_registry_token", "secrets/partia_finance_registry_token")


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_the_sender_asks_the_registrys_service_and_sends_to_the_overlays_mail_server(
    directory: Path,
) -> None:
    """Issue 13: contacts are asked of the registry at send time with the service account's
    token (a secret file, never a variable), and mail goes to the party's server over STARTTLS
    with a password from the same Secret."""
    env = environment("notifications-send", directory)
    (registry,) = [
        m for m in manifests(BASE) if m["kind"] == "Service" and m["metadata"]["name"] == "registry"
    ]
    (port,) = registry["spec"]["ports"]
    assert env["PARTIA_REGISTRY_URL"] == f"http://registry:{port['port']}"
    assert env["PARTIA_SMTP_HOST"]
    assert env["PARTIA_SMTP_STARTTLS"] == "true"
    assert "PARTIA_REGISTRY_TOKEN" not in env
    assert "PARTIA_SMTP_PASSWORD" not in env
    secrets = secret_files(directory, "notifications")
    assert {"partia_registry_token", "partia_smtp_password"} <= set(secrets)


def test_each_services_workloads_read_its_own_schema_and_run_its_own_commands() -> None:
    for name in workloads():
        service = service_of(name)
        assert environment(name, BASE)["PARTIA_DATABASE_SCHEMA"] == service, name
        script = container(name)["command"][0]
        assert script in {f"partia-{service}", "partia"}, name
    for service in ("finance", "notifications"):
        migrate = container(f"{service}-migrate")["command"]
        assert migrate == ["partia", "migrate", "--service", service]


@pytest.mark.parametrize("name", RUNNERS)
def test_the_projection_and_the_relay_run_as_one_replica_replaced_not_rolled(name: str) -> None:
    spec = workloads()[name]["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("name", sorted(workloads()))
def test_each_command_is_one_the_cli_accepts(name: str) -> None:
    parse_command(container(name)["command"])


@pytest.mark.parametrize("name", sorted(workloads()))
def test_every_variable_set_is_one_the_code_reads_and_none_is_a_secret(name: str) -> None:
    names = set(env_of(name)) | set(config_literals(BASE))
    for overlay in OVERLAYS:
        names |= set(config_literals(overlay))
    assert names - variables_the_code_reads() == set()
    assert {n for n in names if SECRET_LOOKING.search(n) and not n.endswith("_DIR")} == set()


@pytest.mark.parametrize("name", sorted(workloads()))
def test_secrets_are_mounted_where_partia_secrets_dir_points(name: str) -> None:
    mounts = {m["name"]: m for m in container(name)["volumeMounts"]}
    assert mounts["secrets"]["mountPath"] == config_literals(BASE)["PARTIA_SECRETS_DIR"]
    assert mounts["secrets"]["readOnly"] is True


@pytest.mark.parametrize("name", sorted(workloads()))
def test_every_container_runs_as_an_unprivileged_user_with_resource_requests(name: str) -> None:
    pod = pod_spec(name)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container(name)["securityContext"]["allowPrivilegeEscalation"] is False
    resources = container(name)["resources"]
    assert resources["requests"]["cpu"]
    assert resources["requests"]["memory"]
    assert resources["limits"]["memory"]


@pytest.mark.parametrize("name", APIS)
def test_the_api_is_probed_on_its_port_ready_for_readiness_and_health_for_liveness(
    name: str,
) -> None:
    api, service = container(name), APIS[name]
    port = parse_command(api["command"]).port
    assert port == parse_command([f"partia-{service}", "serve"]).port  # the code's: 8000, 8001
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = api[probe]["httpGet"]
        assert ports[get["port"]] == port, probe
        assert get["path"] in app_routes(service), probe


@pytest.mark.parametrize("name", RUNNERS)
def test_the_projection_and_relay_are_probed_on_their_metrics_port(name: str) -> None:
    runner = container(name)
    ports = {p["name"]: p["containerPort"] for p in runner["ports"]}
    metrics_port = int(env_of(name)["PARTIA_METRICS_PORT"])
    assert env_of(name)["PARTIA_METRICS_HOST"] == "0.0.0.0"  # the kubelet probes the pod's IP
    assert runner["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert runner["livenessProbe"]["httpGet"]["path"] == "/health"
    for probe in ("readinessProbe", "livenessProbe"):
        get = runner[probe]["httpGet"]
        assert ports[get["port"]] == metrics_port, probe
        assert get["path"] in app_routes(service_of(name)), probe


def test_every_service_selects_pods_of_a_workload_and_targets_a_named_port() -> None:
    pods = {
        m["metadata"]["name"]: m["spec"]["template"]
        for m in manifests(BASE)
        if m["kind"] == "Deployment"
    }
    for service in (m for m in manifests(BASE) if m["kind"] == "Service"):
        selector = service["spec"]["selector"]
        (workload,) = [
            name
            for name, template in pods.items()
            if selector.items() <= template["metadata"]["labels"].items()
        ]
        named = {p["name"] for p in container(workload)["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= named


# The identity provider (decision 175): the API in production mode, the others without tokens.


def generator_literals(directory: Path, name: str) -> dict[str, str]:
    """The literals of the ConfigMap `name` as `directory`'s build makes it: its bases' first,
    then its own (a `behavior: merge` generator adds and overrides)."""
    literals: dict[str, str] = {}
    for entry in kustomization(directory).get("resources", []):
        if (directory / entry / "kustomization.yaml").is_file():
            literals |= generator_literals((directory / entry).resolve(), name)
    for generator in kustomization(directory).get("configMapGenerator", []):
        if generator["name"] == name:
            for literal in generator.get("literals", []):
                key, _, value = literal.partition("=")
                literals[key] = value
    return literals


def environment(name: str, directory: Path) -> dict[str, str]:
    """The variables the container of workload `name` starts with in `directory`'s build."""
    env: dict[str, str] = {}
    for source in container(name).get("envFrom", []):
        env |= generator_literals(directory, source["configMapRef"]["name"])
    return env | env_of(name)


def secret_entry(file: str) -> tuple[str, str]:
    """A secretGenerator's `files` entry: the key (the file name in the mounted Secret) and the
    path it is read from (`key=path`, or the path alone: then its name)."""
    key, _, path = file.rpartition("=")
    return key or Path(path).name, path


def secret_files(directory: Path, service: str = "registry") -> list[str]:
    """The file names of the Secret `partia-<service>-secrets` an overlay makes."""
    return [
        secret_entry(file)[0]
        for generator in kustomization(directory).get("secretGenerator", [])
        if generator["name"] == f"partia-{service}-secrets"
        for file in generator["files"]
    ]


def auth_variables() -> set[str]:
    return {name for name in settings_variables() if name.startswith("PARTIA_AUTH_")}


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_the_api_runs_in_production_mode_with_the_identity_provider_the_overlay_names(
    directory: Path, api: str
) -> None:
    env = environment(api, directory)
    assert env["PARTIA_ENVIRONMENT"] == "production"
    assert env["PARTIA_AUTH_ISSUER"].startswith("https://")
    assert env["PARTIA_AUTH_JWKS_URL"].startswith("https://")
    assert env["PARTIA_AUTH_AUDIENCE"]


@pytest.mark.parametrize("api", APIS)
def test_the_base_alone_names_no_identity_provider_so_an_overlay_must(api: str) -> None:
    """A forgotten overlay setting stops the API at start ("nobody could call the API") rather
    than falling back to anything."""
    env = environment(api, BASE)
    assert env["PARTIA_ENVIRONMENT"] == "production"
    assert "PARTIA_AUTH_ISSUER" not in env
    assert "PARTIA_API_TOKENS" not in env


@pytest.mark.parametrize("directory", [BASE, *OVERLAYS], ids=lambda p: p.name)
def test_no_process_is_given_static_api_tokens(directory: Path) -> None:
    for service in APIS.values():
        assert "partia_api_tokens" not in secret_files(directory, service)
    for name in workloads():
        assert "PARTIA_API_TOKENS" not in environment(name, directory), name
        for volume in pod_spec(name).get("volumes", []):
            items = volume.get("secret", {}).get("items", [])
            assert "partia_api_tokens" not in {item["key"] for item in items}, name


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "name",
    [
        "partia-migrate",
        "registry-projection",
        "registry-relay",
        "finance-migrate",
        "finance-clock",
        "notifications-migrate",
        *RUNNERS[2:],
    ],
)
def test_the_projection_the_relay_and_the_migration_are_given_no_sign_in_settings(
    name: str, directory: Path
) -> None:
    """They serve no API (`partia-registry serve` alone builds an Authenticator)."""
    env = environment(name, directory)
    assert set(env) & (auth_variables() | {"PARTIA_ENVIRONMENT"}) == set()


@pytest.mark.parametrize("name", sorted(workloads()))
def test_every_process_mounts_the_whole_secret_so_a_previous_master_key_reaches_it(
    name: str,
) -> None:
    """During a master key rotation the overlay adds partia_previous_master_keys to the Secret
    (docs/production.md): a volume that selected its items would leave that file out."""
    (volume,) = [v for v in pod_spec(name)["volumes"] if "secret" in v]
    assert volume["secret"] == {"secretName": f"partia-{service_of(name)}-secrets"}


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_the_api_starts_with_the_overlays_settings_and_accepts_its_identity_providers_tokens(
    directory: Path, api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = APIS[api]
    env = environment(api, directory)
    secrets = {name: placeholder_secret(name) for name in secret_files(directory, service)}
    assert secrets
    assert isinstance(
        Authenticator.from_settings(
            registry_settings(env, secrets, tmp_path, monkeypatch, service=service)
        ),
        Authenticator,
    )
    # the same, with the keys from a file rather than the placeholder address
    token, jwks = identity_provider_token(
        {
            "iss": env["PARTIA_AUTH_ISSUER"],
            "aud": env["PARTIA_AUTH_AUDIENCE"],
            "sub": "service-account-partia-notifications",
            "partia": {"roles": [{"role": "service"}], "service": "notifications"},
        },
        tmp_path,
    )
    env = {k: v for k, v in env.items() if k != "PARTIA_AUTH_JWKS_URL"}
    env["PARTIA_AUTH_JWKS_FILE"] = str(jwks)
    authenticator = Authenticator.from_settings(
        registry_settings(env, secrets, tmp_path, monkeypatch, service=service)
    )

    principal = authenticator.authenticate(bearer_request(token))

    assert principal.roles == {Role.SERVICE}
    assert principal.service == "notifications"


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_the_api_with_the_overlays_settings_refuses_a_static_token_set_or_mounted(
    directory: Path, api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = APIS[api]
    env = environment(api, directory)
    secrets = {name: placeholder_secret(name) for name in secret_files(directory, service)}
    with pytest.raises(AuthConfigurationError, match="PARTIA_API_TOKENS"):
        Authenticator.from_settings(
            registry_settings(
                env | {"PARTIA_API_TOKENS": "admin=token"},
                secrets,
                tmp_path,
                monkeypatch,
                service=service,
            )
        )
    mounted = secrets | {"partia_api_tokens": placeholder_secret("partia_api_tokens")}
    with pytest.raises(AuthConfigurationError, match="PARTIA_API_TOKENS"):
        Authenticator.from_settings(
            registry_settings(env, mounted, tmp_path, monkeypatch, service=service)
        )
