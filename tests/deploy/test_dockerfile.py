"""The Dockerfile, read instruction by instruction (no Docker engine runs here)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.deploy.support import (
    ROOT,
    SECRET_LOOKING,
    app_routes,
    dockerfile,
    final_stage,
    image_default,
    parse_command,
)


def instructions(name: str) -> list[str]:
    return [i["value"] for i in final_stage(dockerfile()) if i["instruction"] == name]


def test_wheels_are_built_in_a_builder_stage_with_the_pinned_versions() -> None:
    parser = dockerfile()
    stages = [i["value"] for i in parser.structure if i["instruction"] == "FROM"]
    assert len(stages) == 2
    assert stages[0].endswith(" AS builder")
    builder_run = next(i["value"] for i in parser.structure if i["instruction"] == "RUN")
    assert "pip wheel" in builder_run
    assert "--constraint constraints.txt" in builder_run
    for package in ("./contracts", "./services/kit", '"./services/${SERVICE}"'):
        assert package in builder_run
    (install,) = instructions("RUN")
    assert "--no-index" in install
    assert "from=builder" in install


def test_the_image_runs_as_an_unprivileged_user() -> None:
    users = instructions("USER")
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric uid lets Kubernetes' runAsNonRoot verify it"


def test_the_image_has_a_healthcheck_on_the_ready_route_of_its_port_without_curl() -> None:
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "urllib.request.urlopen(os.environ['HEALTHCHECK_URL']" in healthcheck
    assert "curl" not in healthcheck  # slim images have none
    url = dockerfile().envs["HEALTHCHECK_URL"]
    assert urlsplit(url).port == int(image_default("PORT"))
    assert urlsplit(url).path == "/ready"
    assert "/ready" in app_routes()


def test_no_secret_is_baked_into_the_image() -> None:
    names = set(dockerfile().envs) | {value.split("=")[0] for value in _builder_args()}
    assert {n for n in names if SECRET_LOOKING.search(n)} == set()
    assert not re.search(r"COPY[^\n]*(secrets|\.env)", (ROOT / "Dockerfile").read_text())


def test_the_build_context_admits_only_the_packages_and_their_pins() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()]
    patterns = [line for line in lines if not line.startswith("#")]
    assert patterns[0] == "**"  # everything is left out (.venv, .partia, secrets/, .env) ...
    admitted = {p for p in patterns if p.startswith("!")}
    assert admitted == {"!constraints.txt", "!contracts/", "!services/"}  # ... but these


def test_the_default_command_is_the_services_serve_on_all_interfaces() -> None:
    (cmd,) = instructions("CMD")
    import json

    args = parse_command(json.loads(cmd))
    assert args.command == "serve"
    assert args.host == "0.0.0.0"
    assert args.port == int(image_default("PORT"))


def _builder_args() -> list[str]:
    return [i["value"] for i in dockerfile().structure if i["instruction"] == "ARG"]
