"""Turning every exception raised while serving into the right envelope for its path.

Error handlers are registered once per Connexion app, so they choose the envelope by the request
path: a vendor prefix gets that vendor's rendering, ``/__admin`` the control plane's, anything
else a small generic JSON body. No request ever gets ``problem+json`` or a stack trace.
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
from .runtime import Runtime

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/__admin"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> ConnexionResponse:
    """A JSON ConnexionResponse."""
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        body=json.dumps(body),
        headers=dict(headers or {}),
    )


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
    log.error("unhandled error serving %s", path, exc_info=exc)
    return Problem(500, errors.INTERNAL, f"internal error in the fake: {type(exc).__name__}")


def _first_paragraph(detail: Any) -> str:
    return str(detail or "").split("\n\n")[0].strip()


def install(app: AsyncApp, runtime: Runtime) -> None:
    """Register the error handlers that route every failure to the right envelope."""

    def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        path = request.url.path
        vendor = runtime.vendor_for_path(path)
        if vendor is not None:
            relative = path[len(vendor.name) + 1 :] or "/"
            allowed = runtime.routes[vendor.name].allowed(relative)
            # Connexion answers 405 only from the first matching route; the spec knows better.
            if isinstance(exc, HTTPException) and exc.status_code == 404 and allowed and request.method not in allowed:
                exc = HTTPException(405)
            if isinstance(exc, VendorError):
                rendered = exc
            else:
                problem = to_problem(exc, path, allowed)
                if problem.kind == errors.METHOD_NOT_ALLOWED:
                    problem.value = request.method  # some envelopes name it ('Method "GET" not allowed.')
                rendered = vendor.render(problem, path)
            return json_response(rendered.status, rendered.body, rendered.headers)
        if isinstance(exc, AdminError):
            return json_response(exc.status, {"error": {"code": exc.code, "message": exc.message}})
        problem = to_problem(exc, path, [])
        code = problem.kind if problem.field is None else f"{problem.kind}:{problem.field}"
        status = 400 if problem.status == 422 else problem.status
        return json_response(status, {"error": {"code": code, "message": problem.message}}, problem.headers)

    for exc_class in (Problem, VendorError, AdminError, ProblemException, HTTPException, UnicodeDecodeError, Exception):
        app.add_error_handler(exc_class, handle)
