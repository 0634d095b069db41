"""Who a bearer token belongs to, in the order and with the messages of Cal.com's ApiAuthStrategy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import Problem
from . import envelope
from .store import API_KEY, MANAGED_USER, OAUTH, CalcomStore

APPS_READ = "APPS_READ"
APPS_WRITE = "APPS_WRITE"

# Scopes that map to a permission (SCOPE_TO_PERMISSION). A token whose scopes are all outside this
# set carries only legacy scopes, which Cal.com never enforced, so it passes every scope check.
KNOWN_SCOPES = frozenset(
    {
        "APPS_READ",
        "APPS_WRITE",
        "BOOKING_READ",
        "BOOKING_WRITE",
        "EVENT_TYPE_READ",
        "EVENT_TYPE_WRITE",
        "PROFILE_READ",
        "PROFILE_WRITE",
        "SCHEDULE_READ",
        "SCHEDULE_WRITE",
    }
)

# The scope each operation demands of a scoped OAuth token (only disconnect's is documented).
REQUIRED_SCOPES: dict[str, str] = {
    "CalendarsController_getCalendars": APPS_READ,
    "CalendarsController_check": APPS_READ,
    "CalendarsController_redirect": APPS_WRITE,
    "CalendarsController_syncCredentials": APPS_WRITE,
    "CalendarsController_deleteCalendarCredentials": APPS_WRITE,
}

_DAY = 86400.0


@dataclass
class CalcomAuthError(Problem):
    """An authentication failure already in Cal.com's words (rendered with the request path)."""

    code: str = envelope.UNAUTHORIZED


def _fail(status: int, code: str, message: str) -> CalcomAuthError:
    return CalcomAuthError(status, "unauthorized" if status != 403 else "forbidden", message, code=code)


def api_key_expired(expires_at: float | None, now: float) -> bool:
    """Cal.com compares dates, not instants: a key expires once the day after its expiry begins (UTC)."""
    return expires_at is not None and now // _DAY > expires_at // _DAY


def authenticate(store: CalcomStore, credential: str, operation_id: str, now: float) -> dict[str, Any]:
    """Token info for a bearer credential, or raises :class:`CalcomAuthError`."""
    if not credential:
        raise _fail(401, envelope.UNAUTHORIZED, envelope.NO_AUTH)
    token = store.tokens.get(credential)
    if credential.startswith("cal_"):
        if token is None or token.kind != API_KEY:
            raise _fail(401, envelope.UNAUTHORIZED, envelope.API_KEY_INVALID)
        if api_key_expired(token.expires_at, now):
            raise _fail(401, envelope.UNAUTHORIZED, envelope.API_KEY_EXPIRED)
    elif token is None or token.kind == API_KEY:
        raise _fail(401, envelope.UNAUTHORIZED, envelope.INVALID_ACCESS_TOKEN)
    elif token.expires_at is not None and token.expires_at <= now:
        if token.kind == MANAGED_USER:
            # TokenExpiredException: HttpException(ACCESS_TOKEN_EXPIRED, HTTP_CODE_TOKEN_EXPIRED).
            raise _fail(envelope.HTTP_CODE_TOKEN_EXPIRED, "TokenExpiredException", envelope.ACCESS_TOKEN_EXPIRED)
        # An expired OAuth JWT does not decode, so the access-token error stands.
        raise _fail(401, envelope.UNAUTHORIZED, envelope.INVALID_ACCESS_TOKEN)
    if token.user_id not in store.users:
        raise _fail(401, envelope.UNAUTHORIZED, envelope.INVALID_ACCESS_TOKEN)
    if token.kind == OAUTH:
        check_scopes(token.scopes, operation_id)
    return {"kind": token.kind, "user_id": token.user_id, "token": credential, "scopes": list(token.scopes)}


def check_scopes(scopes: list[str], operation_id: str) -> None:
    """OAuthPermissionsGuard: a scoped third-party token needs the operation's scope."""
    if not scopes or not KNOWN_SCOPES.intersection(scopes):
        return  # no scopes, or only legacy ones: allowed for backward compatibility
    required = REQUIRED_SCOPES.get(operation_id)
    if required is None or required in scopes:
        return
    raise _fail(
        403,
        envelope.FORBIDDEN,
        f"insufficient_scope: token does not have the required scopes. Required: {required}. "
        f"Token has: {', '.join(scopes)}",
    )
