"""Ravan's bodies: ``{success, message, data?}`` and ``{success: false, message, code?}``.

401 and 403 bodies carry no ``code`` (seed 000's UnauthorizedResponse); every other error does,
from Ravan's four codes.
"""

from __future__ import annotations

from typing import Any

from ...errors import Problem, VendorError

INVALID_REQUEST = "INVALID_REQUEST"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"
INTERNAL_ERROR = "INTERNAL_ERROR"

# Seed 000 and 002 messages.
DISCONNECTED = "Cal.com disconnected successfully"
ACCOUNT_UPDATED = "Agent Cal.com account updated"
INFO_RETRIEVED = "Agent Cal.com info retrieved"
STATUS_RETRIEVED = "Agent connection status retrieved"
NO_AGENT_CONNECTION = "No agent-level connection found"

# The fake's wording where Ravan's is not published.
MISSING_OR_INVALID = "Missing or invalid JWT"
MISSING_TOKEN = "Missing authorization token"
MALFORMED_TOKEN = "Invalid token"
BAD_SIGNATURE = "Invalid token signature"
EXPIRED_TOKEN = "Token has expired"
PLAN_GATE = "Plan does not include calendar integration"
ORG_MISMATCH = "org_id does not match the authenticated organization"
MISSING_ORG = "Missing org_id"
AGENT_NOT_FOUND = "Agent not found"
ACCOUNT_NOT_FOUND = "Cal.com account not found"
PRIVATE_KEY_CONFLICT = "Agent has a private Cal.com API key; disconnect it before assigning an org-level account"
INTERNAL = "Internal server error"

_CODES = {400: INVALID_REQUEST, 404: NOT_FOUND, 409: CONFLICT}


def success(message: str, data: Any = None) -> dict[str, Any]:
    """A success body; ``data`` only when given."""
    body: dict[str, Any] = {"success": True, "message": message}
    if data is not None:
        body["data"] = data
    return body


def error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> VendorError:
    """An error response; 401 and 403 never carry a code."""
    body: dict[str, Any] = {"success": False, "message": message}
    if status not in (401, 403):
        body["code"] = code or code_for(status)
    return VendorError(status, body, dict(headers or {}))


def code_for(status: int) -> str:
    """Ravan's code for a status (its four codes only)."""
    if status >= 500:
        return INTERNAL_ERROR
    return _CODES.get(status, INVALID_REQUEST)


def unauthorized(message: str) -> VendorError:
    return error(401, message)


def forbidden(message: str = PLAN_GATE) -> VendorError:
    return error(403, message)


def invalid(message: str) -> VendorError:
    return error(400, message, INVALID_REQUEST)


def not_found(message: str) -> VendorError:
    return error(404, message, NOT_FOUND)


def _field_message(problem: Problem) -> str:
    if problem.field and (problem.reason == "missing" or (problem.reason == "invalid" and problem.value == "")):
        return f"Missing {problem.field}"
    return problem.message


def render(problem: Problem) -> VendorError:
    """Ravan's rendering of a vendor-neutral problem.

    Connexion's validation failures (body, parameters, content type) all become 400
    INVALID_REQUEST; statuses Ravan has no code for (405, 413, 429) keep their status and headers
    with INVALID_REQUEST.
    """
    kind = problem.kind
    if kind == "unauthorized":
        return error(401, MISSING_OR_INVALID, headers=problem.headers)
    if kind == "forbidden":
        return error(403, PLAN_GATE, headers=problem.headers)
    if kind in ("invalid_body", "invalid_parameter", "malformed_body", "unsupported_media_type"):
        return error(400, _field_message(problem), INVALID_REQUEST, problem.headers)
    if kind == "not_found":
        return error(404, "Not Found", NOT_FOUND, problem.headers)
    if kind == "method_not_allowed":
        return error(405, "Method Not Allowed", INVALID_REQUEST, problem.headers)
    if kind == "internal":
        # A bug in the fake keeps its own message so that it can be found.
        return error(problem.status, problem.message, INTERNAL_ERROR, problem.headers)
    if problem.status >= 500:
        return error(problem.status, INTERNAL, INTERNAL_ERROR, problem.headers)
    return error(problem.status, problem.message, code_for(problem.status), problem.headers)
