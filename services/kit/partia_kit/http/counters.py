"""Fixed-window counters for the `limits` rate limiter, kept in memory without a timer thread
(decision 215).

The library's `MemoryStorage` expires its keys from a `threading.Timer` it starts again (10 ms)
whenever one is not running: under a thousand requests a second that is a new thread a hundred
times a second, each taking the GIL from the event loop. Here a counter whose window has ended is
treated as zero when it is next read, and ended windows are swept from the dict at most once a
`sweep_every` seconds by whichever call comes next: no thread, no timer.

Only the event loop calls it (the rate-limit middleware), so it takes no locks.
"""

from __future__ import annotations

import time

from limits.storage import Storage


class WindowCounters(Storage):
    STORAGE_SCHEME: list[str] | None = ["partia-window-counters"]  # noqa: RUF012 (the base declares it so)

    def __init__(self, sweep_every: float = 60.0) -> None:
        super().__init__()
        self._counts: dict[str, int] = {}
        self._ends: dict[str, float] = {}
        self._sweep_every = sweep_every
        self._next_sweep = time.time() + sweep_every

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        if now >= self._next_sweep:
            self._sweep(now)
        if self._ends.get(key, 0.0) <= now:  # no window yet, or it ended: a new one starts
            self._counts[key] = 0
            self._ends[key] = now + expiry
        self._counts[key] += amount
        return self._counts[key]

    def get(self, key: str) -> int:
        if self._ends.get(key, 0.0) <= time.time():
            return 0
        return self._counts.get(key, 0)

    def get_expiry(self, key: str) -> float:
        return self._ends.get(key, time.time())

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        cleared = len(self._counts)
        self._counts.clear()
        self._ends.clear()
        return cleared

    def clear(self, key: str) -> None:
        self._counts.pop(key, None)
        self._ends.pop(key, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, end in self._ends.items() if end <= now]:
            self.clear(key)
        self._next_sweep = now + self._sweep_every
