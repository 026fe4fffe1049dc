"""`make run`: the whole system on one machine, from one command.

    python -m partia_kit.run [--data-dir .partia] [--base-port 8000] [--broker-port 9092]

One embedded PostgreSQL (data in `--data-dir`; each service in its own schema), the Kafka-protocol
broker (Tansu, memory storage: the relays refill it from the event stores), and for every service
its API, its read-model runner and its outbox relay, each a process of its own with its log lines
prefixed by its name. Honcho (a kept clone of Foreman) starts and watches the processes.

- Ctrl-C or SIGTERM stops every process, then PostgreSQL.
- A process that exits on its own is reported in capitals, and then everything stops (decision
  110): on a laptop a half-running system hides the failure; in production the containers'
  orchestrator restarts what dies (docker-compose, deploy/).
- Before the processes start, each service prepares its schema once (`python -m <package>
  bootstrap`: tables, migrations, the party's first organisations), so none of them races another.

Ports: service number i (registry 0, finance 1, notifications 2) serves its API on base+i, its
read-model runner's /health, /ready and /metrics on base+10+i, its relay's on base+20+i and a
further process's (the notifications sender) on base+30+i. The local mail catcher the notifications
service sends to listens for SMTP on base-6975 (1025) and lists what it caught at
http://127.0.0.1:base+25/messages (8025), Mailpit's ports.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import os
import secrets
import shlex
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from honcho.manager import Manager  # type: ignore[import-untyped]
from honcho.printer import Message, Printer  # type: ignore[import-untyped]

from partia_kit.auth.issuer import LocalIssuer, local_issuer_environment
from partia_kit.auth.principal import Grant, Role
from partia_kit.auth.scope import bootstrapped_organisation_id


@dataclass(frozen=True)
class Service:
    """A service of the system and how it is run: `python -m <package> serve | project | relay |
    bootstrap`, the commands every Partia service offers."""

    name: str
    package: str
    number: int
    """Its place in the port plan (see the module's docstring)."""
    relay: bool = True
    projection: bool = True
    others: tuple[str, ...] = ()
    """Further commands run as processes of their own (the notifications sender), with their
    /health, /ready and /metrics on base+30+i."""
    registry_account: bool = False
    """It calls the registry's API as a service account of its own: its processes get the
    registry's address and that account's token (`PARTIA_REGISTRY_URL`, `PARTIA_REGISTRY_TOKEN`)."""

    @property
    def schema(self) -> str:
        return self.name


SERVICES = [
    Service("registry", "partia_registry", 0),
    # finance's `project` follows the registry's organisation and member events (decisions 191, 218)
    # and asks the registry whose record holds an IIN a bank line names (decision 296)
    Service("finance", "partia_finance", 1, registry_account=True),
    # notices of the registry's and finance's events (issue 13): `project` queues, `send` delivers,
    # `relay` publishes what became of each notice (partia.notifications.v1, decision 279)
    Service("notifications", "partia_notifications", 2, others=("send",), registry_account=True),
]
"""Every service `make run` starts."""

REGISTRY_TOKEN = "PARTIA_REGISTRY_TOKEN"
"""A service's account at the registry. Given in `make run`'s environment, it is the notifications
service's (as before); otherwise each service with `registry_account` gets one minted for it.
Without one no sender is started, and finance leaves bank lines naming an IIN unmatched."""


def mail_ports(base_port: int) -> tuple[int, int]:
    """The local mail catcher's SMTP port and its listing's HTTP port (1025 and 8025 for the
    base port 8000, as Mailpit's)."""
    smtp = base_port - 6975
    return (smtp if smtp > 1024 else base_port + 24), base_port + 25


@dataclass(frozen=True)
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    where: str
    """What an operator reaches it at, for the table printed at start."""


def processes(
    services: list[Service],
    base_port: int,
    bootstrap: str,
    env: Mapping[str, str],
    accounts: Mapping[str, str] | None = None,
) -> list[Process]:
    """Every long-running process of the system, with its environment; `accounts`: each service's
    token at the registry, given only to that service's processes."""
    python = [sys.executable, "-m"]
    found = [
        Process(
            "broker",
            [*python, "partia_kit.broker", "--port", bootstrap.rpartition(":")[2]],
            dict(env),
            f"Kafka protocol on {bootstrap} (Tansu, memory storage)",
        )
    ]
    smtp, listing = mail_ports(base_port)
    catcher_ports = ["--smtp-port", str(smtp), "--http-port", str(listing)]
    if any(service.name == "notifications" for service in services):
        found.append(
            Process(
                "mail-catcher",
                [*python, "partia_notifications", "catch", *catcher_ports],
                dict(env),
                f"SMTP on 127.0.0.1:{smtp}; caught mail at http://127.0.0.1:{listing}/messages",
            )
        )
    for service in services:
        own = {**env, "PARTIA_DATABASE_SCHEMA": service.schema, "PARTIA_KAFKA_BOOTSTRAP": bootstrap}
        if service.name == "notifications":
            own |= {"PARTIA_SMTP_HOST": "127.0.0.1", "PARTIA_SMTP_PORT": str(smtp)}
        if service.registry_account:
            own |= {
                "PARTIA_REGISTRY_URL": f"http://127.0.0.1:{base_port}",
                REGISTRY_TOKEN: (accounts or {}).get(service.name, ""),
            }
        api = base_port + service.number
        found.append(
            Process(
                f"{service.name}-api",
                [*python, service.package, "serve", "--port", str(api), "--no-projection"],
                own | {"PARTIA_RUN_PROJECTION": "false"},
                f"http://127.0.0.1:{api}  (API docs /docs; /health /ready /metrics)",
            )
        )
        followers = [("project", service.projection, 10), ("relay", service.relay, 20)]
        followers += [(command, True, 30) for command in service.others]
        for command, wanted, offset in followers:
            if not wanted or (command == "send" and not own.get(REGISTRY_TOKEN)):
                continue
            port = base_port + offset + service.number
            argv = [*python, service.package, command]
            if command == "relay":
                argv += ["--bootstrap", bootstrap]
            found.append(
                Process(
                    f"{service.name}-{command}",
                    argv,
                    own | {"PARTIA_METRICS_PORT": str(port), "PARTIA_METRICS_HOST": "127.0.0.1"},
                    f"http://127.0.0.1:{port}/metrics  (/health /ready)",
                )
            )
    return found


class _Reporter(Printer):  # type: ignore[misc]
    """Honcho's printer, which also notices the first process that stopped on its own (before
    anyone asked it to) and says so loudly."""

    def __init__(self, output: TextIO) -> None:
        super().__init__(output)
        self.stopping = False
        self.died: str | None = None

    def write(self, message: Message) -> None:
        super().write(message)
        text = message.data if isinstance(message.data, str) else ""
        if message.name != "system":
            return
        if " received" in text or text.startswith("sending SIG"):
            self.stopping = True
        elif " stopped (rc=" in text and not self.stopping and self.died is None:
            self.died = text.strip()
            self.stopping = True
            super().write(
                Message(
                    "line",
                    f"!!! {self.died.upper()} WITHOUT BEING ASKED: STOPPING EVERYTHING"
                    " (its last lines above say why)\n",
                    datetime.datetime.now(),
                    "system",
                    None,
                )
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partia_kit.run", description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("PARTIA_DATA_DIR", ".partia"))
    )
    parser.add_argument("--base-port", type=int, default=8000)
    parser.add_argument("--broker-port", type=int, default=9092)
    args = parser.parse_args(argv)
    from partia_kit.postgres.embedded import (
        exit_on_termination_signals,
        start_embedded_postgres,
        stop_embedded_postgres,
    )

    exit_on_termination_signals()  # SIGTERM during start-up: stop what has started
    bootstrap = f"127.0.0.1:{args.broker_port}"
    busy = [port for port in _ports(args) if not _free(port)]
    if busy:
        print(f"port(s) {busy} already in use (another `make run`?)", file=sys.stderr)
        return 2
    tokens = os.environ.get("PARTIA_API_TOKENS") or f"dev={secrets.token_urlsafe(16)}"
    server = None
    url = os.environ.get("PARTIA_DATABASE_URL")
    try:
        if url is None:
            server, url = start_embedded_postgres(args.data_dir / "pgdata")
        issuer = _local_issuer(args.data_dir)
        env = _environment(url, _master_key(args.data_dir), tokens)
        accounts: dict[str, str] = {}
        if issuer is not None:
            env |= local_issuer_environment(issuer, args.data_dir / "local-issuer-jwks.json")
            accounts = {
                s.name: service_token(issuer, s.name) for s in SERVICES if s.registry_account
            }
        given = env.pop(REGISTRY_TOKEN, None)
        if given:
            accounts["notifications"] = given
        for service in SERVICES:
            if not _prepare(service, env):
                return 1
        planned = processes(SERVICES, args.base_port, bootstrap, env, accounts)
        _print_plan(planned, url, args.data_dir, tokens, args.base_port)
        if issuer is not None:
            tokens_dir = args.data_dir / "tokens"
            print(ready_made_tokens(issuer, args.base_port, tokens_dir), flush=True)
        return _supervise(planned)
    finally:
        if server is not None:
            print("stopping PostgreSQL", flush=True)
            stop_embedded_postgres(server)


def _supervise(planned: list[Process]) -> int:
    reporter = _Reporter(sys.stdout)
    manager = Manager(printer=reporter)
    for process in planned:
        # `exec`: the pid honcho reports (and signals) is the process itself, not a shell
        manager.add_process(process.name, "exec " + shlex.join(process.argv), env=process.env)
    manager.loop()
    if reporter.died is not None:
        print(f"partia: {reporter.died} on its own; everything was stopped", file=sys.stderr)
        return 1
    return 0


def _environment(url: str, master_key: str, tokens: str) -> dict[str, str]:
    return {
        **os.environ,
        "PARTIA_DATABASE_URL": url,
        "PARTIA_MASTER_KEY": master_key,
        "PARTIA_API_TOKENS": tokens,
        "PYTHONUNBUFFERED": "1",  # log lines as they happen, not when a buffer fills
    }


def _master_key(data_dir: Path) -> str:
    """PARTIA_MASTER_KEY, or the installation's development key kept outside `data_dir`."""
    given = os.environ.get("PARTIA_MASTER_KEY")
    if given:
        return given
    from partia_kit.settings import development_key_file

    key_dir = os.environ.get("PARTIA_KEY_DIR")
    path = development_key_file(data_dir, Path(key_dir) if key_dir else None)
    key = path.read_text().strip()
    base64.b64decode(key, validate=True)
    return key


def _local_issuer(data_dir: Path) -> LocalIssuer | None:
    """The installation's local issuer (its key kept beside the development master key), unless
    PARTIA_AUTH_ISSUER names the party's own identity provider."""
    if os.environ.get("PARTIA_AUTH_ISSUER"):
        return None
    key_dir = os.environ.get("PARTIA_KEY_DIR")
    return LocalIssuer.of_installation(data_dir, Path(key_dir) if key_dir else None)


READY_MADE = [
    ("clerk", "of the central office: records applications and decisions", Role.CLERK, "party"),
    ("clerk-almaty", "of the Almaty city branch: acts there only", Role.CLERK, "almaty-city"),
    ("clerk-astana", "of the Astana branch: acts there only", Role.CLERK, "astana"),
    (
        "treasurer",
        "of the central office: records donations and decisions",
        Role.TREASURER,
        "party",
    ),
    (
        "treasurer-almaty",
        "of the Almaty city branch: its donations only",
        Role.TREASURER,
        "almaty-city",
    ),
    ("auditor", "of the central office: reads everything, changes nothing", Role.AUDITOR, "party"),
    ("operations", "rebuilds the read model; reads no personal data", Role.OPERATIONS, None),
]
"""The tokens `make run` prints: (user, what they may do, role, organisation code)."""


def ready_made_tokens(issuer: LocalIssuer, base_port: int, token_dir: Path | None = None) -> str:
    """Tokens from the local issuer for trying the system out (8 hours; `partia-auth mint` makes
    others): clerks of the central office and of two regional branches, an auditor and operations.
    With `token_dir`, each is also written to a file there named after its user (readable by the
    owner only), so a shell can use `$(cat .partia/tokens/clerk)`."""
    party = os.environ.get("PARTIA_PARTY", "baytaq")  # the party's code, as the registry loads it
    lines = ["Bearer tokens from the local issuer (valid 8 h; `partia-auth mint --help` for more):"]
    if token_dir is not None:
        token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for user, what, role, code in READY_MADE:
        # the registry bootstraps the party and its regional branches under these fixed ids
        organisation = None if code is None else bootstrapped_organisation_id(party, code)
        token = issuer.mint(user, [Grant(role, organisation)])
        lines += [f"  {user.ljust(12)}  {what}", f"  {' ' * 12}  {token}"]
        if token_dir is not None:
            path = token_dir / user
            path.write_text(token + "\n")
            path.chmod(0o600)
    if token_dir is not None:
        lines.append(f"  (also in {token_dir}/<user>)")
    lines += [
        f'  curl -H "Authorization: Bearer <token>" http://127.0.0.1:{base_port}/organisations',
        "",
    ]
    return "\n".join(lines)


def service_token(issuer: LocalIssuer, service: str) -> str:
    """A service's account at the registry (role service: notifications may read a contact,
    finance look a member up by IIN), for as long as a `make run` may last."""
    return issuer.mint(service, [Grant(Role.SERVICE)], service=service, expires_in=30 * 86400)


def _prepare(service: Service, env: Mapping[str, str]) -> bool:
    """The service's schema, tables and first data, once, before its processes start."""
    print(f"preparing {service.name} (schema {service.schema})", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", service.package, "bootstrap"],
        env={**env, "PARTIA_DATABASE_SCHEMA": service.schema},
    )
    if done.returncode != 0:
        print(
            f"!!! PREPARING {service.name.upper()} FAILED (exit {done.returncode}): nothing was"
            " started; its output above says why",
            file=sys.stderr,
        )
    return done.returncode == 0


def _print_plan(
    planned: list[Process], url: str, data_dir: Path, tokens: str, base_port: int
) -> None:
    user, _, token = tokens.split(",")[0].partition("=")
    width = max(len(p.name) for p in planned)
    lines = [
        "",
        "What runs where",
        f"  {'postgresql'.ljust(width)}  {url}  (data in {data_dir}/, a schema per service)",
        *(f"  {p.name.ljust(width)}  {p.where}" for p in planned),
        "",
        f"API token: {token}  (user {user}; set PARTIA_API_TOKENS=user=token,... to choose)",
        f'  curl -H "Authorization: Bearer {token}" http://127.0.0.1:{base_port}/organisations',
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


def _ports(args: argparse.Namespace) -> list[int]:
    ports = [args.broker_port, *mail_ports(args.base_port)]
    for service in SERVICES:
        ports += [args.base_port + offset + service.number for offset in (0, 10, 20)]
    return ports


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers will
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
