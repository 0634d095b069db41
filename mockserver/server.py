"""Running the app on a real socket: in a background thread (fixtures) or in the foreground (CLI)."""

from __future__ import annotations

import gc
import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import FakesApp, build_app, describe_urls
from .http_protocol import CoalescingHttpToolsProtocol


class PortInUse(OSError):
    """The requested address is already taken."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0 = any free port); raises :class:`PortInUse`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so,
    # and without it every response waits ~40 ms for a delayed ACK (whenever a response leaves in more than one segment).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """Serves a :class:`FakesApp` from a daemon thread; use as a context manager.

    Args:
        app: the app to serve (a new one with response validation on otherwise).
        host: the address to bind; loopback by default.
        port: the port; 0 picks a free one.
    """

    def __init__(self, app: FakesApp | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app or build_app(validate_responses=True)
        self._socket = bind_socket(host, port)
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._server = uvicorn.Server(uvicorn_config(self.app))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def url(self, api: str) -> str:
        """The base URL of one fake (``vcita``...) or of the control plane (``admin``)."""
        return describe_urls(self.base_url, self.app)[api]

    def start(self, timeout: float = 10.0) -> ServerThread:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake server did not start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def uvicorn_config(app: FakesApp) -> uvicorn.Config:
    """How both the CLI and the fixtures' server thread run the app with uvicorn."""
    # The asyncio loop, not uvloop (uvicorn's "auto" choice): once the server is saturated, uvloop
    # leaves some connections unread for hundreds of milliseconds while others are served (at 64
    # connections a 99th percentile of 90-200 ms and a worst case of 0.5-0.6 s against 30-40 ms
    # with asyncio), for ~7 % more requests per second. The HTTP protocol is uvicorn's httptools
    # one, writing each response to the socket once instead of twice (see http_protocol.py).
    return uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        loop="asyncio",
        http=CoalescingHttpToolsProtocol,
        ws="none",
        access_log=False,
    )


def serve_forever(app: FakesApp, sock: socket.socket) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM (uvicorn handles both gracefully)."""
    config = uvicorn_config(app)
    # The specs, validators and app built so far live as long as the process; moved out of the
    # collector's reach, a full collection under load walks a few thousand objects instead of
    # ~70,000, and its pauses went from ~36 ms to ~4 ms (the 99th percentile's main cause).
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run(sockets=[sock])
