"""Recall's credentials: the workspace API key on authenticate and the users list, the calendar
auth token (``x-recallcalendarauthtoken``) everywhere else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import envelope

if TYPE_CHECKING:
    from . import RecallVendor

_WORKSPACE_OPERATIONS = {"calendar_authenticate_create", "calendar_users_list"}


def check(vendor: RecallVendor, credential: str, operation_id: str) -> dict[str, Any]:
    """The credential's info for the handler; raises Recall's 401 for anything it refuses."""
    if operation_id in _WORKSPACE_OPERATIONS:
        return workspace_key(vendor, credential)
    return calendar_token(vendor, credential)


def workspace_key(vendor: RecallVendor, header: str) -> dict[str, Any]:
    """A workspace API key, as DRF's TokenAuthentication parses it."""
    # DRF TokenAuthentication's parsing, except that Recall also takes the bare key.
    parts = header.split()
    if not parts:
        raise envelope.unauthorized(envelope.NOT_AUTHENTICATED, workspace=True)
    if parts[0].lower() == "token":
        if len(parts) == 1:
            raise envelope.unauthorized(envelope.NO_CREDENTIALS_IN_HEADER, workspace=True)
        if len(parts) > 2:
            raise envelope.unauthorized(envelope.SPACES_IN_HEADER, workspace=True)
        key = parts[1]
    elif len(parts) == 1:
        key = parts[0]
    else:
        # Another scheme ("Bearer ..."): not a credential this API reads.
        raise envelope.unauthorized(envelope.NOT_AUTHENTICATED, workspace=True)
    with vendor.lock:
        workspace_id = vendor.store.api_keys.get(key)
    if workspace_id is None:
        raise envelope.unauthorized(envelope.INVALID_TOKEN, workspace=True)
    return {"workspace_id": workspace_id}


def calendar_token(vendor: RecallVendor, token: str) -> dict[str, Any]:
    """A calendar auth token that is known, unexpired and of a user that still exists."""
    if not token.strip():
        raise envelope.unauthorized(envelope.NOT_AUTHENTICATED, workspace=False)
    with vendor.lock:
        claims = vendor.store.read_calendar_token(token.strip())
        user = vendor.store.users.get(claims.calendar_user_id) if claims else None
    if claims is None or user is None or claims.expires_at <= vendor.clock.now():
        raise envelope.unauthorized(envelope.INVALID_TOKEN, workspace=False)
    return {"calendar_user_id": user.id, "workspace_id": user.workspace_id}
