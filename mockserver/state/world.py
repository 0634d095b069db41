"""One session's whole state: every fake's store and settings, clock, journal, faults, counters."""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..faults import FaultStore
from ..journal import DEFAULT_CAP, DEFAULT_MAX_BYTES, Journal
from ..ratelimit import Limit, RateLimiter

if TYPE_CHECKING:
    from ..interface import Vendor

DEFAULT_SESSION = "default"
"""The session the root of the server (no ``/s/<id>`` prefix) serves."""


class World:
    """Everything one session holds.

    Vendors reach their part through ``vendor.store`` / ``vendor.settings`` / ``vendor.clock``,
    which read the world in force (:func:`using`); the rest of the server goes through the
    :class:`~mockserver.runtime.Runtime`.
    """

    def __init__(
        self,
        vendors: Mapping[str, Vendor],
        journal_cap: int = DEFAULT_CAP,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        stores: bool = True,
    ) -> None:
        """An empty world; ``stores=False`` leaves the stores to be filled in (an engine
        decoding only the ones a request needs)."""
        self.vendors = vendors
        self.clock = Clock()
        self.journal: Journal = Journal(journal_cap, journal_max_bytes)
        self.faults = FaultStore()
        self.limiter: RateLimiter = RateLimiter(self.clock)
        self.rate_limits_enabled = True
        self.rate_limit_overrides: dict[str, dict[str, Limit]] = {name: {} for name in vendors}
        self.stores: dict[str, Any] = {name: vendor.new_store() for name, vendor in vendors.items()} if stores else {}
        self.settings: dict[str, dict[str, Any]] = {
            name: copy.deepcopy(dict(vendor.default_settings)) for name, vendor in vendors.items()
        }
        # Every handler and control-plane change runs under it, so handlers need no locks.
        self.lock = threading.RLock()

    def reset_api(self, api: str) -> None:
        """One fake back to empty: store, settings, overrides, its journal entries, faults, counters."""
        vendor = self.vendors[api]
        self.stores[api] = vendor.new_store()
        self.settings[api] = copy.deepcopy(dict(vendor.default_settings))
        self.rate_limit_overrides[api] = {}
        self.journal.clear(api)
        self.faults.clear(api)
        self.limiter.reset(api)


_CURRENT: ContextVar[World | None] = ContextVar("mockserver_world", default=None)
CURRENT_WORLD = _CURRENT
"""The context variable :func:`using` sets (read directly on the request path, where the
function call of :func:`current_world` shows)."""


def current_world() -> World | None:
    """The world set by the innermost :func:`using` in this context, if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(world: World) -> Iterator[World]:
    """Make ``world`` the one vendors read and write in this context (a request, an admin call)."""
    token = _CURRENT.set(world)
    try:
        yield world
    finally:
        _CURRENT.reset(token)


_SESSION: ContextVar[str] = ContextVar("mockserver_session", default=DEFAULT_SESSION)


def current_session() -> str:
    """The session the current request belongs to (:data:`DEFAULT_SESSION` outside one)."""
    return _SESSION.get()


@contextlib.contextmanager
def in_session(session: str) -> Iterator[str]:
    """Mark this context as serving ``session`` (the control plane acts on that session)."""
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)
