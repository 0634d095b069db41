"""The fakes' clock: wall time plus an offset that the control plane can move forward."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

MAX_OFFSET_SECONDS = 3_155_760_000
"""How far ahead of wall time the fake's clock may run (a hundred years): far enough to expire
anything, near enough that every date stays printable."""


class Clock:
    """Wall-clock time that tests can advance (to expire tokens, reset rate-limit windows)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch on the fake's clock."""
        return time.time() + self._offset

    def isoformat(self) -> str:
        """The fake's time as ISO 8601 with milliseconds and a ``Z`` suffix."""
        return iso(self.now())

    @property
    def offset(self) -> float:
        """How far the fake's clock is ahead of the wall clock, in seconds."""
        return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        with self._lock:
            if self._offset + seconds > MAX_OFFSET_SECONDS:
                raise ValueError(f"the clock cannot run more than {MAX_OFFSET_SECONDS:,} seconds ahead")
            self._offset += seconds

    def reset(self) -> None:
        """Return to wall time."""
        with self._lock:
            self._offset = 0.0

    def set_offset(self, offset: float) -> None:
        """Put the clock exactly ``offset`` seconds ahead of wall time (restoring a snapshot)."""
        with self._lock:
            self._offset = offset


def iso(epoch_seconds: float) -> str:
    """Format epoch seconds as ``2026-01-02T03:04:05.678Z``."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
