"""The dashboard: a landing page at ``/`` and a page at ``/__admin/dashboard`` to watch and drive the fakes.

Plain server-rendered HTML with a little JavaScript and CSS, shipped in the package
(``templates/``, ``static/``): no build step, nothing fetched from elsewhere, so it works
offline. The page reads and changes everything through the control plane's own endpoints
(``/__admin/...``), plus one of its own: ``GET /__admin/requests/stream``, the journal as
server-sent events (:mod:`.stream`).

:class:`DashboardRoutes` is the app's outermost layer and answers only its own paths (all
``GET``/``HEAD``); everything else passes through unchanged. The dashboard's paths are under ``/__admin``, so the control
plane's protection (``admin_guard.py``) covers them like any other control-plane call.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..admin import InProcessAdmin
from ..runtime import Runtime
from ..specs import ADMIN_PREFIX
from .pages import dashboard_page, landing_page, redirect, static_file
from .stream import JournalStream

DASHBOARD_PATH = f"{ADMIN_PREFIX}/dashboard"
STREAM_PATH = f"{ADMIN_PREFIX}/requests/stream"
_STATIC_PREFIX = f"{DASHBOARD_PATH}/static/"

__all__ = ["DASHBOARD_PATH", "STREAM_PATH", "DashboardRoutes"]


class DashboardRoutes:
    """Wraps the app: answers ``/``, ``/__admin`` (a redirect), the dashboard, its files and the
    journal stream; passes every other request on unchanged."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.stream = JournalStream(InProcessAdmin(runtime))

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: a request to a fake gets the app's own coroutine back, so the
        # dashboard costs those requests two comparisons and no extra await.
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return self.app(scope, receive, send)
        path: str = scope["path"]
        if path != "/" and not path.startswith(ADMIN_PREFIX):
            return self.app(scope, receive, send)
        return self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path == "/":
            await landing_page(self.runtime)(scope, receive, send)
        elif path in (ADMIN_PREFIX, f"{ADMIN_PREFIX}/", f"{DASHBOARD_PATH}/"):
            await redirect(scope.get("root_path", "") + DASHBOARD_PATH)(scope, receive, send)
        elif path == DASHBOARD_PATH:
            await dashboard_page(self.runtime)(scope, receive, send)
        elif path.startswith(_STATIC_PREFIX):
            await static_file(path[len(_STATIC_PREFIX) :])(scope, receive, send)
        elif path == STREAM_PATH:
            await self.stream(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def close_streams(self) -> None:
        """End every open journal stream at its next tick (a server that is stopping calls this,
        so an open dashboard does not hold the shutdown for its grace period)."""
        self.stream.close()
