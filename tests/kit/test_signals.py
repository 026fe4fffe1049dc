"""Stopping on a signal cannot hang the process (`partia_kit.signals`)."""

from __future__ import annotations

import signal

from partia_kit.signals import on_stop_signals, stop_event_on_signals


def test_a_stop_signal_arriving_while_the_main_thread_holds_the_stop_events_lock_still_stops() -> (
    None
):
    """The signal lands while the main thread is inside `stop.wait()` holding the event's lock
    (here held on purpose): the handler must return at once, and the stop must still come."""
    stop = stop_event_on_signals([signal.SIGUSR1])
    try:
        with stop._cond:  # type: ignore[attr-defined]
            signal.raise_signal(signal.SIGUSR1)  # a handler that set the event itself hangs here
            assert not stop.is_set()
        assert stop.wait(timeout=5)
    finally:
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)


def test_the_handlers_replaced_are_handed_back_to_be_put_back() -> None:
    mine = signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    try:
        previous = on_stop_signals(lambda: None, [signal.SIGUSR2])
        assert previous == {signal.SIGUSR2: signal.SIG_IGN}
    finally:
        signal.signal(signal.SIGUSR2, mine)
