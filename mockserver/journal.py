"""The request journal: what reached the fakes, capped so memory stays bounded, secrets masked."""

from __future__ import annotations

import copy
import threading
from collections import deque
from typing import Any

from .clock import iso
from .issued import mask_data

DEFAULT_CAP = 1000


class Journal:
    """A capped, thread-safe log of served requests; the oldest entries drop out first."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=cap)
        self._next_id = 1
        self._lock = threading.Lock()

    @property
    def cap(self) -> int:
        """The most entries kept."""
        return self._entries.maxlen or 0

    def set_cap(self, cap: int) -> None:
        """Change the cap, keeping the newest entries."""
        with self._lock:
            self._entries = deque(self._entries, maxlen=cap)

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry; an ``id`` is assigned here.

        A ``time`` given as epoch seconds is kept as a number and read back as an ISO 8601
        string: formatting it costs more than the rest of recording, and most entries are
        never read.
        """
        with self._lock:
            entry["id"] = self._next_id
            self._next_id += 1
            self._entries.append(entry)

    def entries(self, api: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries newest first, optionally for one API and at most ``limit`` of them.

        Issued secrets in them (a token in a path or a query) are masked as they are read.
        """
        with self._lock:
            items = list(self._entries)
        items.reverse()
        if api is not None:
            items = [e for e in items if e["api"] == api]
        if limit is not None:
            items = items[:limit]
        return [mask_data(_readable(e)) for e in items]

    def clear(self, api: str | None = None) -> int:
        """Forget entries (all, or one API's); answers how many were dropped."""
        with self._lock:
            before = len(self._entries)
            if api is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if e["api"] != api]
                self._entries = deque(kept, maxlen=self._entries.maxlen)
            return before - len(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def snapshot(self) -> tuple[list[dict[str, Any]], int, int]:
        """Everything it holds (entries, cap, next id), for :meth:`restore`."""
        with self._lock:
            return copy.deepcopy(list(self._entries)), self.cap, self._next_id

    def restore(self, snapshot: tuple[list[dict[str, Any]], int, int]) -> None:
        """Put back what :meth:`snapshot` took."""
        entries, cap, next_id = snapshot
        with self._lock:
            self._entries = deque(copy.deepcopy(entries), maxlen=cap)
            self._next_id = next_id


def _readable(entry: dict[str, Any]) -> dict[str, Any]:
    when = entry.get("time")
    if isinstance(when, float):
        return {**entry, "time": iso(when)}
    return dict(entry)
