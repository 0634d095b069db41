"""Surviving a full file-descriptor table: shed the longest-idle connections, log one line.

When ``accept()`` fails with EMFILE (or ENFILE, ENOBUFS, ENOMEM), asyncio hands the error to the
loop's exception handler, stops accepting for a second and tries again. Left alone, the
connections that filled the table (slow or idle clients) keep every descriptor, no new client is
ever served, and asyncio (3.11) goes on calling ``accept()`` after the failure - up to the listen
backlog (2048) times per turn, each failure logging a traceback and scheduling another retry.

:class:`SheddingEventLoop` stops a turn's accepting at the first such failure, and
:class:`DescriptorExhaustion`, the loop's exception handler, closes a share of the connections
that are not in the middle of a request, longest-idle first, so the next ``accept()`` succeeds,
and reports the incidents in one line at most every :data:`REPORT_INTERVAL` seconds.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Callable, Collection
from typing import Any

ACCEPT_FAILURE = "socket.accept() out of system resource"
RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
SHED_FRACTION = 0.25
"""The share of idle connections closed per incident."""
SHED_SPACING = 0.5
"""Seconds between two sheds: one failed turn calls the handler once per queued connection."""
REPORT_INTERVAL = 10.0
"""Seconds between two log lines about running out of descriptors."""


def is_idle(connection: Any) -> bool:
    """True when the connection has no request in progress (between requests, or still sending headers)."""
    cycle = getattr(connection, "cycle", None)
    return cycle is None or bool(cycle.response_complete)


class DescriptorExhaustion:
    """An asyncio exception handler that sheds idle connections when ``accept()`` runs out of resources.

    Args:
        connections: returns the open connections (protocol objects with a ``transport`` and a
            ``last_active`` monotonic time).
        logger: where the one-line reports go.
        clock: monotonic seconds (a parameter so tests can drive it).
    """

    def __init__(
        self,
        connections: Callable[[], Collection[Any]],
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connections = connections
        self._logger = logger
        self._clock = clock
        self._last_shed = -SHED_SPACING
        self._last_report = -REPORT_INTERVAL
        self._unreported = 0
        self._unreported_shed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_FAILURE:
            loop.default_exception_handler(context)
            return
        now = self._clock()
        if now - self._last_shed < SHED_SPACING:
            return
        self._last_shed = now
        shed = self.shed()
        self._unreported += 1
        self._unreported_shed += shed
        if now - self._last_report >= REPORT_INTERVAL:
            self._report(context.get("exception"), now)

    def shed(self) -> int:
        """Close the longest-idle share of the idle connections; answers how many were closed."""
        idle = [c for c in self._connections() if is_idle(c)]
        if not idle:
            return 0
        idle.sort(key=lambda c: getattr(c, "last_active", 0.0))
        count = max(1, int(len(idle) * SHED_FRACTION))
        for connection in idle[:count]:
            connection.transport.abort()
        return count

    def _report(self, exc: BaseException | None, now: float) -> None:
        code = errno.errorcode.get(exc.errno, str(exc.errno)) if isinstance(exc, OSError) and exc.errno else "?"
        incidents = self._unreported
        self._logger.warning(
            "out of file descriptors (%s) accepting connections: closed %d idle connection(s), longest-idle "
            "first, in %d incident(s) since the last report; %d connection(s) open",
            code,
            self._unreported_shed,
            incidents,
            len(self._connections()),
        )
        self._last_report = now
        self._unreported = 0
        self._unreported_shed = 0


class _AcceptUntilExhausted:
    """A listening socket whose ``accept()``, after one resource failure, reports nothing to accept."""

    __slots__ = ("_failed", "raw")

    def __init__(self, raw: socket.socket) -> None:
        self.raw = raw
        self._failed = False

    def accept(self) -> tuple[socket.socket, Any]:
        if self._failed:
            raise BlockingIOError(errno.EAGAIN, "accepting stopped for this turn")
        try:
            return self.raw.accept()
        except OSError as exc:
            if exc.errno in RESOURCE_ERRORS:
                self._failed = True
            raise

    def fileno(self) -> int:
        return self.raw.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class SheddingEventLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop with one failed ``accept()`` per turn instead of one per queued client.

    The overridden methods are asyncio internals (stable from 3.11 to 3.13); arguments pass
    through untouched.
    """

    def _accept_connection(self, protocol_factory: Any, sock: Any, *args: Any, **kwargs: Any) -> None:
        raw = sock.raw if isinstance(sock, _AcceptUntilExhausted) else sock
        super()._accept_connection(protocol_factory, _AcceptUntilExhausted(raw), *args, **kwargs)  # type: ignore[misc]

    def _start_serving(self, protocol_factory: Any, sock: Any, *args: Any, **kwargs: Any) -> None:
        # A retry scheduled after a failure may come due after the server closed the socket.
        if sock.fileno() == -1:
            return
        super()._start_serving(protocol_factory, sock, *args, **kwargs)  # type: ignore[misc]
