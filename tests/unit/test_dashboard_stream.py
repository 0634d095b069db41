"""The journal stream in process: events as entries arrive, and ending when the app closes it."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from mockserver.admin import InProcessAdmin
from mockserver.dashboard.stream import JournalStream, summary
from mockserver.runtime import Runtime
from mockserver.vendors.vcita import VcitaVendor

SCOPE: dict[str, Any] = {"type": "http", "method": "GET", "path": "/__admin/requests/stream", "headers": []}


def test_summary_leaves_out_headers_bodies_and_near_misses() -> None:
    entry = {"id": 1, "path": "/p", "request": {}, "response": {}, "near_misses": [], "verdict": {}}
    assert summary(entry) == {"id": 1, "path": "/p", "verdict": {}}


def test_a_closed_stream_ends_at_its_next_tick_and_sends_what_arrived_before() -> None:
    runtime = Runtime([VcitaVendor])
    stream = JournalStream(InProcessAdmin(runtime))
    sent: list[MutableMapping[str, Any]] = []
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def scenario() -> None:
        task = asyncio.create_task(stream(SCOPE, receive, send))
        await asyncio.sleep(0.05)
        runtime.journal.record({"api": "vcita", "method": "GET", "path": "/vcita/x", "status": 404})
        await asyncio.sleep(0.5)
        stream.close()
        await asyncio.wait_for(task, 2)

    asyncio.run(scenario())
    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    assert '"path":"/vcita/x"' in body and body.startswith("retry: 1000")
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
