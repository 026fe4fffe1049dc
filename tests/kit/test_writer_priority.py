"""The writer thread yields the cores to request threads when both want one (decision 071)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from partia_kit.writer import CommandWriter


def _priority_of_the_thread_that_runs_batches(nice: int) -> tuple[int, int]:
    seen: list[int] = []

    def run_batch(commands: Sequence[str]) -> list[str]:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return ["done" for _ in commands]

    writer = CommandWriter(run_batch, nice=nice)
    writer.start()
    try:
        writer.execute("a command", timeout=10)
    finally:
        writer.stop()
    return seen[0], os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_writer_thread_runs_at_a_lower_priority_than_the_request_threads() -> None:
    writer, caller = _priority_of_the_thread_that_runs_batches(nice=7)

    assert writer == min(caller + 7, 19)


def test_with_no_increment_the_writer_runs_at_the_callers_priority() -> None:
    writer, caller = _priority_of_the_thread_that_runs_batches(nice=0)

    assert writer == caller
