"""The memory engine: live worlds in this process (the default; one worker)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

from . import codec
from .engine import DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TTL, Engine, SessionInfo, T, TooManySessions, UnknownSession
from .world import DEFAULT_SESSION, World


class MemoryEngine(Engine):
    """Every session's world as Python objects; a change is atomic because it runs under the
    world's lock."""

    name = "memory"

    def __init__(self, session_ttl: float = DEFAULT_SESSION_TTL, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
        super().__init__(session_ttl, max_sessions)
        self.deployment_secret = secrets.token_bytes(32)
        self._worlds: dict[str, World] = {}
        self._infos: dict[str, SessionInfo] = {}
        self._lock = threading.Lock()
        self._home: World | None = None

    def home_world(self) -> World:
        if self._home is None:
            assert self.runtime is not None, "attach() first"
            self._home = self.runtime.new_world()
        return self._home

    def _now(self) -> float:
        # Idle time counts on the root's fake clock, so moving that clock expires sessions too.
        return self.home_world().clock.now()

    def world(self, session: str, *, touch: bool = True) -> World:
        """``session``'s live world; raises :class:`UnknownSession` (an expired one is freed)."""
        if session == DEFAULT_SESSION:
            return self.home_world()
        with self._lock:
            info = self._infos.get(session)
            if info is None:
                raise UnknownSession(session)
            now = self._now()
            if now - info.last_used > info.ttl_seconds:
                self._drop(session)
                raise UnknownSession(session)
            if touch:
                info.last_used = now
                info.requests += 1
            return self._worlds[session]

    def transact(self, session: str, work: Callable[[World], T]) -> T:
        world = self.world(session, touch=False)
        with world.lock:
            return work(world)

    # -- sessions ------------------------------------------------------------------------------
    def create_session(self, name: str | None, ttl_seconds: float | None, token_hash: str | None) -> SessionInfo:
        assert self.runtime is not None
        with self._lock:
            self._purge()
            if len(self._infos) >= self.max_sessions:
                raise TooManySessions(f"at most {self.max_sessions} sessions may exist at once")
            now = self._now()
            info = SessionInfo(
                id=secrets.token_hex(8),
                name=name,
                ttl_seconds=self.session_ttl if ttl_seconds is None else ttl_seconds,
                created=now,
                last_used=now,
                token_hash=token_hash,
            )
            self._infos[info.id] = info
            self._worlds[info.id] = self.runtime.new_world()
            return info

    def sessions(self) -> list[SessionInfo]:
        with self._lock:
            self._purge()
            return list(self._infos.values())

    def session(self, session_id: str) -> SessionInfo:
        self.world(session_id, touch=False)  # raises when unknown or expired
        return self._infos[session_id]

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            if session_id not in self._infos:
                raise UnknownSession(session_id)
            self._drop(session_id)

    def _purge(self) -> None:
        now = self._now()
        for session_id in [s for s, info in self._infos.items() if now - info.last_used > info.ttl_seconds]:
            self._drop(session_id)

    def _drop(self, session_id: str) -> None:
        self._infos.pop(session_id, None)
        self._worlds.pop(session_id, None)

    # -- export --------------------------------------------------------------------------------
    def export_session(self, session: str) -> dict[str, Any]:
        return self.transact(session, codec.export_world)

    def import_session(self, session: str, data: dict[str, Any]) -> None:
        self.transact(session, lambda world: codec.import_world(world, data))
