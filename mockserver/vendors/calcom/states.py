"""Cal.com's provider states: users with credentials, as the app UI or the OAuth flow would leave them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import AdminError
from ...interface import Param, ProviderState
from .apps import APPLE, APPS, CALENDARS
from .store import API_KEY, MANAGED_USER, OAUTH, User

if TYPE_CHECKING:
    from . import CalcomVendor


def _tokens(vendor: CalcomVendor, user: User) -> dict[str, str]:
    return {
        API_KEY: vendor.issue_token(API_KEY, user.id),
        MANAGED_USER: vendor.issue_token(MANAGED_USER, user.id),
        OAUTH: vendor.issue_token(OAUTH, user.id, ["APPS_READ", "APPS_WRITE"]),
    }


def _user(vendor: CalcomVendor, params: dict[str, Any]) -> dict[str, Any]:
    user = vendor.store.add_user(params.get("email"))
    return {"user_id": user.id, "email": user.email, "tokens": _tokens(vendor, user)}


def _connected_calendar(vendor: CalcomVendor, params: dict[str, Any]) -> dict[str, Any]:
    store = vendor.store
    user_id = params.get("user_id")
    if user_id is None:
        user = store.add_user()
    elif user_id in store.users:
        user = store.users[user_id]
    else:
        raise AdminError(400, "invalid_params", f"calcom/connected_calendar: unknown user_id {user_id!r}")
    calendar = params["type"]
    if params["count"] < 1:
        raise AdminError(400, "invalid_params", "calcom/connected_calendar: count must be at least 1")
    credential_ids = []
    domain = APPS[calendar].default_domain
    for _ in range(params["count"]):
        number = store.next_ids["credential"]
        credential = store.add_credential(
            user.id,
            calendar,
            f"{user.username}.{number}@{domain}",
            invalid=params["invalid"],
            secret="app-specific-password" if calendar == APPLE else None,
        )
        if calendar != APPLE:
            store.select_primary(credential)
        credential_ids.append(credential.id)
    return {"user_id": user.id, "credential_ids": credential_ids, "tokens": _tokens(vendor, user)}


def provider_states(vendor: CalcomVendor) -> dict[str, ProviderState]:
    """The Cal.com states, bound to one vendor instance."""
    return {
        "user": ProviderState(
            "user",
            "A Cal.com user with an API key, a managed-user access token and an OAuth token (APPS_READ, APPS_WRITE).",
            {"email": Param("string", description="the user's email; userN@example.com otherwise")},
            lambda params: _user(vendor, params),
        ),
        "connected_calendar": ProviderState(
            "connected_calendar",
            "A user with `count` connected calendar accounts of one type (a new user unless user_id is given).",
            {
                "user_id": Param("integer", description="add the calendars to this user; a new user otherwise"),
                "type": Param("string", default="google", enum=CALENDARS),
                "count": Param("integer", default=1, description="how many accounts to connect"),
                "invalid": Param("boolean", default=False, description="mark the credentials invalid"),
            },
            lambda params: _connected_calendar(vendor, params),
        ),
    }
