"""Session URLs: ``<server>/s/<id>/...`` is the whole server for session ``<id>``."""

from __future__ import annotations

import re

SESSION_PREFIX = "/s/"
SESSION_SCOPE_KEY = "mockserver.session"
"""Where the middleware leaves the request's session id in the ASGI scope (absent: the default)."""

_SESSION_PATH = re.compile(r"/s/([A-Za-z0-9_-]{1,64})(/.*)?\Z", re.DOTALL)


def split_session_path(path: str) -> tuple[str, str] | None:
    """``("<id>", "/rest")`` for a path below ``/s/<id>``, else None (an ordinary path)."""
    match = _SESSION_PATH.match(path)
    if match is None:
        return None
    return match.group(1), match.group(2) or "/"


def session_base(scope: dict[str, object]) -> str:
    """``/s/<id>`` for a request below a session's URL, else ``""``."""
    session = scope.get(SESSION_SCOPE_KEY)
    return f"{SESSION_PREFIX}{session}" if session else ""
