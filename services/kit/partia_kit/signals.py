"""Stopping a long-running process on SIGTERM or Ctrl-C, safely.

A Python signal handler runs on the main thread, between two bytecodes of whatever it was doing.
If that was `stop.wait()` on the very event the handler sets, the main thread may hold the event's
lock at that moment, and `Event.set` in the handler waits for that lock for ever: the process
hangs instead of stopping (seen as an orphaned `partia_registry project`). So the handlers here
never set anything themselves: they start a thread that does, which gets the lock as soon as the
main thread's wait lets go of it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def set_soon(event: threading.Event) -> None:
    """`event.set()` from a thread of its own: safe from a signal handler."""
    threading.Thread(target=event.set, name="stop-signal", daemon=True).start()


def on_stop_signals(
    action: Callable[[], None], signals: Iterable[signal.Signals] = STOP_SIGNALS
) -> dict[signal.Signals, Any]:
    """Run `action` (in a thread of its own) on each of `signals`; returns the handlers they
    replace, to put back with `signal.signal` if the caller outlives its need."""

    def handler(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=action, name="stop-signal", daemon=True).start()

    return {sig: signal.signal(sig, handler) for sig in signals}


def stop_event_on_signals(signals: Iterable[signal.Signals] = STOP_SIGNALS) -> threading.Event:
    """An event that SIGTERM or Ctrl-C sets: what a process's main loop waits on."""
    stop = threading.Event()
    on_stop_signals(stop.set, signals)
    return stop
