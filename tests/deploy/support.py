"""What the deployment files are checked against: the code itself (its settings classes, its
command-line parsers, its HTTP routes), never a second list kept by hand."""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from dockerfile_parse import DockerfileParser
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"

# os.environ.get("PARTIA_X" / os.environ["PARTIA_X"] / os.getenv("PARTIA_X"), not assignments
_ENVIRON_READ = re.compile(
    r"""(?:os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']\s*(?!\]\s*=[^=])"""
)


def settings_classes() -> list[type[BaseSettings]]:
    """Every pydantic-settings class of the services' packages."""
    for module in sorted(SERVICES.glob("*/partia_*/settings.py")):
        importlib.import_module(f"{module.parent.name}.settings")
    found: list[type[BaseSettings]] = []
    pending = list(BaseSettings.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("partia_"):
            found.append(cls)
    return found


def settings_variables() -> set[str]:
    """PARTIA_* names the settings classes read (prefix + field name, upper case)."""
    names: set[str] = set()
    for cls in settings_classes():
        prefix = cls.model_config.get("env_prefix", "")
        names.update(f"{prefix}{field}".upper() for field in cls.model_fields)
    return names


def environ_variables() -> set[str]:
    """Names the services' code reads straight from os.environ (found in the source)."""
    names: set[str] = set()
    for source in SERVICES.glob("*/partia_*/**/*.py"):
        names.update(_ENVIRON_READ.findall(source.read_text()))
    return names


def variables_the_code_reads() -> set[str]:
    return settings_variables() | environ_variables()


def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(ROOT / "Dockerfile"))


def final_stage(parser: DockerfileParser) -> list[dict[str, Any]]:
    """The instructions of the last build stage (the image that runs)."""
    instructions = parser.structure
    last_from = max(i for i, ins in enumerate(instructions) if ins["instruction"] == "FROM")
    return instructions[last_from:]


def image_variables() -> set[str]:
    """ENV names the image sets for itself (e.g. the HEALTHCHECK's URL)."""
    return set(dockerfile().envs)


def image_default(name: str) -> str:
    """The default of a build ARG of the runtime stage."""
    for ins in final_stage(dockerfile()):
        if ins["instruction"] == "ARG" and ins["value"].startswith(f"{name}="):
            return str(ins["value"].split("=", 1)[1])
    raise AssertionError(f"the Dockerfile's runtime stage has no ARG {name}=default")


def app_routes(service: str = "registry") -> set[str]:
    """Paths the service's HTTP app serves."""
    create_app = importlib.import_module(f"partia_{service}.api.app").create_app
    return {route.path for route in create_app().routes if hasattr(route, "path")}


class _Parsed(Exception):
    def __init__(self, namespace: Any) -> None:
        super().__init__(namespace)
        self.namespace = namespace


def parse_command(argv: list[str]) -> Any:
    """Parse `argv` with the real parser of the console script argv[0] without running it: the
    parsed arguments (argparse) or the innermost command's context (click/Typer). An unknown
    script, subcommand or option raises (SystemExit or AssertionError)."""
    if argv[0] == "partia-service":  # the image's name for the service it was built for
        argv = [f"partia-{image_default('SERVICE')}", *argv[1:]]
    scripts = entry_points(group="console_scripts", name=argv[0])
    assert scripts, f"no installed console script named {argv[0]!r}"
    target = next(iter(scripts)).load()
    command = _click_command(target)
    if command is not None:
        return _parse_click(command, argv)
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        raise _Parsed(original(self, *args, **kwargs))

    takes_argv = bool(inspect.signature(target).parameters)  # main(argv) or main() on sys.argv
    with (
        mock.patch.object(argparse.ArgumentParser, "parse_args", parse_then_stop),
        mock.patch.object(sys, "argv", list(argv)),
    ):
        try:
            target(argv[1:]) if takes_argv else target()
        except _Parsed as parsed:
            return parsed.namespace
    raise AssertionError(f"{argv[0]} ran without parsing its arguments with argparse")


def _click_command(target: Any) -> Any:
    """The click command behind a Typer app, a click command, or a function in a module that
    defines one as `app` or `cli`; None for an argparse program."""
    try:
        import click
    except ImportError:  # pragma: no cover - no click installed: argparse only
        return None
    candidates = [target]
    module = importlib.import_module(target.__module__) if hasattr(target, "__module__") else None
    if module is not None:
        candidates += [getattr(module, "app", None), getattr(module, "cli", None)]
    for candidate in candidates:
        if isinstance(candidate, click.Command):
            return candidate
        if type(candidate).__name__ == "Typer":
            import typer.main

            return typer.main.get_command(candidate)
    return None


def _parse_click(command: Any, argv: list[str]) -> Any:
    import click

    ctx = command.make_context(argv[0], list(argv[1:]))
    while isinstance(ctx.command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, remaining = ctx.command.resolve_command(ctx, rest)
        assert sub is not None, f"{argv}: no subcommand {rest[0]!r}"
        ctx = sub.make_context(name, remaining, parent=ctx)
    return ctx


def load_yaml_documents(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


SECRET_LOOKING = re.compile(r"KEY|TOKEN|PASSWORD|SECRET|CREDENTIAL|DATABASE_URL", re.IGNORECASE)


def registry_settings(
    environment: dict[str, str],
    secret_files: dict[str, str],
    directory: Path,
    monkeypatch: Any,
    service: str = "registry",
) -> Any:
    """The service's settings (`RegistrySettings`, `FinanceSettings`) as a container with
    `environment` and these files in its secrets directory would read them at start (nothing of
    this process's own PARTIA_* environment)."""
    from partia_finance.settings import FinanceSettings
    from partia_registry.settings import RegistrySettings

    secrets = directory / "secrets"
    secrets.mkdir(exist_ok=True)
    for name, value in secret_files.items():
        (secrets / name).write_text(value + "\n")
    for name in [n for n in os.environ if n.startswith("PARTIA_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PARTIA_SECRETS_DIR", str(secrets))
    monkeypatch.chdir(directory)  # no .env of the checkout
    from partia_notifications.settings import NotificationsSettings

    return {
        "registry": RegistrySettings,
        "finance": FinanceSettings,
        "notifications": NotificationsSettings,
    }[service]()


def placeholder_secret(name: str) -> str:
    """A well-formed stand-in for the secret file `name` (the real ones are never in git)."""
    values = {
        "partia_database_url": "postgresql://partia:password@postgres:5432/partia",
        "partia_master_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  # base64 of 32 bytes
        "partia_api_tokens": "admin=a-static-development-token",
        "postgres_password": "password",
        "partia_registry_token": "a-token-the-identity-provider-issued",
        "partia_smtp_password": "a-mail-server-password",
    }
    return values[name]


def identity_provider_token(
    claims: dict[str, Any], directory: Path, *, lifetime: int = 300
) -> tuple[str, Path]:
    """A token signed as the party's identity provider would sign it (RS256, a key id), with
    `claims` (iss, aud, sub, partia, ...) and a fresh expiry; and the JWKS file to check it by."""
    import time

    import jwt

    from partia_kit.auth.issuer import LocalIssuer

    signer = LocalIssuer.generate()
    now = int(time.time())
    token = jwt.encode(
        {"iat": now, "exp": now + lifetime, **claims},
        signer.key,
        algorithm="RS256",
        headers={"kid": signer.kid},
    )
    return token, signer.write_jwks(directory / "jwks.json")


def bearer_request(token: str) -> Any:
    from starlette.requests import Request

    return Request({"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())]})
