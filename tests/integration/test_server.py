"""Serving the app on a real socket: the listening socket and the background server thread.

The foreground ``serve_forever`` is exercised through ``mockserver serve`` in test_cli.py.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from mockserver.app import build_app
from mockserver.server import PortInUse, ServerThread, bind_socket


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


def test_the_server_thread_serves_its_app_and_keeps_serving(fake_server: ServerThread) -> None:
    assert fake_server.url("ravan") == f"{fake_server.base_url}/ravan"
    assert fake_server.url("admin") == f"{fake_server.base_url}/__admin"
    # Many requests on one kept-alive connection, then many connections of one request each.
    with httpx.Client(base_url=fake_server.base_url, timeout=10) as client:
        statuses = [client.get("/__admin/health").status_code for _ in range(300)]
        statuses += [client.get(f"/vcita/nowhere/{n}").status_code for n in range(100)]
    for _ in range(50):
        statuses.append(httpx.get(f"{fake_server.base_url}/__admin/health", timeout=10).status_code)
    assert statuses == [200] * 300 + [404] * 100 + [200] * 50
    assert len(fake_server.app.admin.requests("vcita")) == 100


def test_a_stopped_server_refuses_connections_and_its_port_can_be_bound_again() -> None:
    server = ServerThread(build_app(vendors=[])).start()
    host, port = server.base_url.removeprefix("http://").split(":")
    assert httpx.get(f"{server.base_url}/__admin/health", timeout=10).json() == {"status": "ok", "apis": []}
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/__admin/health", timeout=2)
    bind_socket(host, int(port)).close()


def test_a_server_thread_serves_only_the_app_it_was_given() -> None:
    app = build_app(vendors=[])
    with ServerThread(app) as server:
        assert server.app is app
        assert httpx.get(server.url("admin") + "/health", timeout=10).json()["apis"] == []
        assert httpx.get(f"{server.base_url}/vcita/x", timeout=10).status_code == 404
