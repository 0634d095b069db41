"""Shedding idle connections when accept() runs out of descriptors, and how often it is reported."""

from __future__ import annotations

import asyncio
import errno
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockserver.shedding import (
    ACCEPT_FAILURE,
    REPORT_INTERVAL,
    DescriptorExhaustion,
    SheddingEventLoop,
    _AcceptUntilExhausted,
)


@dataclass
class FakeTransport:
    aborted: bool = False

    def abort(self) -> None:
        self.aborted = True


@dataclass
class FakeCycle:
    response_complete: bool


@dataclass
class FakeConnection:
    last_active: float
    cycle: FakeCycle | None = None
    transport: FakeTransport = field(default_factory=FakeTransport)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def failure() -> dict[str, Any]:
    return {"message": ACCEPT_FAILURE, "exception": OSError(errno.EMFILE, "Too many open files")}


def test_the_longest_idle_quarter_is_closed_and_busy_connections_are_kept() -> None:
    busy = [FakeConnection(last_active=float(i), cycle=FakeCycle(response_complete=False)) for i in range(4)]
    idle = [FakeConnection(last_active=10.0 + i) for i in range(8)]
    handler = DescriptorExhaustion(lambda: busy + idle, logging.getLogger("test.shedding"), Clock())
    loop = asyncio.new_event_loop()
    handler(loop, failure())
    loop.close()
    assert [c.transport.aborted for c in idle] == [True, True] + [False] * 6
    assert not any(c.transport.aborted for c in busy)


def test_one_report_per_interval_however_many_failures(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    connections = [FakeConnection(last_active=float(i)) for i in range(100)]
    handler = DescriptorExhaustion(lambda: connections, logging.getLogger("test.shedding"), clock)
    loop = asyncio.new_event_loop()
    with caplog.at_level(logging.WARNING, logger="test.shedding"):
        for _ in range(2048):  # one turn's worth of failures: one shed, one line
            handler(loop, failure())
        assert len(caplog.records) == 1
        assert "EMFILE" in caplog.records[0].getMessage()
        clock.now += 1.0
        handler(loop, failure())  # a second incident within the interval: shed, not reported
        assert len(caplog.records) == 1
        clock.now += REPORT_INTERVAL
        handler(loop, failure())
        assert len(caplog.records) == 2
        assert "2 incident(s)" in caplog.records[1].getMessage()
    assert caplog.records[0].exc_info is None
    loop.close()


def test_other_loop_errors_go_to_the_default_handler() -> None:
    seen: list[dict[str, Any]] = []
    loop = asyncio.new_event_loop()
    loop.default_exception_handler = seen.append  # type: ignore[method-assign,assignment]
    handler = DescriptorExhaustion(list, logging.getLogger("test.shedding"), Clock())
    handler(loop, {"message": "something else"})
    assert seen == [{"message": "something else"}]
    loop.close()


def test_accepting_stops_for_the_turn_after_the_first_resource_failure() -> None:
    class Listening:
        calls = 0

        def accept(self) -> Any:
            self.calls += 1
            raise OSError(errno.EMFILE, "Too many open files")

    raw = Listening()
    wrapped = _AcceptUntilExhausted(raw)  # type: ignore[arg-type]
    with pytest.raises(OSError) as first:
        wrapped.accept()
    assert first.value.errno == errno.EMFILE
    for _ in range(3):
        with pytest.raises(BlockingIOError):
            wrapped.accept()
    assert raw.calls == 1


def test_the_loop_serves_connections_as_asyncio_does() -> None:
    async def main() -> bytes:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readline())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\n")
        answer = await reader.readline()
        writer.close()
        server.close()
        await server.wait_closed()
        return answer

    loop = SheddingEventLoop()
    try:
        assert loop.run_until_complete(main()) == b"hello\n"
    finally:
        loop.close()
