"""Fixed-window rate limiting on the fake's clock, with a bounded number of counters."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .clock import Clock

MAX_COUNTERS = 10_000


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` calls per ``window_seconds`` for one key in one bucket."""

    limit: int
    window_seconds: float


class RateLimiter:
    """Counts calls per (api, bucket, key) in fixed windows of the fake's clock.

    Counters are kept in insertion order and the oldest are dropped past ``max_counters``, so a
    load run with many distinct tokens cannot grow memory without bound.
    """

    def __init__(self, clock: Clock, max_counters: int = MAX_COUNTERS) -> None:
        self._clock = clock
        self._max = max_counters
        self._counters: OrderedDict[tuple[str, str, str], tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, api: str, bucket: str, key: str, limit: Limit) -> float | None:
        """Count one call. Answers None when allowed, else the seconds until the window resets."""
        now = self._clock.now()
        window_start = math.floor(now / limit.window_seconds) * limit.window_seconds
        counter_key = (api, bucket, key)
        with self._lock:
            start, count = self._counters.get(counter_key, (window_start, 0))
            if start != window_start:
                start, count = window_start, 0
            if count >= limit.limit:
                return max(start + limit.window_seconds - now, 0.001)
            self._counters[counter_key] = (start, count + 1)
            self._counters.move_to_end(counter_key)
            while len(self._counters) > self._max:
                self._counters.popitem(last=False)
        return None

    async def hit_async(self, api: str, bucket: str, key: str, limit: Limit) -> float | None:
        """:meth:`hit` where the request path awaits it (counters kept elsewhere override this)."""
        return self.hit(api, bucket, key, limit)

    def reset(self, api: str | None = None) -> None:
        """Forget counters (all, or one API's)."""
        with self._lock:
            if api is None:
                self._counters.clear()
            else:
                for counter_key in [k for k in self._counters if k[0] == api]:
                    del self._counters[counter_key]

    def __len__(self) -> int:
        return len(self._counters)

    def snapshot(self) -> list[tuple[tuple[str, str, str], tuple[float, int]]]:
        """The counters, oldest first, for :meth:`restore`."""
        with self._lock:
            return list(self._counters.items())

    def restore(self, snapshot: list[tuple[tuple[str, str, str], tuple[float, int]]]) -> None:
        """Put back what :meth:`snapshot` took."""
        with self._lock:
            self._counters = OrderedDict(snapshot)


def retry_after_header(seconds: float) -> str:
    """A whole-seconds ``Retry-After`` value (at least 1)."""
    return str(max(1, math.ceil(seconds)))
