"""A count over a time: what a throughput benchmark measures, and its ceiling beside it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Rate:
    items: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0
