"""CORS for the fakes, so that a web app on another origin can call them from the browser.

Cal.com's own platform components call API v2 from the browser, and so do apps under test: their
page (``http://localhost:3000``) calls a fake on another port, and the browser first sends a
preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``), then the request.
Starlette's :class:`~starlette.middleware.cors.CORSMiddleware` answers the preflights and adds the
CORS headers to every response of the fakes, errors included, before Connexion's routing sees
anything (which would answer a preflight 405).

What it does not touch:

* The control plane (``/__admin``): it is never granted to another origin. A page on another site
  must not be able to drive it (reset, mint tokens, inject faults) nor read it; the admin guard
  (admin_guard.py) refuses cross-site requests to it before this layer runs, and this layer adds
  no CORS header there, so even an allowed origin gets no cross-origin access to it.
* Requests without an ``Origin`` (curl, server-side clients, the harness): answered exactly as
  without CORS, and for the cost of one header scan.

Origins: ``*`` allows any (``Access-Control-Allow-Origin: *``, without credentials - the fakes
take their credentials in headers, not cookies); a list allows exactly those, echoing the one that
asked. Chrome's Private Network Access preflights (a public site calling a loopback address) are
granted only to listed origins, never through ``*``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .sessions import SESSION_PREFIX, split_session_path
from .specs import ADMIN_PREFIX

ANY_ORIGIN = "*"
OFF = "none"
_ADMIN_SEGMENT = ADMIN_PREFIX.lstrip("/")


def parse_origins(text: str) -> tuple[str, ...]:
    """The origins a ``--cors`` value allows: ``*`` for any, ``none`` (or empty) for none, else a
    comma-separated list of ``scheme://host[:port]``; raises ValueError saying what is wrong."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items or items == [OFF]:
        return ()
    if ANY_ORIGIN in items:
        if len(items) > 1:
            raise ValueError("'*' allows every origin; give it alone")
        return (ANY_ORIGIN,)
    return tuple(dict.fromkeys(_origin(item) for item in items))


def _origin(text: str) -> str:
    """A browser's serialisation of an origin (what its ``Origin`` header will say)."""
    example = "expected scheme://host[:port], e.g. http://localhost:3000"
    if text == OFF:
        raise ValueError("'none' turns CORS off; give it alone")
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an origin: {text!r} ({example})")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"an origin has no path, query or user: {text!r} ({example})")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"not an origin: {text!r} (bad port)") from None
    host = parts.hostname or ""
    shown_host = f"[{host}]" if ":" in host else host
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    suffix = "" if port is None or port == default_port else f":{port}"
    return f"{parts.scheme.lower()}://{shown_host}{suffix}"


def default_origins(loopback: bool) -> tuple[str, ...]:
    """Without ``--cors``: any origin on a loopback bind (a developer's own machine), none beyond."""
    return (ANY_ORIGIN,) if loopback else ()


class FakesCors:
    """Wraps the fakes' app: CORS for requests with an ``Origin``, except to the control plane."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.origins = tuple(origins)
        explicit = ANY_ORIGIN not in self.origins
        self._cors = CORSMiddleware(
            app,
            allow_origins=self.origins,
            allow_methods=["*"],
            allow_headers=["*"],  # echoed back: Authorization, cal-api-version, x-cal-secret-key...
            allow_credentials=False,
            expose_headers=["*"],  # rate-limit headers, Retry-After, Location: the app may read them all
            allow_private_network=explicit,
        )

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: a request that is no cross-origin call goes on with no extra await.
        if scope["type"] == "http" and not _is_admin(scope["path"]):
            for name, _ in scope["headers"]:
                if name == b"origin":
                    return self._cors(scope, receive, send)
        return self.app(scope, receive, send)


def _is_admin(path: str) -> bool:
    """A control-plane path: the root's ``/__admin`` or a session's ``/s/<id>/__admin``."""
    if path.startswith(SESSION_PREFIX):
        found = split_session_path(path)
        if found is not None:
            path = found[1]
    return path.lstrip("/").startswith(_ADMIN_SEGMENT)


def with_cors(app: ASGIApp, origins: Sequence[str] | None) -> ASGIApp:
    """``app`` behind :class:`FakesCors` when any origin is allowed, else ``app`` itself."""
    return FakesCors(app, origins) if origins else app
