"""Recall's provider states: workspaces, calendar users, and the OAuth connection the public API
cannot complete (Recall finishes it in its own OAuth callback, after Google or Microsoft)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ...errors import AdminError
from ...interface import Param, ProviderState
from .store import PLATFORMS, CalendarUser, Workspace

if TYPE_CHECKING:
    from . import RecallVendor


def _workspace(vendor: RecallVendor, state: str, workspace_id: str | None) -> Workspace:
    store = vendor.store
    if workspace_id is None:
        return store.default_workspace()
    workspace = store.workspaces.get(workspace_id)
    if workspace is None:
        raise AdminError(400, "invalid_params", f"recall/{state}: unknown workspace_id {workspace_id!r}")
    return workspace


def _new_workspace(vendor: RecallVendor, params: dict[str, Any]) -> dict[str, Any]:
    workspace = vendor.store.add_workspace()
    return {"workspace_id": workspace.id, "tokens": {"workspace": workspace.api_keys[0]}}


def _calendar_user(vendor: RecallVendor, params: dict[str, Any]) -> dict[str, Any]:
    store = vendor.store
    workspace = _workspace(vendor, "calendar_user", params.get("workspace_id"))
    external_id = params.get("user_id")
    if external_id is None:
        external_id = f"user-{secrets.token_hex(4)}"
    elif not external_id.strip():
        raise AdminError(400, "invalid_params", "recall/calendar_user: user_id must not be blank")
    user = store.get_or_create_user(workspace.id, external_id.strip())
    for platform in PLATFORMS:
        email = params.get(platform)
        if email is None:
            store.disconnect(user, platform)
        else:
            store.connect(user, platform, email)
    return {
        "workspace_id": workspace.id,
        "calendar_user_id": user.id,
        "external_id": user.external_id,
        "connections": [c.public() for c in user.connections.values()],
        "tokens": {
            "calendar": store.issue_calendar_token(user, vendor.clock.now()),
            "workspace": workspace.api_keys[0],
        },
    }


def _find_user(vendor: RecallVendor, params: dict[str, Any]) -> CalendarUser:
    store = vendor.store
    calendar_user_id = params.get("calendar_user_id")
    if calendar_user_id is not None:
        user = store.users.get(calendar_user_id)
        if user is None:
            raise AdminError(400, "invalid_params", f"recall/connection: unknown calendar_user_id {calendar_user_id!r}")
        return user
    external_id = params.get("user_id")
    if external_id is None:
        # Neither id: a new calendar user in the default workspace, as calendar_user makes one.
        created = _calendar_user(vendor, {})
        return store.users[created["calendar_user_id"]]
    workspace = _workspace(vendor, "connection", params.get("workspace_id"))
    found = store.find_user(workspace.id, external_id)
    if found is None:
        raise AdminError(400, "invalid_params", f"recall/connection: no calendar user with user_id {external_id!r}")
    return found


def _connection(vendor: RecallVendor, params: dict[str, Any]) -> dict[str, Any]:
    user = _find_user(vendor, params)
    platform = params.get("platform", PLATFORMS[0])
    email = params.get("email", "user@example.com")
    connection = vendor.store.connect(user, platform, email)
    return {
        "calendar_user_id": user.id,
        "external_id": user.external_id,
        "platform": connection.platform,
        "email": connection.email,
        "connection_id": connection.id,
    }


def provider_states(vendor: RecallVendor) -> dict[str, ProviderState]:
    """The Recall states, bound to one vendor instance."""
    email = "the connected account's email; null leaves the platform not connected"
    return {
        "workspace": ProviderState(
            "workspace",
            "A new workspace with its own API key (calendar users are per workspace).",
            {},
            lambda params: _new_workspace(vendor, params),
        ),
        "calendar_user": ProviderState(
            "calendar_user",
            "A calendar user (created, or found by user_id) with each platform connected or not, "
            "plus a calendar auth token and the workspace API key.",
            {
                "user_id": Param("string", description="the external id; generated when absent"),
                "google": Param("string", nullable=True, description=email),
                "microsoft": Param("string", nullable=True, description=email),
                "workspace_id": Param(
                    "string", description="a workspace from the workspace state; the default one otherwise"
                ),
            },
            lambda params: _calendar_user(vendor, params),
        ),
        "connection": ProviderState(
            "connection",
            "Completes a platform's OAuth connection for an existing calendar user, as Recall's OAuth callback would.",
            {
                "calendar_user_id": Param("string", description="the calendar user's id (neither id: a new user)"),
                "user_id": Param("string", description="or the calendar user's external id"),
                "workspace_id": Param("string", description="with user_id: the workspace (default one otherwise)"),
                "platform": Param("string", default=PLATFORMS[0], enum=PLATFORMS),
                "email": Param("string", default="user@example.com", description="the connected account's email"),
            },
            lambda params: _connection(vendor, params),
        ),
    }
