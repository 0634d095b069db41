"""vcita's error bodies."""

from __future__ import annotations

from typing import Any

from ...errors import Problem, VendorError

# Doorkeeper's answer to a missing, unknown or expired token.
DOORKEEPER_401 = {"success": False, "errors": [{"code": "unauthorized", "message": "401 Unauthorized"}]}
# Core's answer when the token is valid but not for this business or operation.
CONTEXT_401 = {"success": False, "errors": [{"code": "unauthorized", "message": "Unauthorized"}]}
TOO_MANY_REQUESTS = {"error": "Too many requests"}

STATUS_ERROR = "status_error"  # {"status": "Error", "errors": [...]} (seed 004)
SUCCESS_FALSE = "success_false"  # {"success": false, "errors": [...]} (core's APIResponse)


def envelope(variant: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The error envelope in the configured variant."""
    if variant == SUCCESS_FALSE:
        return {"success": False, "errors": errors}
    return {"status": "Error", "errors": errors}


def item(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """One entry of ``errors``."""
    entry: dict[str, Any] = {"code": code}
    if field is not None:
        entry["field"] = field
    entry["message"] = message
    return entry


def errors_body(variant: str, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """A one-error body in the configured variant.

    Only seed 004's ``status: "Error"`` examples name the ``field``; every documented
    ``success: false`` example (vcita's verified workflows) carries just ``code`` and ``message``.
    """
    return envelope(variant, [item(code, message, field if variant == STATUS_ERROR else None)])


def unauthorized(context: bool = False) -> VendorError:
    """A 401 from the token layer (``context``: valid token, wrong business or operation)."""
    return VendorError(401, CONTEXT_401 if context else DOORKEEPER_401)


_CODES = {
    "not_found": "not_found",
    "method_not_allowed": "method_not_allowed",
    "unsupported_media_type": "unsupported_media_type",
    "payload_too_large": "payload_too_large",
    "forbidden": "forbidden",
}


def render(problem: Problem, variant: str) -> VendorError:
    """vcita's rendering of a vendor-neutral problem."""
    if problem.kind == "unauthorized":
        return VendorError(401, DOORKEEPER_401, problem.headers)
    if problem.kind == "rate_limited":
        return VendorError(429, TOO_MANY_REQUESTS, problem.headers)
    if problem.kind in ("invalid_body", "invalid_parameter", "malformed_body"):
        code = problem.reason if problem.reason in ("missing", "invalid") else "invalid"
        return VendorError(problem.status, errors_body(variant, code, problem.message, problem.field), problem.headers)
    if problem.status >= 500:
        return VendorError(
            problem.status, envelope(variant, [item("internal_error", problem.message)]), problem.headers
        )
    code = _CODES.get(problem.kind, "invalid")
    return VendorError(problem.status, envelope(variant, [item(code, problem.message)]), problem.headers)
