"""`python -m partia_registry serve | project | relay | bootstrap` (also installed as
`partia-registry`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from partia_kit.children import supervised
from partia_kit.commands import configure_logging, may_serve
from partia_registry.settings import RegistrySettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="partia-registry", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (bootstraps the party if needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP worker processes; each batches its own commands (default: %(default)s). With"
        " one, a read front answers reads and relays writes to it (decision 313)",
    )
    serve.add_argument(
        "--no-read-front",
        action="store_true",
        help="one process answers reads and writes (reads then wait behind the writes' work)",
    )
    serve.add_argument(
        "--no-projection",
        action="store_true",
        help="do not start a read-model runner beside the API (run `project` elsewhere)",
    )
    sub.add_parser(
        "project",
        help="keep the read model up to date (one runner is active per database; more wait as"
        " standbys and take over)",
    )
    sub.add_parser("bootstrap", help="create the tables, the party and its regional branches")
    rotate = sub.add_parser(
        "rotate-master-key",
        help="re-wrap every person's data key with PARTIA_MASTER_KEY, reading the old ones with"
        " PARTIA_PREVIOUS_MASTER_KEYS, while the service serves (resumable; safe to run again)",
    )
    rotate.add_argument("--batch-size", type=int, default=1000, help="keys per transaction")
    from partia_registry import relay

    relay.add_arguments(sub.add_parser("relay", help="publish the integration events to Kafka"))
    args = parser.parse_args(argv)
    configure_logging()

    from partia_kit.postgres.embedded import (
        exit_on_termination_signals,
        stop_embedded_postgres,
    )
    from partia_registry.composition import prepare_database

    exit_on_termination_signals()  # SIGTERM, like Ctrl-C, must reach the `finally` below
    settings = RegistrySettings()
    if args.command == "serve" and not may_serve(settings, "partia-registry serve"):
        return 2
    parent = os.environ.get("PARTIA_PROJECTION_PARENT")
    if args.command == "project" and parent:  # started by `serve`, which prepared the database
        from partia_registry.composition import run_projection

        run_projection(settings, parent=int(parent))
        return 0
    server, settings = prepare_database(settings)
    operations = None
    try:
        if args.command == "bootstrap":
            print("the tables, the party and its regional branches are in place")
            return 0
        if args.command == "rotate-master-key":
            return _rotate_master_key(settings, args.batch_size)
        if args.command in ("project", "relay"):  # /health, /ready, /metrics if asked for
            from partia_registry.operations import serve_if_configured

            is_relay = args.command == "relay"
            operations = serve_if_configured(settings, projection=not is_relay, relay=is_relay)
        if args.command == "project":
            from partia_registry.composition import run_projection

            run_projection(settings)
            return 0
        if args.command == "relay":
            return relay.run_relay(settings, args)
        with _projection_process(settings, enabled=not args.no_projection):
            return _serve(
                settings, args.host, args.port, args.workers, read_front=not args.no_read_front
            )
    finally:
        if operations is not None:
            operations.stop()
        if server is not None:
            stop_embedded_postgres(server)


def _rotate_master_key(settings: RegistrySettings, batch_size: int) -> int:
    from partia_kit.keyrotation import remaining, rotate
    from partia_registry.adapters.postgres.personal_data import KEY_TABLE

    assert settings.database_url is not None
    keys = settings.master_keys()
    print(f"re-wrapping with master key {keys.current_id}; accepted: {', '.join(keys.ids)}")
    done = rotate(
        settings.database_url,
        settings.database_schema,
        KEY_TABLE,
        keys,
        batch_size=batch_size,
        progress=lambda r: print(f"  {r.rewrapped} re-wrapped", flush=True),
    )
    print(f"re-wrapped {done.rewrapped} keys in {done.batches} batches")
    if not done.complete:
        print(
            f"{len(done.unopened)} keys are wrapped by a master key that is not configured"
            f" (e.g. the key of {min(done.unopened)}); add it to PARTIA_PREVIOUS_MASTER_KEYS and"
            " run again",
            file=sys.stderr,
        )
        return 1
    left = remaining(settings.database_url, settings.database_schema, KEY_TABLE, keys)
    if left:  # made meanwhile by a process wrapping with another key, or held by a transaction
        print(
            f"{left} keys are still wrapped by another master key: made meanwhile by a process"
            " with an older PARTIA_MASTER_KEY (restart it with this one) or locked at the time;"
            " run again",
            file=sys.stderr,
        )
        return 1
    print(
        f"every key is wrapped by master key {keys.current_id}: once every process runs with it,"
        " PARTIA_PREVIOUS_MASTER_KEYS may be emptied"
    )
    return 0


def _serve(
    settings: RegistrySettings, host: str, port: int, workers: int, *, read_front: bool
) -> int:
    from partia_kit.http.serving import serve

    return serve(
        "partia_registry.api.app:create_app",
        settings,
        host=host,
        port=port,
        workers=workers,
        banner="Partia registry",
        read_front=read_front,
        env={"PARTIA_RUN_PROJECTION": "false"},  # the `project` process folds, not the API
    )


@contextmanager
def _projection_process(settings: RegistrySettings, *, enabled: bool) -> Iterator[None]:
    """Run `project` as a child process while the API serves (restarted if it dies), so that
    API processes never load the read model's state."""
    if not enabled:
        yield
        return
    assert settings.database_url is not None
    assert settings.master_key is not None
    env = {
        **os.environ,
        "PARTIA_DATABASE_URL": settings.database_url,
        "PARTIA_MASTER_KEY": settings.master_key.get_secret_value(),
        "PARTIA_PROJECTION_PARENT": str(os.getpid()),  # it stops if `serve` is killed outright
    }
    command = [sys.executable, "-m", "partia_registry", "project"]
    with supervised(command, name="read-model runner", env=env):
        yield


if __name__ == "__main__":
    sys.exit(main())
