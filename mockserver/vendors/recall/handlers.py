"""Recall Calendar V1 operations, by operationId. Each runs with the vendor's lock held."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...interface import Call, HandlerTable, Reply
from .envelope import NOT_BLANK, field_error
from .store import PREFERENCE_FLAGS, CalendarUser

if TYPE_CHECKING:
    from . import RecallVendor

OPERATIONS = HandlerTable()
"""This fake's handlers by operationId."""


def _user(vendor: RecallVendor, call: Call) -> CalendarUser:
    assert call.auth is not None  # every user route requires a calendar auth token
    user: CalendarUser = vendor.store.users[call.auth["calendar_user_id"]]
    return user


@OPERATIONS.serves("calendar_authenticate_create")
def authenticate(vendor: RecallVendor, call: Call) -> Reply:
    assert call.auth is not None
    # DRF's CharField trims surrounding whitespace, then refuses what is left blank.
    external_id = str(call.body["user_id"]).strip()
    if not external_id:
        raise field_error("user_id", NOT_BLANK)
    store = vendor.store
    user = store.get_or_create_user(call.auth["workspace_id"], external_id)
    return Reply({"token": store.issue_calendar_token(user, call.now)})


@OPERATIONS.serves("calendar_user_retrieve")
def retrieve_user(vendor: RecallVendor, call: Call) -> Reply:
    return Reply(_user(vendor, call).public())


@OPERATIONS.serves("calendar_user_update")
def update_user(vendor: RecallVendor, call: Call) -> Reply:
    user = _user(vendor, call)
    body: Any = call.body if isinstance(call.body, dict) else {}
    patch: dict[str, Any] = dict(body.get("preferences") or {})
    if "bot_name" in patch:
        patch["bot_name"] = patch["bot_name"].strip()
        if not patch["bot_name"]:
            raise field_error("preferences.bot_name", NOT_BLANK)
    # Unsent preferences keep their values; unknown keys are ignored, as DRF does.
    for name in (*PREFERENCE_FLAGS, "bot_name"):
        if name in patch:
            setattr(user.preferences, name, patch[name])
    return Reply(user.public())


@OPERATIONS.serves("calendar_user_destroy")
def destroy_user(vendor: RecallVendor, call: Call) -> Reply:
    vendor.store.delete_user(_user(vendor, call).id)
    return Reply(None, 204)


@OPERATIONS.serves("calendar_user_disconnect_create")
def disconnect(vendor: RecallVendor, call: Call) -> Reply:
    user = _user(vendor, call)
    vendor.store.disconnect(user, call.body["platform"])
    return Reply(user.public())


@OPERATIONS.serves("calendar_users_list")
def list_users(vendor: RecallVendor, call: Call) -> Reply:
    assert call.auth is not None
    workspace_id = call.auth["workspace_id"]
    return Reply([u.public() for u in vendor.store.users.values() if u.workspace_id == workspace_id])
