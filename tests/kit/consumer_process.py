"""A consumer in its own process, for the crash tests:

    python tests/kit/consumer_process.py DATABASE_URL SCHEMA BOOTSTRAP TOPIC KILL_AFTER

It records one effect row per event; with KILL_AFTER > 0 it kills itself with SIGKILL right after
the KILL_AFTER-th effect is committed to PostgreSQL and before the offset is committed to Kafka.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from partia_kit.consumer import Consumer
from partia_kit.messages import IncomingEvent
from tests.kit.support import ADMITTED, config, record_effect


def main() -> None:
    database_url, schema, bootstrap, topic, kill_after = sys.argv[1:6]
    applied = 0

    def after_effect(event: IncomingEvent) -> None:
        nonlocal applied
        applied += 1
        if applied == int(kill_after):
            os.kill(os.getpid(), signal.SIGKILL)  # between the effect's commit and Kafka's

    consumer = Consumer(
        # five a poll, so five a transaction: a kill lands amid the stream, not after all of it
        config(database_url, schema, bootstrap, topic, max_poll_records=5),
        {ADMITTED: record_effect(schema)},
        after_effect=after_effect,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    print("consuming", flush=True)
    consumer.run(stop)


if __name__ == "__main__":
    main()
