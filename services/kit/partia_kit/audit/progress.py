"""A one-line progress bar on stderr, for runs over millions of events.

Shown when stderr is a terminal (or when asked with --progress) and silent otherwise, so logs and
pipes stay clean. Callers report progress once per batch, not per event, and the bar redraws at
most ten times a second: it must cost nothing next to the work it reports on.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_REDRAW_SECONDS = 0.1
_WIDTH = 24


class Progress:
    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.total = total
        self.done = 0
        self.fraction: float | None = None
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, done: int, fraction: float | None = None) -> None:
        """`done` events so far; `fraction` of the whole when it is known some other way (bytes of
        a file read, positions of the log passed)."""
        self.done = done
        if fraction is not None:
            self.fraction = fraction
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn >= _REDRAW_SECONDS:
            self._drawn = now
            self._draw(now)

    def close(self) -> None:
        """The final figures, and the line ended (nothing at all when disabled)."""
        if self.enabled:
            if self.total or self.fraction is not None:
                self.fraction = 1.0
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False  # closing twice draws once

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        fraction = self.fraction
        if fraction is None and self.total:
            fraction = min(self.done / self.total, 1.0)
        if fraction is not None:
            filled = int(fraction * _WIDTH)
            bar = "[" + "#" * filled + "." * (_WIDTH - filled) + f"] {fraction * 100:5.1f}%"
        else:
            bar = ""
        self.stream.write(
            f"\r{self.label} {bar} {self.done:,} events  {rate:,.0f} events/s  {elapsed:.1f}s   "
        )
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
