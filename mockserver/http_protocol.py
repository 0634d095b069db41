"""uvicorn's httptools protocol, sending each response's head and body in one socket write.

uvicorn writes the status line and headers as soon as the app starts its response, and the body
in a second write a moment later. With TCP_NODELAY (set on every accepted connection) each write
is its own ``send()`` system call and its own TCP segment, and the client is woken twice. The
transport below collects the writes made during one turn of the event loop and hands them to the
socket as one; the bytes and their order are exactly those uvicorn wrote.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """Wraps a socket transport; ``write`` calls made in one loop turn go out in one write.

    Everything that can depend on the order of bytes on the wire (``close``, ``write_eof``,
    ``abort``) sends what is pending first (``abort`` drops it, as the real transport would).
    Any other attribute is the wrapped transport's.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        """Queue ``data``; the first write of a turn schedules the flush at the end of the turn."""
        if not data:
            return
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)

    def writelines(self, chunks: Any) -> None:
        """Queue every chunk, in order."""
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Hand everything queued to the socket transport now."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        """Send what is queued, then close (the transport still flushes its own buffer)."""
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        """Send what is queued, then half-close."""
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        """Close at once, dropping queued and buffered data."""
        self._pending = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        """Bytes queued here plus the transport's own buffer."""
        queued = sum(len(chunk) for chunk in self._pending) if self._pending else 0
        return queued + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol over a :class:`CoalescingTransport`.

    ``last_active`` (monotonic seconds) is when the client last sent anything: when descriptors
    run out, the longest-idle connections are closed first (see shedding.py).
    """

    last_active: float = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.last_active = time.monotonic()
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        super().data_received(data)
