"""The listening socket the fakes are served from."""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable

import pytest
import uvicorn

from mockserver.app import build_app
from mockserver.http_protocol import CoalescingHttpToolsProtocol
from mockserver.server import PortInUse, ServerThread, bind_socket, serve_forever


def test_listening_socket_is_tcp_so_accepted_connections_get_nodelay() -> None:
    # asyncio sets TCP_NODELAY only on accepted sockets whose proto is IPPROTO_TCP; without it
    # each response waited about 40 ms for a delayed ACK.
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        client = socket.create_connection(sock.getsockname()[:2])
        accepted, _ = sock.accept()
        with client, accepted:
            assert accepted.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_port_in_use_is_reported() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        with pytest.raises(PortInUse, match=r"cannot listen on 127\.0\.0\.1"):
            bind_socket("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()


def _serve_forever_without_serving(
    monkeypatch: pytest.MonkeyPatch, instead_of_running: Callable[[uvicorn.Server], object]
) -> None:
    """Call serve_forever with uvicorn's Server.run replaced by ``instead_of_running``."""
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: instead_of_running(self))
    sock = bind_socket("127.0.0.1", 0)
    try:
        serve_forever(build_app(), sock)
    finally:
        gc.unfreeze()
        sock.close()


def test_serve_forever_freezes_what_was_built_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_when_served: list[int] = []
    _serve_forever_without_serving(monkeypatch, lambda server: frozen_when_served.append(gc.get_freeze_count()))
    assert len(frozen_when_served) == 1 and frozen_when_served[0] > 10_000


def test_serve_forever_and_the_server_thread_share_one_uvicorn_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[uvicorn.Config] = []
    _serve_forever_without_serving(monkeypatch, lambda server: served.append(server.config))
    thread = ServerThread()  # not started: Server.run is replaced above
    thread._socket.close()
    thread_config = thread._server.config
    for config in (served[0], thread_config):
        assert config.http is CoalescingHttpToolsProtocol
        assert config.loop == "mockserver.shedding:SheddingEventLoop"
        assert config.access_log is False
