"""CoalescingTransport: writes of one loop turn reach the socket transport as one write, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mockserver.http_protocol import CoalescingTransport


class RecordingTransport:
    """A transport that records what reaches it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False
        self.buffered = 0

    def write(self, data: bytes) -> None:
        assert not self.closing, "write after close"
        self.writes.append(data)
        self.events.append("write")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def abort(self) -> None:
        self.events.append("abort")
        self.closing = True

    def write_eof(self) -> None:
        self.events.append("write_eof")

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1234)}.get(name, default)


async def _turn() -> None:
    # call_soon callbacks scheduled before this sleep run before it returns
    await asyncio.sleep(0)


Steps = Callable[[RecordingTransport, CoalescingTransport], Awaitable[object]]


def _run(steps: Steps, inner: RecordingTransport | None = None) -> RecordingTransport:
    """Run ``steps`` on a new event loop against a CoalescingTransport over ``inner``."""
    recording = inner or RecordingTransport()

    async def main() -> None:
        await steps(recording, CoalescingTransport(recording, asyncio.get_running_loop()))  # type: ignore[arg-type]

    asyncio.run(main())
    return recording


def test_writes_in_one_turn_go_out_once_in_order() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"{}")
        assert inner.writes == []  # nothing sent before the turn ends
        await _turn()

    assert _run(steps).writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


def test_writes_in_different_turns_stay_separate() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"a")
        await _turn()
        transport.writelines([b"b", b"c"])
        await _turn()

    assert _run(steps).writes == [b"a", b"bc"]


def test_empty_writes_schedule_nothing() -> None:
    sizes: list[int] = []

    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"")
        await _turn()
        sizes.append(transport.get_write_buffer_size())

    inner = _run(steps)
    assert inner.writes == [] and sizes == [0]


def test_close_sends_what_is_queued_first() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        transport.close()
        await _turn()  # the scheduled flush finds nothing left and writes nothing after close

    inner = _run(steps)
    assert inner.events == ["write", "close"]
    assert inner.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"]


def test_write_eof_sends_what_is_queued_first() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"tail")
        transport.write_eof()
        await _turn()

    assert _run(steps).events == ["write", "write_eof"]


def test_abort_drops_what_is_queued() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"never sent")
        transport.abort()
        await _turn()

    inner = _run(steps)
    assert inner.events == ["abort"] and inner.writes == []


def test_nothing_is_written_to_a_transport_closed_meanwhile() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"late")
        inner.closing = True  # the peer went away before the turn ended
        await _turn()

    assert _run(steps).writes == []


def test_buffer_size_counts_queued_bytes_and_other_attributes_pass_through() -> None:
    seen: list[Any] = []

    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        transport.write(b"12345")
        seen.append(transport.get_write_buffer_size())
        await _turn()
        seen.append(transport.get_extra_info("peername"))

    inner = RecordingTransport()
    inner.buffered = 10
    _run(steps, inner)
    assert seen == [15, ("127.0.0.1", 1234)]


def test_unknown_attributes_raise_attribute_error() -> None:
    async def steps(inner: RecordingTransport, transport: CoalescingTransport) -> None:
        with pytest.raises(AttributeError):
            transport.no_such_method  # noqa: B018

    _run(steps)
