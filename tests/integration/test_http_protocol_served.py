"""The served app over real sockets: one socket write per response, keep-alive, pipelining, close."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from mockserver.http_protocol import CoalescingTransport
from mockserver.server import ServerThread


class _RecordedSocket:
    """The socket transport under the coalescing one, noting every write that reaches it."""

    def __init__(self, transport: Any, writes: list[bytes], lock: threading.Lock) -> None:
        self._transport = transport
        self._writes = writes
        self._lock = lock

    def write(self, data: bytes) -> None:
        with self._lock:
            self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@pytest.fixture
def socket_writes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every write that reaches the socket transport (the server's side) while the test runs."""
    writes: list[bytes] = []
    lock = threading.Lock()
    original = CoalescingTransport.__init__

    def init(self: CoalescingTransport, transport: Any, loop: Any) -> None:
        original(self, cast(asyncio.Transport, _RecordedSocket(transport, writes, lock)), loop)

    monkeypatch.setattr(CoalescingTransport, "__init__", init)
    return writes


@pytest.fixture
def server(socket_writes: list[bytes]) -> Iterator[ServerThread]:
    with ServerThread() as running:
        yield running


def _connect(server: ServerThread) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[bytes, bytes]:
    """One response (head, body) read from ``sock``; what follows it stays in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a full response head"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:] if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the whole body"
        rest += chunk
    buffer[:] = rest[length:]
    return head, rest[:length]


def _read_until_closed(sock: socket.socket) -> bytes:
    received = bytearray()
    while chunk := sock.recv(65536):
        received += chunk
    return bytes(received)


_HEALTH = b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_each_response_is_one_socket_write(server: ServerThread, socket_writes: list[bytes]) -> None:
    with _connect(server) as sock:
        buffer = bytearray()
        responses = []
        for _ in range(3):
            sock.sendall(_HEALTH)
            responses.append(_read_response(sock, buffer))
    for head, body in responses:
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert json.loads(body)["status"] == "ok"
    # Each write holds the status line, the headers and the body together.
    answers = [w for w in socket_writes if w.startswith(b"HTTP/1.1 ")]
    assert len(answers) == 3
    assert answers == [head + b"\r\n\r\n" + body for head, body in responses]
    assert len(socket_writes) == 3


def test_a_vendor_error_goes_out_in_one_write_too(server: ServerThread, socket_writes: list[bytes]) -> None:
    request = (
        b"PUT /vcita/business/scheduling/v1/external_calendar_items/disconnect HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    )
    with _connect(server) as sock:
        sock.sendall(request)
        head, body = _read_response(sock, bytearray())
    assert head.startswith(b"HTTP/1.1 401 ")
    assert json.loads(body) == {"success": False, "errors": [{"code": "unauthorized", "message": "401 Unauthorized"}]}
    assert socket_writes == [head + b"\r\n\r\n" + body]


def test_pipelined_requests_are_answered_in_order(server: ServerThread) -> None:
    missing = b"GET /__admin/no-such-call HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(_HEALTH + missing + _HEALTH)
        buffer = bytearray()
        statuses = [_read_response(sock, buffer)[0].split(b" ")[1] for _ in range(3)]
    assert statuses == [b"200", b"404", b"200"]


def test_connection_close_sends_the_whole_response_then_closes(server: ServerThread) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        received = _read_until_closed(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"connection: close" in head.lower()
    assert b'"ok"' in body


def test_a_malformed_request_gets_its_400_before_the_close(server: ServerThread) -> None:
    with _connect(server) as sock:
        sock.sendall(b"NOT A REQUEST\r\n\r\n")
        received = _read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 400 Bad Request")
