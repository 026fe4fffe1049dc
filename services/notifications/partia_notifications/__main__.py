"""`python -m partia_notifications serve | bootstrap | project | send | relay | catch` (also installed as
`partia-notifications`): the commands every Partia service offers (`partia_kit.run`), and the two
of its own: `send` (the sender) and `catch` (the local mail catcher of `make run`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from partia_kit import relay_command
from partia_kit.commands import configure_logging, may_serve
from partia_kit.signals import stop_event_on_signals
from partia_notifications.settings import NotificationsSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="partia-notifications", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (prepares the database if needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8002)
    serve.add_argument("--workers", type=int, default=1, help="HTTP worker processes")
    serve.add_argument(
        "--no-projection",
        action="store_true",
        help="accepted for `partia_kit.run`'s uniform command line (the consumer is `project`)",
    )
    sub.add_parser("bootstrap", help="create the notifications schema's tables (migrations)")
    project = sub.add_parser(
        "project",
        help="follow the registry's member events on Kafka and queue the notices they cause, and"
        " its organisation events for the names notices use, and finance's dues arrears and return"
        " obligations; one copy"
        " queues each notice once, more are harmless",
    )
    project.add_argument(
        "--bootstrap",
        default=os.environ.get("PARTIA_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (env PARTIA_KAFKA_BOOTSTRAP; default: %(default)s)",
    )
    relay = sub.add_parser(
        "relay",
        help="publish what became of each notice on partia.notifications.v1 (one active copy,"
        " more stand by)",
    )
    relay_command.add_arguments(relay)
    sub.add_parser(
        "send",
        help="deliver the queued notices by email (contacts from the registry); two copies never"
        " send the same notice",
    )
    catch = sub.add_parser(
        "catch", help="a local SMTP server that keeps every message (for `make run` and tests)"
    )
    catch.add_argument("--host", default="127.0.0.1")
    catch.add_argument("--smtp-port", type=int, default=1025)
    catch.add_argument("--http-port", type=int, default=8025)
    catch.add_argument("--mbox", type=Path, default=None, help="also append each message here")
    args = parser.parse_args(argv)
    configure_logging()
    if args.command == "catch":
        from partia_notifications.catcher import run_catcher

        return run_catcher(args.host, args.smtp_port, args.http_port, args.mbox)

    from partia_kit.postgres.embedded import exit_on_termination_signals, stop_embedded_postgres
    from partia_notifications.composition import prepare_database

    exit_on_termination_signals()  # SIGTERM, like Ctrl-C, must reach the `finally` below
    settings = NotificationsSettings()
    if args.command == "serve" and not may_serve(settings, "partia-notifications serve"):
        return 2
    server, settings = prepare_database(settings)
    try:
        if args.command == "bootstrap":
            print(f"the notifications schema {settings.database_schema!r} is up to date")
            return 0
        if args.command == "project":
            return _project(settings, args.bootstrap)
        if args.command == "send":
            return _send(settings)
        if args.command == "relay":
            from partia_notifications.relay import run_relay

            return run_relay(settings, args)
        return _serve(settings, args.host, args.port, args.workers)
    finally:
        if server is not None:
            stop_embedded_postgres(server)


def _project(settings: NotificationsSettings, bootstrap: str) -> int:
    """Until SIGTERM or Ctrl-C; /health, /ready and /metrics on PARTIA_METRICS_PORT if set. One
    thread and consumer group per topic; if one fails, all stop."""
    from partia_kit.consumer import run_together
    from partia_notifications.adapters import dues, events, obligations, organisations
    from partia_notifications.operations import serve_if_configured

    assert settings.database_url is not None
    url, schema = settings.database_url, settings.database_schema
    stop = stop_event_on_signals()
    operations = serve_if_configured(settings)
    topics = ", ".join((events.TOPIC, organisations.TOPIC, dues.TOPIC, obligations.TOPIC))
    print(f"notifications follows {topics} on {bootstrap}", flush=True)
    try:
        # the members' notices; the organisations' names and tree (a notice names its
        # organisations); finance's dues arrears and return obligations (to the treasurers)
        failed = run_together(
            {
                "members": events.consumer(url, schema, bootstrap),
                "organisations": organisations.consumer(url, schema, bootstrap),
                "dues": dues.consumer(url, schema, bootstrap),
                "obligations": obligations.consumer(url, schema, bootstrap),
            },
            stop,
        )
    finally:
        if operations is not None:
            operations.stop()
    return 1 if failed else 0


def _send(settings: NotificationsSettings) -> int:
    """Until SIGTERM or Ctrl-C; /health, /ready and /metrics on PARTIA_METRICS_PORT if set."""
    from partia_notifications.composition import open_notifications, sender
    from partia_notifications.operations import serve_if_configured

    if not settings.registry_token.get_secret_value():
        print(
            "partia-notifications send: set PARTIA_REGISTRY_TOKEN to the notifications service"
            " account's token at the registry (`partia-auth mint --user notifications --role"
            " service --service notifications`)",
            file=sys.stderr,
        )
        return 2
    stop = stop_event_on_signals()
    notifications = open_notifications(settings)
    operations = serve_if_configured(settings)
    print(
        f"notifications sends to {settings.smtp_host}:{settings.smtp_port}, contacts from"
        f" {settings.registry_url}",
        flush=True,
    )
    try:
        sender(notifications).run(stop, settings.send_idle_seconds)
    finally:
        if operations is not None:
            operations.stop()
        notifications.close()
    return 0


def _serve(settings: NotificationsSettings, host: str, port: int, workers: int) -> int:
    from partia_kit.http.serving import serve

    return serve(
        "partia_notifications.api.app:create_app",
        settings,
        host=host,
        port=port,
        workers=workers,
        banner="Partia notifications",
    )


if __name__ == "__main__":
    sys.exit(main())
