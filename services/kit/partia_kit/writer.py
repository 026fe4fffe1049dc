"""One writer thread that gathers the commands arriving meanwhile into the next batch.

While a batch commits, new commands queue up; the next batch takes all of them (up to a limit).
Under light load a batch is one command and nothing waits; under heavy load batches grow and the
cost of a commit is shared. Callers get a Future, so async HTTP handlers can await it.

The thread runs at a lower OS priority (`nice`, decision 071): when the cores are busy, a read
request's threads get a core before the writer does, and the writer's batches simply grow.

Generic over what a command and its outcome are: a service hands it a function that decides a
batch of its commands in one transaction (the registry's `BatchRunner.run`) and returns one
outcome per command, in order.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

_STOP = object()

Command = TypeVar("Command")
Outcome = TypeVar("Outcome")


class CommandWriter(Generic[Command, Outcome]):
    def __init__(
        self,
        run_batch: Callable[[Sequence[Command]], list[Outcome]],
        *,
        max_batch: int = 256,
        nice: int = 0,
        name: str = "registry-writer",
    ) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._nice = nice
        self._queue: queue.SimpleQueue[tuple[Command, Future[Outcome]] | object] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._thread.start()
            self._started = True

    def submit(self, command: Command) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        self._queue.put((command, future))
        return future

    def execute(self, command: Command, timeout: float = 60.0) -> Outcome:
        return self.submit(command).result(timeout)

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._started = False

    def _loop(self) -> None:
        self._lower_priority()
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop_after = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop_after = True
                    break
                batch.append(item)
            self._run(batch)  # type: ignore[arg-type]
            if stop_after:
                return

    def _lower_priority(self) -> None:
        """Linux gives each thread its own nice value; raising one's own needs no privilege."""
        if not self._nice or not hasattr(os, "setpriority"):
            return
        me = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + self._nice)
        except OSError as failure:  # not Linux, or a sandbox that forbids it: run as we are
            log.warning("could not lower the writer thread's priority: %s", failure)

    def _run(self, batch: list[tuple[Command, Future[Outcome]]]) -> None:
        commands = [command for command, _ in batch]
        try:
            outcomes = self._run_batch(commands)
        except BaseException as failure:
            log.exception("batch of %d commands failed", len(batch))
            for _, future in batch:
                future.set_exception(failure)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)
