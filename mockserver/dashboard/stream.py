"""``GET /__admin/requests/stream``: the request journal as server-sent events.

Each journal entry is sent once, oldest first, as ``event: entry`` with ``id:`` its journal id
and ``data:`` its summary (everything but headers and bodies, which the page asks for with
``GET /__admin/requests/entries/{id}`` when a request is opened). On connecting, the newest
:data:`BACKLOG` entries after ``?after=<id>`` (or the ``Last-Event-ID`` header) are sent first.
``event: cleared`` says the journal was emptied (a reset, a clear, a restore). A comment line
every :data:`KEEPALIVE_S` seconds keeps proxies from closing an idle stream.

The stream reads the journal through the control plane (``InProcessAdmin.requests``), every
:data:`POLL_S` seconds: it asks only for entries newer than the last one sent, so it works the
same whatever keeps the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from ..admin import InProcessAdmin

POLL_S = 0.2
"""How often the journal is looked at (a request shows on the page within this, plus a moment)."""
KEEPALIVE_S = 15.0
BACKLOG = 200
"""The most entries sent on connecting."""
_SUMMARY_LEAVES_OUT = ("request", "response", "near_misses")


def summary(entry: dict[str, Any]) -> dict[str, Any]:
    """What the stream sends of an entry: everything but headers, bodies and near misses."""
    return {key: value for key, value in entry.items() if key not in _SUMMARY_LEAVES_OUT}


def _after(scope: Scope) -> int:
    """The id the client has seen up to: ``?after=`` or ``Last-Event-ID``; 0 for none."""
    for name, value in scope["headers"]:
        if name == b"last-event-id" and value.strip().isdigit():
            return int(value)
    for pair in scope.get("query_string", b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"after" and value.isdigit():
            return int(value)
    return 0


class JournalStream:
    """The ASGI endpoint; one instance serves every open stream of an app."""

    def __init__(self, admin: InProcessAdmin) -> None:
        self.admin = admin
        self._closing = False

    def close(self) -> None:
        """End every open stream at its next tick."""
        self._closing = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"x-accel-buffering", b"no"),  # proxies: pass each event on as it comes
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        try:
            await self._run(send, gone, _after(scope))
        finally:
            watcher.cancel()

    async def _requests(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` entries; read in a thread when the journal lives in another
        process (Redis), so the event loop never waits on it."""
        if self.admin.runtime.engine.transactional:
            return await asyncio.to_thread(self.admin.requests, limit=limit)
        return self.admin.requests(limit=limit)

    async def _run(self, send: Send, gone: asyncio.Event, last: int) -> None:
        await _chunk(send, b"retry: 1000\n\n")
        had_entries = last > 0
        next_keepalive = time.monotonic() + KEEPALIVE_S
        while not gone.is_set() and not self._closing:
            newest = await self._requests(1)
            events: list[bytes] = []
            if (not newest and had_entries) or (newest and newest[0]["id"] < last):
                events.append(b"event: cleared\ndata: {}\n\n")  # emptied, or put back to an older state
                last, had_entries = 0, False
            if newest and newest[0]["id"] > last:
                fresh = [e for e in await self._requests(min(newest[0]["id"] - last, BACKLOG)) if e["id"] > last]
                for entry in reversed(fresh):
                    data = json.dumps(summary(entry), separators=(",", ":"))
                    events.append(f"event: entry\nid: {entry['id']}\ndata: {data}\n\n".encode())
                last, had_entries = newest[0]["id"], True
            if not events and time.monotonic() >= next_keepalive:
                events.append(b": keepalive\n\n")
            if events:
                next_keepalive = time.monotonic() + KEEPALIVE_S
                await _chunk(send, b"".join(events))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), POLL_S)
        if not gone.is_set():
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _chunk(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return
