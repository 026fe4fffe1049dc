"""`python -m partia_finance serve | bootstrap | project | relay` (also installed as `partia-finance`): the
commands every Partia service offers (`partia_kit.run`), where they apply to finance."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, time

from partia_finance.settings import FinanceSettings
from partia_kit.commands import configure_logging, may_serve
from partia_kit.signals import stop_event_on_signals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="partia-finance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (prepares the database if needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--workers", type=int, default=1, help="HTTP worker processes")
    serve.add_argument(
        "--no-projection",
        action="store_true",
        help="accepted for `partia_kit.run`'s uniform command line (finance has no read-model"
        " runner of its own yet)",
    )
    sub.add_parser("bootstrap", help="create the finance schema's tables (migrations)")
    project = sub.add_parser(
        "project",
        help="follow the registry's organisation and member events on Kafka into finance's views"
        " of the tree and of memberships (decisions 191, 217, 218); one copy applies each event"
        " once, more are harmless",
    )
    project.add_argument(
        "--bootstrap",
        default=os.environ.get("PARTIA_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (env PARTIA_KAFKA_BOOTSTRAP; default: %(default)s)",
    )
    clock = sub.add_parser(
        "clock",
        help="mark overdue return obligations, flag undecided donations and note dues arrears"
        " reaching the threshold (daily; safe to repeat)",
    )
    clock.add_argument(
        "--on", type=date.fromisoformat, default=None, help="the day (default: today)"
    )
    clock.add_argument(
        "--daily-at",
        type=time.fromisoformat,
        default=None,
        metavar="HH:MM",
        help="keep running where no scheduler does (docker-compose): once now, then every day at"
        " this UTC time, until SIGTERM; a failed run is retried after five minutes",
    )
    from partia_kit import relay_command

    relay_command.add_arguments(
        sub.add_parser("relay", help="publish the integration events to Kafka")
    )
    args = parser.parse_args(argv)
    configure_logging()

    from partia_finance.composition import prepare_database
    from partia_kit.postgres.embedded import exit_on_termination_signals, stop_embedded_postgres

    exit_on_termination_signals()  # SIGTERM, like Ctrl-C, must reach the `finally` below
    settings = FinanceSettings()
    if args.command == "serve" and not may_serve(settings, "partia-finance serve"):
        return 2
    server, settings = prepare_database(settings)
    try:
        if args.command == "bootstrap":
            print(f"the finance schema {settings.database_schema!r} is up to date")
            return 0
        if args.command == "project":
            return _project(settings, args.bootstrap)
        if args.command == "relay":
            return _relay(settings, args)
        if args.command == "clock" and args.daily_at is not None:
            return _clock_daily(settings, args.daily_at)
        if args.command == "clock":
            return _clock(settings, args.on or date.today())
        return _serve(settings, args.host, args.port, args.workers)
    finally:
        if server is not None:
            stop_embedded_postgres(server)


def _project(settings: FinanceSettings, bootstrap: str) -> int:
    """Until SIGTERM or Ctrl-C; /health, /ready and /metrics on PARTIA_METRICS_PORT if set. One
    thread and consumer group per registry topic (decision 218) and the dues refresher (decision
    309); if one fails, all stop."""
    from partia_finance.adapters import memberships, organisations
    from partia_finance.adapters.postgres.dues_refresher import DuesRefresher
    from partia_finance.operations import serve_if_configured
    from partia_kit.consumer import run_together

    assert settings.database_url is not None
    url, schema = settings.database_url, settings.database_schema
    stop = stop_event_on_signals()
    operations = serve_if_configured(settings, relay=False)
    print(
        f"finance follows {organisations.TOPIC} and {memberships.TOPIC} on {bootstrap}", flush=True
    )
    try:
        failed = run_together(
            {
                "finance-organisations": organisations.consumer(url, schema, bootstrap),
                "finance-members": memberships.consumer(url, schema, bootstrap),
                "finance-dues-refresher": DuesRefresher(url, schema),
            },
            stop,
        )
    finally:
        if operations is not None:
            operations.stop()
    return 1 if failed else 0


def _clock(settings: FinanceSettings, on: date) -> int:
    from partia_finance.adapters.postgres.dues_queries import DuesQueries
    from partia_finance.application.clock import run_clock, run_dues_clock
    from partia_finance.composition import open_finance

    finance = open_finance(settings)
    try:
        done = run_clock(
            on,
            finance.queries.late_obligations(on),
            finance.queries.undecided_donations(),
            finance.writer.execute,
        )
        threshold = finance.configuration.dues_arrears_threshold_months
        changes = DuesQueries(finance.store, finance.configuration.mci).threshold_changes(
            on, threshold
        )
        dues = run_dues_clock(on, changes, threshold, finance.writer.execute)
    finally:
        finance.close()
    print(
        f"{on.isoformat()}: {done.overdue} obligations overdue, {done.flagged} donations flagged"
        f" undecided ({done.already} already done or not late yet); dues arrears: {dues.noted}"
        f" crossings of {threshold} months noted ({dues.already} unchanged)"
    )
    return 0


def _clock_daily(settings: FinanceSettings, at: time) -> int:
    """`clock` now and then daily at `at` (UTC) until SIGTERM or Ctrl-C. Each run is the whole
    `clock` (safe to repeat), with the day it starts on."""
    from datetime import UTC, datetime

    from partia_finance.application.clock import next_run

    stop = stop_event_on_signals()

    wait = 0.0
    while not stop.wait(wait):
        try:
            _clock(settings, datetime.now(UTC).date())
        except Exception:  # the database away for a moment: the next try, not the end
            logging.getLogger(__name__).exception("finance clock: the run failed; retrying")
            wait = 300.0
            continue
        now = datetime.now(UTC)
        wait = (next_run(now, at) - now).total_seconds()
        print(f"next clock run at {next_run(now, at).isoformat()}", flush=True)
    return 0


def _relay(settings: FinanceSettings, args: argparse.Namespace) -> int:
    """Until SIGTERM or Ctrl-C; /health, /ready and /metrics on PARTIA_METRICS_PORT if set."""
    from partia_finance.operations import serve_if_configured
    from partia_finance.relay import run_relay

    operations = serve_if_configured(settings, relay=True)
    try:
        return run_relay(settings, args)
    finally:
        if operations is not None:
            operations.stop()


def _serve(settings: FinanceSettings, host: str, port: int, workers: int) -> int:
    from partia_kit.http.serving import serve

    return serve(
        "partia_finance.api.app:create_app",
        settings,
        host=host,
        port=port,
        workers=workers,
        banner="Partia finance",
    )


if __name__ == "__main__":
    sys.exit(main())
