"""Running the app on a real socket: in a background thread (fixtures) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Generator
from types import FrameType, TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .admin_guard import AdminGuard, GuardPolicy, is_loopback, new_admin_token, policy_for
from .app import FakesApp, build_app, describe_urls
from .console import AccessLog, quiet_library_noise
from .http_protocol import CoalescingHttpToolsProtocol
from .issued import install_log_masking
from .shedding import DescriptorExhaustion, is_idle

DEFAULT_SHUTDOWN_TIMEOUT = 5.0
"""Seconds a stop waits for requests in progress before dropping them."""

logger = logging.getLogger("uvicorn.error")


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
        admin_token: the credential the control plane requires (see admin_guard.py); bound
            beyond loopback without one, a token is generated (``admin_token`` attribute).
        allow_hosts: more ``Host`` names the control plane accepts on loopback.
        access_log: log a line per request on ``mockserver.access`` (see console.py); off by
            default, as test output is the test's.
    """

    def __init__(
        self,
        app: FakesApp | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        admin_token: str | None = None,
        allow_hosts: tuple[str, ...] = (),
        access_log: bool = False,
    ) -> None:
        self.app = app or build_app(validate_responses=True)
        self._socket = bind_socket(host, port)
        bound_host, bound_port = self._socket.getsockname()[:2]
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown_host}:{bound_port}"
        self.admin_token = admin_token or (None if is_loopback(bound_host) else new_admin_token())
        policy = policy_for(host, bound_port, allow_hosts=allow_hosts, token=self.admin_token, address=bound_host)
        guarded: ASGIApp = AdminGuard(self.app, policy)
        self._server = FakesServer(uvicorn_config(AccessLog(guarded) if access_log else guarded))
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


class FakesServer(uvicorn.Server):
    """uvicorn's server, stopping in bounded time and surviving a full descriptor table.

    * A stop waits at most ``timeout_graceful_shutdown`` seconds for requests in progress (a
      client still sending its body would otherwise hold the process forever), then answers
      503 where no response was started, cancels them and closes their connections.
    * A second SIGINT or SIGTERM stops at once (uvicorn itself forces only on a second SIGINT).
    * Every log handler masks the secrets the fakes issued (see issued.py), and Connexion's
      complaints about ordinary bad input are dropped (see console.py).
    * When ``accept()`` runs out of descriptors, the longest-idle connections are closed and
      the incident is logged in one line, rate-limited (see shedding.py).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            # A stop asked for while starting (see defer_stop_signals) is handled from here on.
            if threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask"):
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            yield

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        super().handle_exit(sig, frame)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        install_log_masking()  # uvicorn configured its handlers when the config was built
        quiet_library_noise()
        connections = self.server_state.connections
        asyncio.get_running_loop().set_exception_handler(DescriptorExhaustion(lambda: connections, logger))
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own shutdown, except for what happens to requests the grace period did not
        # finish: uvicorn cancels them, logs a traceback each and answers a plain-text 500.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # closes idle connections, ends the others after their response
        # An open dashboard's journal stream never ends by itself: end it now, not at the deadline.
        close_streams = getattr(_served_app(self.config.app), "close_dashboard_streams", None)
        if close_streams is not None:
            close_streams()
        await asyncio.sleep(0.1)
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        while self.server_state.tasks and not self.force_exit and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await self._drop_unfinished()
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drop_unfinished(self) -> None:
        """Answer 503 where no response was started, cancel what still runs, close every connection."""
        unfinished: list[Any] = [c for c in self.server_state.connections if not is_idle(c)]
        for connection in unfinished:
            cycle = connection.cycle
            if not cycle.response_started and not cycle.disconnected:
                await cycle.send({"type": "http.response.start", "status": 503, "headers": _STOPPING_HEADERS})
                await cycle.send({"type": "http.response.body", "body": _STOPPING_BODY})
        tasks = list(self.server_state.tasks)
        if tasks:
            logger.warning("stopped %d request(s) still in progress after the shutdown timeout", len(tasks))
            _quiet_cancellations()
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=1.0)
        for connection in list(self.server_state.connections):
            connection.transport.close()


_STOPPING_BODY = json.dumps(
    {"error": {"code": "shutting_down", "message": "the server stopped before the request was complete"}}
).encode()
_STOPPING_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_STOPPING_BODY)).encode()),
    (b"connection", b"close"),
]


def _served_app(app: Any) -> Any:
    """The FakesApp below the layers wrapped around it (the admin guard)."""
    while not isinstance(app, FakesApp) and hasattr(app, "app"):
        app = app.app
    return app


class _CancelledRequests(logging.Filter):
    """Drops uvicorn's traceback for a request cancelled by the shutdown (already reported in one line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


def _quiet_cancellations() -> None:
    if not any(isinstance(f, _CancelledRequests) for f in logger.filters):
        logger.addFilter(_CancelledRequests())


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def defer_stop_signals() -> None:
    """Hold Ctrl-C and SIGTERM until the server's own handlers are in place.

    A signal that arrives while the server is still starting would otherwise run Python's
    handler at an arbitrary point - inside a garbage-collection callback its exception is
    printed and dropped, and the stop is lost. Held, it is handled as a graceful stop.
    """
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def uvicorn_config(
    app: ASGIApp, shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT, log_level: str = "warning"
) -> uvicorn.Config:
    """How both the CLI and the fixtures' server thread run the app with uvicorn.

    uvicorn's own access log stays off: :class:`~mockserver.console.AccessLog` writes one that
    names the operation and masks secrets.
    """
    # The asyncio loop (accepting less eagerly once out of descriptors, see shedding.py), not
    # uvloop (uvicorn's "auto" choice): once the server is saturated, uvloop
    # leaves some connections unread for hundreds of milliseconds while others are served (at 64
    # connections a 99th percentile of 90-200 ms and a worst case of 0.5-0.6 s against 30-40 ms
    # with asyncio), for ~7 % more requests per second. The HTTP protocol is uvicorn's httptools
    # one, writing each response to the socket once instead of twice (see http_protocol.py).
    return uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        loop="mockserver.shedding:SheddingEventLoop",
        http=CoalescingHttpToolsProtocol,
        ws="none",
        # Said, not guessed: uvicorn takes an app whose __call__ is no coroutine function (the
        # admin guard's) for an ASGI 2 one.
        interface="asgi3",
        access_log=False,
        # Read by FakesServer.shutdown as seconds; uvicorn types it int, any number works.
        timeout_graceful_shutdown=shutdown_timeout,  # type: ignore[arg-type]
    )


def serve_forever(
    app: ASGIApp,
    sock: socket.socket,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
    policy: GuardPolicy | None = None,
    *,
    access_log: bool = False,
    log_level: str = "warning",
) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM (a second one stops without waiting).

    ``policy`` says who may call the control plane (see admin_guard.py); None checks nothing.
    ``access_log`` logs a line per request, the control plane's and refused ones included;
    ``log_level`` is uvicorn's.
    """
    defer_stop_signals()
    served = app if policy is None else AdminGuard(app, policy)
    config = uvicorn_config(AccessLog(served) if access_log else served, shutdown_timeout, log_level)
    # The specs, validators and app built so far live as long as the process; moved out of the
    # collector's reach, a full collection under load walks a few thousand objects instead of
    # ~70,000, and its pauses went from ~36 ms to ~4 ms (the 99th percentile's main cause).
    gc.collect()
    gc.freeze()
    FakesServer(config).run(sockets=[sock])
