"""Long-polling reads ("answer once the read model reached position N") that hold no worker thread
while they wait (issue 10, "Abuse"; decision 157).

A request that waits in a thread keeps one of the server's few request threads (40 by default) for
up to its whole timeout: forty such requests and nothing else is answered. Here the wait is an
`asyncio.sleep` on the event loop, and the database is asked in a thread only for the moment of
one query, once per pause however many requests wait (they share the read in flight)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

FIRST_PAUSE = 0.005
LONGEST_PAUSE = 0.05


class PositionWatch:
    """`await watch.reached(position, timeout)`: whether the position `read()` returns (one that
    only grows, e.g. the read model's place in the event log) reaches `position` within
    `timeout` seconds."""

    def __init__(self, read: Callable[[], int]) -> None:
        self._read = read
        self._known = 0
        self._reading: asyncio.Future[int] | None = None

    async def reached(self, position: int, timeout: float) -> bool:
        if position <= self._known:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pause = FIRST_PAUSE
        while await self._current() < position:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, LONGEST_PAUSE)
        return True

    async def _current(self) -> int:
        """The position now: a read in a worker thread, shared by every waiter that asks while
        it runs (shielded: one waiter giving up does not cancel it for the others)."""
        if self._reading is None:
            reading = asyncio.ensure_future(run_in_threadpool(self._read))
            reading.add_done_callback(self._finished)
            self._reading = reading
        found = await asyncio.shield(self._reading)
        self._known = max(self._known, found)
        return found

    def _finished(self, reading: asyncio.Future[int]) -> None:
        self._reading = None
        if not reading.cancelled():
            reading.exception()  # retrieved: the waiters that shared it raise it themselves
