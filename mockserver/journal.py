"""The request journal: what reached the fakes, capped so memory stays bounded, secrets masked."""

from __future__ import annotations

import copy
import threading
from collections import deque
from typing import Any

from .clock import iso
from .issued import mask_data
from .journal_query import entry_size, mask_credential_headers, materialized, readable

DEFAULT_CAP = 1000
"""The most entries kept."""
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""The most bytes the entries may hold together (bodies, headers, paths; see
:func:`~mockserver.journal_query.entry_size`): with bodies kept up to 64 KiB each, the entry cap
alone would allow about 128 MiB."""
_SIZE = "_size"  # what an entry counts against the byte cap; kept with it, never shown


class Journal:
    """A capped, thread-safe log of served requests; the oldest entries drop out first.

    Two caps hold together: at most :attr:`cap` entries, and at most :attr:`max_bytes` bytes
    in them (the newest entry is always kept, whatever its size).
    """

    def __init__(self, cap: int = DEFAULT_CAP, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._entries: deque[dict[str, Any]] = deque()
        self._cap = cap
        self._max_bytes = max_bytes
        self._bytes = 0
        self._next_id = 1
        self._lock = threading.Lock()

    @property
    def cap(self) -> int:
        """The most entries kept."""
        return self._cap

    @property
    def max_bytes(self) -> int:
        """The most bytes the entries may hold together."""
        return self._max_bytes

    @property
    def size_bytes(self) -> int:
        """The bytes the entries hold now (in :func:`~mockserver.journal_query.entry_size` units)."""
        return self._bytes

    def set_cap(self, cap: int) -> None:
        """Change the cap, keeping the newest entries."""
        with self._lock:
            self._cap = cap
            self._evict()

    def set_max_bytes(self, max_bytes: int) -> None:
        """Change the byte cap, keeping the newest entries."""
        with self._lock:
            self._max_bytes = max_bytes
            self._evict()

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry; an ``id`` is assigned here.

        A ``time`` given as epoch seconds is kept as a number and read back as an ISO 8601
        string: formatting it costs more than the rest of recording, and most entries are
        never read.
        """
        size = entry_size(entry)
        with self._lock:
            entry["id"] = self._next_id
            entry[_SIZE] = size
            self._next_id += 1
            self._entries.append(entry)
            self._bytes += size
            self._evict()

    def _evict(self) -> None:
        entries = self._entries
        while len(entries) > self._cap or (self._bytes > self._max_bytes and len(entries) > 1):
            self._bytes -= entries.popleft()[_SIZE]

    def entries(self, api: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries newest first, optionally for one API and at most ``limit`` of them.

        Issued secrets in them (a token in a path, a query, a header or a body) are masked as
        they are read, and credential headers are cut short.
        """
        items = self._stored()
        items.reverse()
        if api is not None:
            items = [e for e in items if e["api"] == api]
        if limit is not None:
            items = items[:limit]
        return [mask_credential_headers(mask_data(_readable(e))) for e in items]

    def _stored(self) -> list[dict[str, Any]]:
        """Every entry held, oldest first (where another store keeps them, it reads them here)."""
        with self._lock:
            return list(self._entries)

    def clear(self, api: str | None = None) -> int:
        """Forget entries (all, or one API's); answers how many were dropped."""
        with self._lock:
            before = len(self._entries)
            if api is None:
                self._entries.clear()
            else:
                self._entries = deque(e for e in self._entries if e["api"] != api)
            self._bytes = sum(e[_SIZE] for e in self._entries)
            return before - len(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def snapshot(self) -> tuple[list[dict[str, Any]], int, int]:
        """Everything it holds (entries as plain data, cap, next id), for :meth:`restore`."""
        with self._lock:
            entries = [materialized(e) for e in self._entries]
        for entry in entries:
            entry.pop(_SIZE, None)
        return copy.deepcopy(entries), self.cap, self._next_id

    def restore(self, snapshot: tuple[list[dict[str, Any]], int, int]) -> None:
        """Put back what :meth:`snapshot` took."""
        entries, cap, next_id = snapshot
        with self._lock:
            self._entries = deque(copy.deepcopy(entries))
            self._cap = cap
            self._next_id = next_id
            for entry in self._entries:
                entry.setdefault(_SIZE, entry_size(entry))
            self._bytes = sum(e[_SIZE] for e in self._entries)
            self._evict()


def _readable(entry: dict[str, Any]) -> dict[str, Any]:
    shown = readable(entry)
    shown.pop(_SIZE, None)
    when = shown.get("time")
    if isinstance(when, float):
        shown["time"] = iso(when)
    return shown
