"""`python -m <service> relay`: the command line every service's relay shares (moved from the
registry, decision 198). A service names its event store, its relay's name and topics, and how a
stored event becomes its messages; this runs the kit's `Relay` until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Mapping

from partia_kit.postgres.event_store import EventStore
from partia_kit.relay import Relay, RelayConfig, ToMessages, republish_from
from partia_kit.settings import ServiceSettings, eventsourcing_env
from partia_kit.signals import stop_event_on_signals
from partia_kit.tuning import tune_after_start
from partia_kit.vault import SealingMapper

log = logging.getLogger(__name__)

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("PARTIA_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP),
        help="Kafka bootstrap servers (env PARTIA_KAFKA_BOOTSTRAP; default: %(default)s)",
    )
    parser.add_argument("--batch", type=int, default=1000, help="stored events per produce round")
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=RelayConfig.idle_wait,
        metavar="SECONDS",
        help="when caught up, look for new events this often (default: %(default)s)",
    )
    parser.add_argument(
        "--from",
        dest="republish_from",
        type=int,
        metavar="POSITION",
        help="publish again everything after this log position (0 = all), then keep relaying",
    )


def run_relay(
    settings: ServiceSettings,
    args: argparse.Namespace,
    *,
    name: str,
    store: type[EventStore],
    topics: Mapping[str, int],
    messages: Callable[[SealingMapper], ToMessages],
) -> int:
    """Relay until SIGTERM or Ctrl-C; stands by while another copy is active. `messages` gets
    the store's mapper that leaves personal data sealed."""
    assert settings.database_url is not None
    logging.getLogger("kafka").setLevel(logging.WARNING)  # it logs every connection at INFO
    events = store(
        # the tables exist (prepare_database made them under its lock): creating them again here,
        # outside that lock, races another starting process ("tuple concurrently updated")
        {
            **eventsourcing_env(settings.database_url, settings.database_schema, 1),
            "CREATE_TABLE": "no",
        },
        settings.master_keys(),
    )
    try:
        config = RelayConfig(
            name=name,
            database_url=settings.database_url,
            schema=settings.database_schema,
            events_table=events.recorder.events_table_name,  # type: ignore[attr-defined]
            bootstrap_servers=args.bootstrap,
            topics=dict(topics),
            batch_size=args.batch,
            idle_wait=args.idle_wait,
        )
        if args.republish_from is not None:
            republish_from(config.database_url, config.schema, config.name, args.republish_from)
            log.info("relay: publishing again after position %d", args.republish_from)
        relay = Relay(config, messages(events.vault_mapper().without_personal_data()))
        stop = stop_event_on_signals()

        print(f"{name} relay → {args.bootstrap} (topics: {', '.join(topics)})", flush=True)
        tune_after_start()  # what start-up made is frozen out of the collector (decision 120)
        relay.run(stop)
        return 0
    finally:
        events.close()
