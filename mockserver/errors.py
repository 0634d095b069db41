"""Vendor-neutral failures and the vendor's own rendering of them.

Generic code (validation, auth, routing, rate limits, faults) raises :class:`Problem`, which says
*what* went wrong; each vendor turns a Problem into its own envelope. Vendor handlers raise
:class:`VendorError`, which already carries the vendor's exact status, body and headers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Problem kinds, one per thing that can go wrong before or around a vendor handler.
INVALID_BODY = "invalid_body"  # parsed, but the schema rejects it (field + reason say where and why)
MALFORMED_BODY = "malformed_body"  # not JSON, not UTF-8, or empty when a body is required
INVALID_PARAMETER = "invalid_parameter"  # a path, query or header parameter is missing or wrong
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"  # no such path below the vendor's prefix
METHOD_NOT_ALLOWED = "method_not_allowed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
PAYLOAD_TOO_LARGE = "payload_too_large"
RATE_LIMITED = "rate_limited"
FAULT = "fault"  # a status forced through the control plane
UNAVAILABLE = "unavailable"  # the fake's state store (Redis) is unreachable, or busy past retries
INTERNAL = "internal"  # a bug in the fake (including a response that breaks its own spec)


@dataclass
class Problem(Exception):
    """A failure described without any vendor's wording.

    Args:
        status: the HTTP status the vendor would most likely use.
        kind: one of the kind constants in this module.
        message: a human-readable description.
        field: dotted path of the offending body field or the parameter name, when known.
        reason: ``missing``, ``invalid`` or ``unknown`` for field problems.
        value: the offending value, when there is one (for messages that quote it).
        headers: headers the response must carry (``Allow``, ``Retry-After``...).
        related: the body's other schema errors, for vendors whose API reports every field
            error in one answer (Django REST framework); the rest answer with this one.
    """

    status: int
    kind: str
    message: str
    field: str | None = None
    reason: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    value: Any = None
    related: list[Problem] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.kind}: {self.message}"


@dataclass
class VendorError(Exception):
    """A complete error response in a vendor's own envelope."""

    status: int
    body: Any
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.body!r}"


class AdminError(Exception):
    """A control-plane failure, answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
