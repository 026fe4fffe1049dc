"""Finance's member consumer in its own process, for the crash tests:

    python tests/finance/adapters/members_process.py DATABASE_URL SCHEMA BOOTSTRAP KILL AFTER

KILL is `mid-batch` (SIGKILL inside the AFTER-th batch's transaction, its effects written and not
committed), `after-commit` (SIGKILL after the AFTER-th event's effect is committed to PostgreSQL
and before the offset is committed to Kafka) or `never`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import psycopg

from partia_finance.adapters.memberships import CONSUMER_NAME, TOPIC, applier, handlers
from partia_kit.consumer import Consumer, ConsumerConfig
from partia_kit.messages import IncomingEvent


def main() -> None:
    database_url, schema, bootstrap, kill, after = sys.argv[1:6]
    apply = applier(schema)
    batches = events = 0

    def batch(conn: psycopg.Connection[Any], new: Sequence[IncomingEvent]) -> None:
        nonlocal batches
        apply(conn, new)
        batches += 1
        if kill == "mid-batch" and batches == int(after):
            os.kill(os.getpid(), signal.SIGKILL)  # the transaction is still open

    def after_effect(event: IncomingEvent) -> None:
        nonlocal events
        events += 1
        if kill == "after-commit" and events == int(after) * 40:
            os.kill(os.getpid(), signal.SIGKILL)  # between the effect's commit and Kafka's

    consumer = Consumer(
        ConsumerConfig(
            name=CONSUMER_NAME,
            database_url=database_url,
            schema=schema,
            bootstrap_servers=bootstrap,
            topics=[TOPIC],
            max_poll_records=40,  # a kill lands amid the stream, not after all of it
            session_timeout=1.0,  # a killed consumer's partitions move on quickly
            heartbeat_interval=0.2,
        ),
        handlers(schema),
        batch=batch,
        after_effect=after_effect,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    print("consuming", flush=True)
    consumer.run(stop)


if __name__ == "__main__":
    main()
