"""Cal.com's error bodies (apps/api/v2/src/filters/*.filter.ts) and the messages its code throws."""

from __future__ import annotations

import re
from typing import Any

from ...clock import iso
from ...errors import Problem, VendorError

BAD_REQUEST = "BadRequestException"
UNAUTHORIZED = "UnauthorizedException"
FORBIDDEN = "ForbiddenException"
NOT_FOUND = "NotFoundException"

# ApiAuthStrategy (api-auth.strategy.ts) and OAuthFlowService messages.
NO_AUTH = (
    "ApiAuthStrategy - No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)
API_KEY_INVALID = "ApiAuthStrategy - api key - Your api key is not valid"
API_KEY_EXPIRED = "ApiAuthStrategy - api key - Your api key is expired"
INVALID_ACCESS_TOKEN = "Invalid Access Token."
ACCESS_TOKEN_EXPIRED = "ACCESS_TOKEN_IS_EXPIRED"
HTTP_CODE_TOKEN_EXPIRED = 498
CREDENTIALS_NOT_FOUND = "Calendar credentials not found"
# ValidationPipe({exceptionFactory: errors => new BadRequestException({errors})}): an object
# response makes Nest derive the message from the class name.
VALIDATION_FAILED = "Bad Request Exception"

# The Nest exception class (and its default message) Cal.com would raise for a status.
_NEST: dict[int, tuple[str, str]] = {
    400: (BAD_REQUEST, "Bad Request"),
    401: (UNAUTHORIZED, "Unauthorized"),
    403: (FORBIDDEN, "Forbidden"),
    404: (NOT_FOUND, "Not Found"),
    405: ("MethodNotAllowedException", "Method Not Allowed"),
    409: ("ConflictException", "Conflict"),
    413: ("PayloadTooLargeException", "Payload Too Large"),
    415: ("UnsupportedMediaTypeException", "Unsupported Media Type"),
    422: ("UnprocessableEntityException", "Unprocessable Entity"),
    429: ("ThrottlerException", "ThrottlerException: Too Many Requests"),
    498: ("TokenExpiredException", ACCESS_TOKEN_EXPIRED),
    502: ("BadGatewayException", "Bad Gateway"),
    503: ("ServiceUnavailableException", "Service Unavailable"),
    504: ("GatewayTimeoutException", "Gateway Timeout"),
}
# Connexion's message when a `{calendar}` value is outside the spec's enum; Cal.com's handlers
# answer those values from their switch, with INVALID_CALENDAR.
_ENUM_MISS = re.compile(r"^.* is not one of (\[.*\])$", re.DOTALL)
_CALENDAR_ENUMS = {"['google', 'office365']", "['apple']", "['apple', 'google', 'office365']"}
INVALID_CALENDAR = "Invalid calendar type, available calendars are: "

# SentryExceptionFilter: anything that is not an HttpException.
_INTERNAL = ("INTERNAL_SERVER_ERROR", "Internal server error.")


def vendor_path(path: str) -> str:
    """The request path as Cal.com's filter echoes it (``request.url``), without the fake's prefix."""
    if path.startswith("/calcom/"):
        return path[len("/calcom") :]
    return path


def body(code: str, message: str, path: str, now: float) -> dict[str, Any]:
    """``{status: "error", timestamp, path, error: {code, message}}``; ``details`` is omitted (production)."""
    return {
        "status": "error",
        "timestamp": iso(now),
        "path": vendor_path(path),
        "error": {"code": code, "message": message},
    }


def error(
    status: int, code: str, message: str, path: str, now: float, headers: dict[str, str] | None = None
) -> VendorError:
    """A complete Cal.com error response."""
    return VendorError(status, body(code, message, path, now), dict(headers or {}))


def nest(status: int, message: str | None, path: str, now: float, headers: dict[str, str] | None = None) -> VendorError:
    """The error an ``HttpException`` of ``status`` produces (the class's default message if none)."""
    if status not in _NEST:
        code, default = _INTERNAL
        return error(status, code, message or default, path, now, headers)
    code, default = _NEST[status]
    return error(status, code, message or default, path, now, headers)


def render(problem: Problem, path: str, now: float) -> VendorError:
    """Cal.com's rendering of a vendor-neutral problem."""
    kind = problem.kind
    if kind == "unauthorized":
        # Connexion finds no bearer token: ApiAuthStrategy's "no authentication method" branch.
        return error(401, UNAUTHORIZED, NO_AUTH, path, now, problem.headers)
    if kind == "invalid_parameter":
        miss = _ENUM_MISS.match(problem.message)
        if miss is not None and miss.group(1) in _CALENDAR_ENUMS:
            return error(400, BAD_REQUEST, INVALID_CALENDAR, path, now, problem.headers)
    if kind in ("invalid_body", "invalid_parameter", "unsupported_media_type"):
        # Express leaves a non-JSON body unparsed ({}), so the DTO check fails the same way.
        return error(400, BAD_REQUEST, VALIDATION_FAILED, path, now, problem.headers)
    if kind == "malformed_body":
        return error(400, BAD_REQUEST, problem.message, path, now, problem.headers)
    if kind == "not_found":
        return error(404, NOT_FOUND, "Not Found", path, now, problem.headers)
    if kind in ("method_not_allowed", "payload_too_large", "forbidden", "rate_limited"):
        return nest(problem.status, None, path, now, problem.headers)
    if kind == "internal":
        # A bug in the fake keeps its own message so that it can be found.
        return error(problem.status, _INTERNAL[0], problem.message, path, now, problem.headers)
    if problem.status == 500:
        return error(500, *_INTERNAL, path, now, problem.headers)
    return nest(problem.status, None, path, now, problem.headers)
