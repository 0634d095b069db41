"""Fixed-window rate limiting on the fake's clock, with a bounded number of counters."""

from __future__ import annotations

from mockserver.clock import Clock
from mockserver.ratelimit import Limit, RateLimiter, retry_after_header


def test_rate_limiter_window_and_reset_by_clock() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(3, 60.0)
    assert [limiter.hit("a", "key", "t1", limit) for _ in range(3)] == [None, None, None]
    wait = limiter.hit("a", "key", "t1", limit)
    assert wait is not None and 0 < wait <= 60
    assert limiter.hit("a", "key", "t2", limit) is None  # another key has its own counter
    clock.advance(60)
    assert limiter.hit("a", "key", "t1", limit) is None


def test_rate_limiter_counters_are_bounded() -> None:
    limiter = RateLimiter(Clock(), max_counters=100)
    for n in range(1000):
        limiter.hit("a", "key", f"token-{n}", Limit(1, 1.0))
    assert len(limiter) == 100


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert retry_after_header(0.01) == "1"
    assert retry_after_header(1.2) == "2"


def test_reset_of_one_api_keeps_the_others_counters() -> None:
    limiter = RateLimiter(Clock())
    limit = Limit(1, 3600.0)
    limiter.hit("a", "key", "t", limit)
    limiter.hit("b", "key", "t", limit)
    limiter.reset("a")
    assert limiter.hit("a", "key", "t", limit) is None
    assert limiter.hit("b", "key", "t", limit) is not None
    limiter.reset()
    assert len(limiter) == 0


def test_restore_puts_back_the_counts() -> None:
    limiter = RateLimiter(Clock())
    limit = Limit(2, 3600.0)
    limiter.hit("a", "key", "t", limit)
    taken = limiter.snapshot()
    limiter.hit("a", "key", "t", limit)
    assert limiter.hit("a", "key", "t", limit) is not None
    limiter.restore(taken)
    assert limiter.hit("a", "key", "t", limit) is None
    assert limiter.hit("a", "key", "t", limit) is not None
