"""The interface every state engine implements, and choosing one from a ``--state`` value."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .world import World

if TYPE_CHECKING:
    from ..runtime import Runtime

T = TypeVar("T")

DEFAULT_SESSION_TTL = 3600.0
DEFAULT_MAX_SESSIONS = 1000


class EngineUnavailable(Exception):
    """The engine's store cannot be reached (Redis down); requests answer 503 until it is back."""


class UnknownSession(LookupError):
    """No session has that id (never created, deleted, or expired)."""


class TooManySessions(Exception):
    """Creating a session would pass the cap."""


@dataclass
class SessionInfo:
    """One session as the control plane lists it."""

    id: str
    name: str | None = None
    ttl_seconds: float = DEFAULT_SESSION_TTL
    created: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    requests: int = 0
    token_hash: str | None = None  # sha256 of the session's own admin token; the token is never kept

    def public(self) -> dict[str, Any]:
        """What the control plane shows (never the token, nor its hash)."""
        return {k: v for k, v in asdict(self).items() if k != "token_hash"}


class Engine(ABC):
    """Keeps every session's :class:`World` and makes each change to one atomic.

    The memory engine hands out live worlds; a remote engine (Redis) hands out a world
    materialised for one transaction and commits what it changed, re-running the work when
    another process changed the same state first.
    """

    name: str = ""
    transactional: bool = False
    """Whether requests run against a per-transaction copy that must be committed (Redis)."""
    deployment_secret: bytes = b""
    """A secret shared by every process on this state (keys derived from it survive restarts)."""

    def __init__(self, session_ttl: float = DEFAULT_SESSION_TTL, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
        self.session_ttl = session_ttl
        self.max_sessions = max_sessions
        self.runtime: Runtime | None = None

    def attach(self, runtime: Runtime) -> None:
        """Bind to the runtime whose vendors the worlds hold (called once by the runtime)."""
        self.runtime = runtime

    @abstractmethod
    def home_world(self) -> World:
        """The default session's world as this process sees it outside any transaction."""

    def world(self, session: str) -> World:
        """``session``'s live world, counted as used (engines that are not
        :attr:`transactional`); raises :class:`UnknownSession`."""
        raise NotImplementedError(f"the {self.name} engine serves requests in transactions")

    @abstractmethod
    def transact(self, session: str, work: Callable[[World], T]) -> T:
        """Run ``work`` on ``session``'s world as one atomic change (control-plane calls)."""

    def close(self) -> None:  # noqa: B027 - most engines hold nothing to release
        """Release connections (on shutdown)."""

    async def aclose(self) -> None:  # noqa: B027
        """Release the running event loop's connections (on the server's shutdown)."""

    # -- sessions ------------------------------------------------------------------------------
    @abstractmethod
    def create_session(self, name: str | None, ttl_seconds: float | None, token_hash: str | None) -> SessionInfo:
        """A new empty session; raises :class:`TooManySessions` at the cap."""

    @abstractmethod
    def sessions(self) -> list[SessionInfo]:
        """The live sessions, oldest first (expired ones are dropped on the way)."""

    @abstractmethod
    def session(self, session_id: str) -> SessionInfo:
        """One live session; raises :class:`UnknownSession`."""

    @abstractmethod
    def delete_session(self, session_id: str) -> None:
        """Free everything a session holds; raises :class:`UnknownSession`."""

    async def token_hash_async(self, session_id: str) -> str | None:
        """The stored hash of a session's own token; None for an unknown session (or none)."""
        try:
            return self.session(session_id).token_hash
        except UnknownSession:
            return None

    # -- whole-state export --------------------------------------------------------------------
    @abstractmethod
    def export_session(self, session: str) -> dict[str, Any]:
        """Everything ``session`` holds as JSON-ready data, secrets included (see ``codec``)."""

    @abstractmethod
    def import_session(self, session: str, data: dict[str, Any]) -> None:
        """Replace ``session``'s state with an export, in one step."""


def open_engine(
    url: str | None,
    *,
    session_ttl: float = DEFAULT_SESSION_TTL,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
) -> Engine:
    """The engine a ``--state`` value names: ``memory`` (or nothing) or ``redis://HOST:PORT/DB``."""
    if url in (None, "", "memory"):
        from .memory import MemoryEngine

        return MemoryEngine(session_ttl=session_ttl, max_sessions=max_sessions)
    assert url is not None
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis_engine import RedisEngine

        return RedisEngine(url, session_ttl=session_ttl, max_sessions=max_sessions)
    raise ValueError(f"--state must be 'memory' or a redis:// URL, not {url!r}")
