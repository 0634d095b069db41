"""Recall's error bodies: Django REST framework's ``{"detail": ...}`` and field-error dicts."""

from __future__ import annotations

import re
from typing import Any

from ...errors import Problem, VendorError
from .store import PREFERENCE_FLAGS

NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NO_CREDENTIALS_IN_HEADER = "Invalid token header. No credentials provided."
SPACES_IN_HEADER = "Invalid token header. Token string should not contain spaces."
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NO_DATA = "No data provided"  # Serializer.errors when the parsed body is None (a JSON null)
SERVER_ERROR = "A server error occurred."

# DRF's default detail of each APIException subclass, for statuses forced through the control plane.
_DEFAULT_DETAIL = {
    400: "Malformed request.",
    401: "Incorrect authentication credentials.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    406: "Could not satisfy the request Accept header.",
}

# The body fields each path requires, for DRF's answer to an empty body (every required field missing).
_REQUIRED_FIELDS = {
    "/api/v1/calendar/authenticate/": ("user_id",),
    "/api/v1/calendar/user/disconnect/": ("platform",),
}
_WORKSPACE_PATHS = ("/api/v1/calendar/authenticate/", "/api/v1/calendar/users/")
# Paths whose optional body defaults to {} (an absent body never reaches the renderer as
# "missing"), so a missing body there can only be a JSON null.
_DEFAULTED_BODY_PATHS = ("/api/v1/calendar/user/",)
_JSON_PREFIX = "the body is not valid JSON: "
_ENCODING_PREFIX = "the body is not valid "


def detail(status: int, message: str, headers: dict[str, str] | None = None) -> VendorError:
    """``{"detail": message}`` with ``status``."""
    return VendorError(status, {"detail": message}, dict(headers or {}))


def unauthorized(message: str, workspace: bool) -> VendorError:
    """A 401; the workspace key's comes with DRF TokenAuthentication's ``WWW-Authenticate: Token``."""
    return detail(401, message, {"WWW-Authenticate": "Token"} if workspace else None)


def field_error(field: str, message: str) -> VendorError:
    """A 400 naming one field (dotted for nested fields, e.g. ``preferences.bot_name``)."""
    return VendorError(400, _nest(field.split("."), [message]))


def throttled(retry_after: str, headers: dict[str, str]) -> VendorError:
    """DRF's Throttled: "Request was throttled. Expected available in N second(s)." """
    wait = int(retry_after)
    unit = "second" if wait == 1 else "seconds"
    return detail(429, f"Request was throttled. Expected available in {wait} {unit}.", headers)


def _nest(path: list[str], value: Any) -> dict[str, Any]:
    body: Any = value
    for part in reversed(path):
        body = {part: body}
    return dict(body)


def _not_a_dict(value: Any) -> list[str]:
    return [f"Invalid data. Expected a dictionary, but got {type(value).__name__}."]


def _invalid_message(leaf: str, value: Any) -> str:
    if value is None:
        return NOT_NULL
    if leaf == "platform":
        # ChoiceField quotes Python's str() of the input: "7", "True", "['google']".
        return f'"{value}" is not a valid choice.'
    if leaf in PREFERENCE_FLAGS:
        return "Must be a valid boolean."
    if leaf == "bot_name" and isinstance(value, str):
        # A string that fails the schema's minLength: blank, in DRF's words.
        return NOT_BLANK
    return "Not a valid string."


def _field_errors(problem: Problem) -> dict[str, Any]:
    """DRF's error dict for one schema error."""
    field = problem.field or "body"
    path = field.split(".")
    if problem.reason == "missing":
        return _nest(path, [REQUIRED])
    if field == "body":
        return {"non_field_errors": _not_a_dict(problem.value)}
    if path[-1] == "preferences" and problem.value is not None:
        return _nest(path, {"non_field_errors": _not_a_dict(problem.value)})
    return _nest(path, [_invalid_message(path[-1], problem.value)])


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            # DRF stops at a field's first failing check: one message per field.
            into.setdefault(key, value)


def _body_error(problem: Problem) -> VendorError:
    """Every field error of the body in one answer, as DRF's serializer collects them."""
    body: dict[str, Any] = {}
    for one in (problem, *problem.related):
        _merge(body, _field_errors(one))
    return VendorError(400, body)


def _malformed(problem: Problem, relative: str) -> VendorError:
    if problem.reason == "missing" and relative in _DEFAULTED_BODY_PATHS:
        return VendorError(400, {"non_field_errors": [NO_DATA]})
    if problem.reason == "missing":
        required = _REQUIRED_FIELDS.get(relative)
        if required:
            # DRF reads an empty body as {}: every required field is reported missing.
            return VendorError(400, {name: [REQUIRED] for name in required})
        return detail(400, "Malformed request.")
    message = problem.message
    if message.startswith(_JSON_PREFIX):
        reason = message[len(_JSON_PREFIX) :]
    elif message.startswith(_ENCODING_PREFIX):
        encoding, _, why = message[len(_ENCODING_PREFIX) :].partition(": ")
        reason = f"'{encoding.lower()}' codec can't decode the body" + (f": {why}" if why else "")
    else:
        reason = message
    return detail(400, f"JSON parse error - {reason}")


def _media_type(message: str) -> str:
    # Connexion: "Invalid Content-type (text/plain), expected ['application/json']"
    found = re.search(r"\(([^)]*)\)", message)
    return found.group(1) if found else ""


def render(problem: Problem, path: str, prefix: str) -> VendorError:
    """Recall's rendering of a vendor-neutral problem; ``path`` includes the ``prefix``."""
    relative = path[len(prefix) :] if path.startswith(prefix) else path
    kind = problem.kind
    if kind == "unauthorized":
        return unauthorized(NOT_AUTHENTICATED, workspace=relative in _WORKSPACE_PATHS)
    if kind == "rate_limited":
        return throttled(problem.headers.get("Retry-After", "1"), problem.headers)
    if kind == "invalid_body":
        return _body_error(problem)
    if kind == "malformed_body":
        return _malformed(problem, relative)
    if kind == "not_found":
        return detail(404, "Not found.", problem.headers)
    if kind == "method_not_allowed":
        method = problem.value if isinstance(problem.value, str) else None
        message = f'Method "{method}" not allowed.' if method else "Method not allowed."
        return detail(405, message, problem.headers)
    if kind == "unsupported_media_type":
        return detail(415, f'Unsupported media type "{_media_type(problem.message)}" in request.', problem.headers)
    if kind == "payload_too_large":
        return detail(413, f"The request body is {problem.message[len('the body is ') :]}.", problem.headers)
    if kind == "internal":
        # A bug in the fake stays visible rather than hidden behind DRF's generic text.
        return detail(problem.status, problem.message, problem.headers)
    if problem.status >= 500:
        return detail(problem.status, SERVER_ERROR, problem.headers)
    return detail(problem.status, _DEFAULT_DETAIL.get(problem.status, problem.message), problem.headers)
