"""Reads first: while a read is being served, commands wait before they use the event loop.

Under full-speed admissions the one event loop is busy parsing, validating and answering the
admitting connections; a read that arrives then waits behind a whole batch's worth of them
(decision 130). So a command's work on the loop (its start, and its answer once the writer has
decided it) waits while any GET is in flight, at most `longest_wait` seconds, so that commands
never starve behind a stream of reads. Reads are short and a person's; commands mostly come in
bursts from clients that retry, and a batch simply grows while they wait.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

LONGEST_WAIT = 0.05
"""Seconds a command waits for reads at most: reads that follow one another closely (or one that
waits for the read model, up to 5 s) hold commands back no longer than this each time."""


class ReadsFirst:
    """Counts the reads in flight; `commands_wait` returns once there are none (or the longest
    wait has passed since the first of them started). Used on the event loop's thread only."""

    def __init__(self, longest_wait: float = LONGEST_WAIT) -> None:
        self._longest_wait = longest_wait
        self._reads = 0
        self._closed: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def read_started(self) -> None:
        self._reads += 1
        if self._reads == 1:
            loop = asyncio.get_running_loop()
            self._closed = loop.create_future()
            self._timer = loop.call_later(self._longest_wait, self._reopen)

    def read_finished(self) -> None:
        self._reads -= 1
        if self._reads == 0:
            self._reopen()

    def _reopen(self) -> None:
        closed, self._closed = self._closed, None
        if closed is not None and not closed.done():
            closed.set_result(None)
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    async def commands_wait(self) -> None:
        closed = self._closed
        if closed is not None:
            # shielded: a client that goes away cancels its own wait, not everyone's
            await asyncio.shield(closed)


class ServeReadsFirst:
    """ASGI middleware: a GET counts as a read while it is served; any other request waits for
    the reads in flight before the application sees it."""

    def __init__(self, app: ASGIApp, reads_first: ReadsFirst) -> None:
        self.app = app
        self.reads_first = reads_first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":
            await self.reads_first.commands_wait()
            await self.app(scope, receive, send)
            return
        self.reads_first.read_started()
        try:
            await self.app(scope, receive, send)
        finally:
            self.reads_first.read_finished()
