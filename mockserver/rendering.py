"""The one place where a failure becomes a response.

Everything that goes wrong while serving - a :class:`Problem` from validation, auth, routing,
rate limits or faults, a vendor's own :class:`VendorError`, a control-plane :class:`AdminError`,
Connexion's and Starlette's exceptions, a bug - is turned into an answer here: the vendor's own
envelope below a vendor prefix, the control plane's ``{"error": {"code", "message"}}`` under
``/__admin``, and a small generic JSON body anywhere else. No request ever gets ``problem+json``
or a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import (
    NonConformingResponse,
    OAuthProblem,
    OAuthResponseProblem,
    OAuthScopeProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from . import errors
from .errors import AdminError, Problem, VendorError
from .interface import Vendor
from .runtime import Runtime
from .specs import ADMIN_PREFIX, Routes
from .state.engine import EngineUnavailable

log = logging.getLogger(__name__)

VENDOR_SCOPE_KEY = "mockserver.vendor"
"""Key in the ASGI scope of the :class:`Vendor` a request is for, set once by the outer middleware."""

_KIND_FOR_STATUS = {
    400: errors.INVALID_PARAMETER,
    401: errors.UNAUTHORIZED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    405: errors.METHOD_NOT_ALLOWED,
    413: errors.PAYLOAD_TOO_LARGE,
    415: errors.UNSUPPORTED_MEDIA_TYPE,
    422: errors.INVALID_BODY,
    429: errors.RATE_LIMITED,
}


def to_problem(exc: Exception, path: str, allowed: list[str]) -> Problem:
    """Describe any exception raised while serving as a vendor-neutral Problem."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, NonConformingResponse):
        # A fake answer that breaks its own spec is a bug in the fake, never vendor behaviour.
        return Problem(500, errors.INTERNAL, f"FAKE_RESPONSE_INVALID: {_first_paragraph(exc.detail)}")
    if isinstance(exc, OAuthScopeProblem):
        return Problem(403, errors.FORBIDDEN, str(exc.detail or "Insufficient scope"))
    if isinstance(exc, (OAuthProblem, OAuthResponseProblem)):
        return Problem(401, errors.UNAUTHORIZED, _first_paragraph(exc.detail) or "Unauthorized")
    if isinstance(exc, UnsupportedMediaTypeProblem):
        return Problem(415, errors.UNSUPPORTED_MEDIA_TYPE, _first_paragraph(exc.detail) or "Unsupported media type")
    if isinstance(exc, ProblemException):
        status = exc.status or 400
        if status >= 500:
            return Problem(status, errors.INTERNAL, _first_paragraph(exc.detail) or "Internal error")
        return Problem(400, errors.INVALID_PARAMETER, _first_paragraph(exc.detail) or "Bad request")
    if isinstance(exc, HTTPException):
        if exc.status_code == 405:
            return Problem(405, errors.METHOD_NOT_ALLOWED, "Method not allowed", headers={"Allow": ", ".join(allowed)})
        if exc.status_code == 404:
            return Problem(404, errors.NOT_FOUND, f"No such path: {path}")
        return Problem(exc.status_code, errors.INVALID_PARAMETER, str(exc.detail))
    if isinstance(exc, UnicodeDecodeError):
        return Problem(400, errors.MALFORMED_BODY, "the body is not valid UTF-8", "body", "invalid")
    if isinstance(exc, EngineUnavailable):
        # Redis lost while a request ran (a rate-limit count): an incident the engine logs once.
        return Problem(503, errors.UNAVAILABLE, str(exc), headers={"Retry-After": "1"})
    log.error("unhandled error serving %s", path, exc_info=exc)
    return Problem(500, errors.INTERNAL, f"internal error in the fake: {type(exc).__name__}")


def _first_paragraph(detail: Any) -> str:
    return str(detail or "").split("\n\n")[0].strip()


def vendor_error(runtime: Runtime, vendor: Vendor, exc: Exception, path: str, method: str) -> VendorError:
    """``exc``, raised serving ``method path`` below ``vendor``'s prefix, in the vendor's envelope."""
    if isinstance(exc, VendorError):
        return exc
    relative = path.lstrip("/")[len(vendor.name) :] or "/"
    allowed = runtime.routes[vendor.name].allowed(relative)
    # Connexion answers 405 only from the first matching route; the spec knows better.
    if isinstance(exc, HTTPException) and exc.status_code == 404 and allowed and method not in allowed:
        exc = HTTPException(405)
    problem = to_problem(exc, path, allowed)
    if problem.kind == errors.METHOD_NOT_ALLOWED:
        problem.value = method  # some envelopes name it ('Method "GET" not allowed.')
    return vendor.render(problem, path)


def fault_error(vendor: Vendor, status: int, path: str) -> VendorError:
    """A status forced through the control plane: the vendor's envelope for that kind of
    failure, answered with exactly the status asked for (a vendor may map a kind to another)."""
    headers = {"Retry-After": "1"} if status == 429 else {}
    problem = Problem(status, _KIND_FOR_STATUS.get(status, errors.FAULT), "Fault injected through the control plane")
    problem.headers = headers
    rendered = vendor.render(problem, path)
    return VendorError(status, rendered.body, rendered.headers)


def admin_error(
    exc: Exception, path: str, method: str = "GET", routes: Routes | None = None
) -> tuple[int, Any, dict[str, str]]:
    """Status, body and headers of a control-plane (or unprefixed) failure.

    ``routes`` are the control plane's, for the ``Allow`` of a 405 below ``/__admin``.
    """
    if isinstance(exc, AdminError):
        return exc.status, {"error": {"code": exc.code, "message": exc.message}}, {}
    allowed: list[str] = []
    if routes is not None and path.startswith(ADMIN_PREFIX):
        allowed = routes.allowed(path[len(ADMIN_PREFIX) :] or "/")
        if isinstance(exc, HTTPException) and exc.status_code == 404 and allowed and method not in allowed:
            exc = HTTPException(405)
    problem = to_problem(exc, path, allowed)
    code = problem.kind if problem.field is None else f"{problem.kind}:{problem.field}"
    status = 400 if problem.status == 422 else problem.status
    return status, {"error": {"code": code, "message": problem.message}}, problem.headers


def encode(status: int, body: Any, headers: dict[str, str]) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """A JSON answer as raw ASGI parts (for layers outside Connexion)."""
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return status, data, raw


def _json_response(status: int, body: Any, headers: dict[str, str]) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, mimetype="application/json", body=json.dumps(body), headers=headers)


def install(app: AsyncApp, runtime: Runtime, admin_spec: dict[str, Any]) -> None:
    """Register the handler that answers every exception Connexion catches."""
    admin_routes = Routes(admin_spec)

    def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        # The scope's path as received: starlette's URL would read "//vcita/..." as a host name.
        path = request.scope["path"]
        vendor = request.scope.get(VENDOR_SCOPE_KEY)
        if vendor is not None:
            rendered = vendor_error(runtime, vendor, exc, path, request.method)
            return _json_response(rendered.status, rendered.body, dict(rendered.headers))
        status, body, headers = admin_error(exc, path, request.method, admin_routes)
        return _json_response(status, body, dict(headers))

    for exc_class in (Problem, VendorError, AdminError, ProblemException, HTTPException, UnicodeDecodeError, Exception):
        app.add_error_handler(exc_class, handle)
