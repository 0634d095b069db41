"""Who may call the control plane (``/__admin``): an ASGI layer in front of the app.

Bound to loopback, the control plane takes no credential, as local development servers do, and
is kept from the two ways a web page the developer opens could reach it:

* DNS rebinding: a page on ``evil.example`` whose name is made to resolve to 127.0.0.1 sends
  ``Host: evil.example:8080``. Only the loopback names (``localhost``, ``127.0.0.1``, ``[::1]``),
  the name the server was bound with and ``--allow-host`` names are accepted, with or without
  the bound port.
* Cross-site requests: a browser marks them with ``Sec-Fetch-Site: cross-site`` and an
  ``Origin`` naming another site, and an HTML form can post only form content types
  (``application/x-www-form-urlencoded``, ``multipart/form-data``, ``text/plain``); all three are
  refused. Clients that send neither header (curl, httpx, the harness) are not affected.

Bound to any other address, every control-plane call also needs ``Authorization: Bearer
<admin token>`` (the same holds on loopback when a token was given explicitly).

A session's control plane (``/s/<id>/__admin``) is checked the same way, and where a token is
required it also takes that session's own token, returned when the session was created (a CI job
handed one session gets no key to the others).

Only paths under ``/__admin`` (and ``/s/<id>/__admin``) are checked: the fakes keep their vendors' own authentication, and
for them the guard costs one prefix test. Refusals answer in the control plane's envelope,
``{"error": {"code", "message"}}``: 403, or 401 for a missing or wrong credential.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from .sessions import SESSION_PREFIX, split_session_path
from .specs import ADMIN_PREFIX
from .state.engine import EngineUnavailable

TOKEN_ENV = "MOCKSERVER_ADMIN_TOKEN"
"""The environment variable ``serve``, :class:`~mockserver.admin.HttpAdmin` and the fixtures read."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
_ADMIN_SEGMENT = ADMIN_PREFIX.lstrip("/")


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard checks.

    Attributes:
        allowed_hosts: accepted ``Host`` values (lowercase, with and without port); None
            accepts any host (a server bound beyond loopback, which relies on the token).
        token: the admin credential every control-plane call must carry, or None.
    """

    allowed_hosts: frozenset[str] | None
    token: str | None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_admin_token() -> str:
    """A fresh random admin credential."""
    return "msadm_" + secrets.token_urlsafe(24)


def policy_for(
    bound_host: str,
    port: int,
    *,
    allow_hosts: Iterable[str] = (),
    token: str | None = None,
    address: str | None = None,
) -> GuardPolicy:
    """The policy for a server bound to ``bound_host:port``.

    On loopback, the Host allow-list applies and ``token`` (when given) is required too. Beyond
    loopback a token is required: the caller passes one (see :func:`new_admin_token`).
    ``address`` is the address the socket got, when ``bound_host`` is a name: it decides
    whether the server is on loopback (``myhost`` may resolve to 127.0.1.1).
    """
    if not is_loopback(address or bound_host):
        if not token:
            raise ValueError(f"a server bound to {bound_host} needs an admin token")
        return GuardPolicy(None, token)
    shown = f"[{bound_host.strip('[]')}]" if ":" in bound_host.strip("[]") else bound_host
    names = {*LOOPBACK_NAMES, shown.lower()}
    hosts: set[str] = set()
    for name in names:
        hosts.update({name, f"{name}:{port}"})
    for extra in allow_hosts:
        extra = extra.strip().lower()
        if extra:
            hosts.add(extra)
            if not _has_port(extra):
                hosts.add(f"{extra}:{port}")
    return GuardPolicy(frozenset(hosts), token or None)


def _has_port(host: str) -> bool:
    return host.rsplit("]", 1)[-1].count(":") == 1 if host.startswith("[") else host.count(":") == 1


class SessionTokens(Protocol):
    """What the guard asks of the state engine: the stored hash of a session's own token."""

    async def token_hash_async(self, session_id: str) -> str | None: ...


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credential = value.partition(b" ")
            return credential.strip() if scheme.lower() == b"bearer" else None
    return None


class AdminGuard:
    """Wraps an ASGI app; requests under ``/__admin`` must pass :class:`GuardPolicy`'s checks."""

    def __init__(self, app: ASGIApp, policy: GuardPolicy, sessions: SessionTokens | None = None) -> None:
        self.app = app
        self.policy = policy
        self._token = policy.token.encode() if policy.token else None
        # Where a session's own token is checked: below /s/<id>/__admin it opens that session.
        self._sessions = sessions if sessions is not None else getattr(getattr(app, "runtime", None), "engine", None)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: a request to a fake gets the app's own coroutine back, so the
        # guard costs those requests a prefix test and no extra await.
        if scope["type"] == "http":
            path: str = scope["path"]
            # "//__admin" reaches the control plane as well, so leading slashes are skipped.
            if path.startswith(ADMIN_PREFIX) or (path.startswith("//") and path.lstrip("/").startswith(_ADMIN_SEGMENT)):
                return self._guarded(scope, receive, send)
            if path.startswith(SESSION_PREFIX):
                found = split_session_path(path)
                if found is not None and found[1].startswith(ADMIN_PREFIX):
                    return self._guarded(scope, receive, send, found[0])
        return self.app(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, session: str | None = None) -> None:
        refusal = self.refusal(scope)
        if refusal is not None and refusal[0] == 401 and session is not None and self._sessions is not None:
            # A session's own token (returned when it was created) opens that session only.
            credential = _bearer(scope)
            try:
                expected = await self._sessions.token_hash_async(session)
            except EngineUnavailable as exc:
                await _refuse(send, 503, "state_unavailable", str(exc))
                return
            if credential is not None and expected is not None:
                digest = hashlib.sha256(credential).hexdigest().encode()
                if hmac.compare_digest(digest, expected.encode()):
                    refusal = None
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        """``(status, code, message)`` when the request is refused, else None."""
        host = origin = fetch_site = content_type = authorization = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1").lower()
            elif name == b"origin":
                origin = value.decode("latin-1").lower()
            elif name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1").lower()
            elif name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value
        allowed = self.policy.allowed_hosts
        if allowed is not None and host is not None and host not in allowed:
            return (
                403,
                "host_not_allowed",
                (
                    f"Host {host!r} is not allowed on the control plane (DNS rebinding protection); "
                    "start the server with --allow-host NAME to accept it"
                ),
            )
        if fetch_site == "cross-site":
            return 403, "cross_site_request", "cross-site requests to the control plane are refused"
        if origin is not None and not self._origin_allowed(origin, host):
            return 403, "cross_site_request", f"Origin {origin!r} may not call the control plane"
        if content_type is not None and content_type.split(";", 1)[0].strip().lower() in FORM_TYPES:
            return (
                403,
                "form_content_refused",
                (
                    "the control plane takes JSON; form content types are refused (an HTML form on another site could send them)"
                ),
            )
        if self._token is not None:
            if authorization is None:
                return 401, "unauthorized", "the control plane needs the admin token: Authorization: Bearer <token>"
            scheme, _, credential = authorization.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), self._token):
                return 401, "unauthorized", "the admin token is wrong"
        return None

    def _origin_allowed(self, origin: str, host: str | None) -> bool:
        scheme, sep, rest = origin.partition("://")
        if not sep or scheme not in ("http", "https"):
            return False  # "null" (sandboxed pages, file: URLs) and anything odd
        origin_host = rest.split("/", 1)[0]
        if origin_host == host:
            return True  # same origin (the Swagger UI at /__admin/ui/)
        return self.policy.allowed_hosts is not None and origin_host in self.policy.allowed_hosts


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="mockserver control plane"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
