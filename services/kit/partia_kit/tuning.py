"""Settling a long-running service process once start-up is done (decision 311)."""

from __future__ import annotations

import gc
import sys


def tune_after_start() -> None:
    """Called once a process has loaded what it keeps (an API's lifespan, `run_together` for the
    consumers of a `project` command, the relay), never at import.

    What start-up made (modules, models, the app, cached records, keys) is frozen out of the
    cyclic collector, and young collections run every 50,000 allocations instead of 700: each full
    collection walked all of it, with every request in flight waiting (finance's donations: p99
    132 -> 42 ms) and a consumer's messages held up (finance's member consumer: 15,600 -> 22,800
    events/s). A service's threads (an API's event loop and writer, a project's consumers) share
    the GIL; with the default 5 ms switch interval a writer waits up to 5 ms for it after each
    database round trip."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    sys.setswitchinterval(0.0005)
