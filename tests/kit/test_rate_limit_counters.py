"""The rate limits' counters (`partia_kit.http.counters`, decision 215): fixed windows that end on
time, without the timer thread the library's memory storage starts again and again."""

from __future__ import annotations

import threading
import time

from limits import parse
from limits.strategies import FixedWindowRateLimiter

from partia_kit.http.counters import WindowCounters


def test_a_key_is_refused_past_its_limit_and_allowed_again_when_its_window_ends() -> None:
    limiter = FixedWindowRateLimiter(WindowCounters())
    three_a_second = parse("3/second")
    assert [limiter.hit(three_a_second, "token") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(three_a_second, "another token")  # each key counts apart
    time.sleep(1.05)
    assert limiter.hit(three_a_second, "token")


def test_counting_starts_no_thread_and_ended_windows_are_swept_from_memory() -> None:
    counters = WindowCounters(sweep_every=0.0)
    limiter = FixedWindowRateLimiter(counters)
    before = threading.active_count()
    for i in range(500):
        limiter.hit(parse("10/second"), f"token-{i}")
    assert threading.active_count() == before
    time.sleep(1.05)
    limiter.hit(parse("10/second"), "one more")  # the next call sweeps what has ended
    assert counters.get("token-1") == 0
    assert len(counters._counts) == 1
