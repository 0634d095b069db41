"""vcita operations, by operationId. Each runs with the vendor's lock held."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import VendorError
from ...interface import Call, HandlerTable, Reply
from .envelope import errors_body, unauthorized
from .store import CLEAR, CalendarSync, Staff

if TYPE_CHECKING:
    from . import VcitaVendor

_SYNC_FLAGS = ("should_import", "should_export", "is_private_import", "is_private_export")

OPERATIONS = HandlerTable()
"""This fake's handlers by operationId."""


def _error(vendor: VcitaVendor, code: str, message: str, field: str = "staff") -> VendorError:
    return VendorError(422, errors_body(vendor.settings["error_envelope"], code, message, field))


def _staff_in_context(vendor: VcitaVendor, call: Call, staff_uid: str) -> Staff:
    staff = vendor.store.staff.get(staff_uid)
    if staff is None:
        raise _error(vendor, "missing", "staff is not exists")
    assert call.auth is not None  # every vcita operation requires a token
    if staff.business_uid != call.auth["business_uid"]:
        raise unauthorized(context=True)
    # A staff token authenticates one staff member (vcita's token types table); it acts for that
    # staff member only, as CalendarSyncsAPI.authorize_action compares the token's user with the
    # staff's user. App and admin tokens act for the whole business.
    if call.auth["kind"] == "staff" and call.auth["staff_uid"] != staff.uid:
        raise unauthorized(context=True)
    return staff


def _registered_sync(vendor: VcitaVendor, call: Call) -> CalendarSync:
    """The staff member's sync, checked against the body's provider and account."""
    body: dict[str, Any] = call.body
    staff = _staff_in_context(vendor, call, body["staff_uid"])
    sync = vendor.store.syncs.get(staff.uid)
    if sync is None or not sync.registered:
        raise _error(vendor, "missing", "staff is not registered to any calendar sync")
    wanted = body["calendar_sync"]
    if sync.provider != wanted["provider"] or (sync.account is not None and sync.account != wanted["account"]):
        raise _error(vendor, "already_exists", "staff already registered to other calendar sync")
    return sync


def _reply(sync: CalendarSync) -> Reply:
    return Reply({"success": True, "data": sync.public()})


def _bind_fresh(sync: CalendarSync, call: Call) -> bool:
    """Bind the body's account to a fresh sync (one with no account yet); whether it was fresh."""
    if sync.account is not None:
        return False
    sync.account = call.body["calendar_sync"]["account"]
    return True


@OPERATIONS.serves("connectExternalCalendar")
def connect(vendor: VcitaVendor, call: Call) -> Reply:
    sync = _registered_sync(vendor, call)
    if _bind_fresh(sync, call):
        # A fresh sync (disabled, no account): connect binds the account and enables it.
        sync.enabled = True
    elif not sync.enabled:
        # "disabled" applies only once provider and account already match.
        raise _error(vendor, "invalid", "staff account is disabled")
    return _reply(sync)


@OPERATIONS.serves("disconnectExternalCalendar")
def disconnect(vendor: VcitaVendor, call: Call) -> Reply:
    sync = _registered_sync(vendor, call)
    if vendor.settings["disconnect_result"] == CLEAR:
        sync.provider = None
        sync.account = None
    sync.enabled = False
    return _reply(sync)


@OPERATIONS.serves("disableExternalCalendar")
def disable(vendor: VcitaVendor, call: Call) -> Reply:
    sync = _registered_sync(vendor, call)
    # The verified disable workflow runs on a freshly created sync and gets the account bound.
    _bind_fresh(sync, call)
    sync.enabled = False
    return _reply(sync)


@OPERATIONS.serves("createCalendarSync")
def create_calendar_sync(vendor: VcitaVendor, call: Call) -> Reply:
    body: dict[str, Any] = call.body
    staff = _staff_in_context(vendor, call, body["staff_uid"])
    flags = {key: body[key] for key in _SYNC_FLAGS if key in body}
    sync = vendor.store.create_sync(staff.uid, body["provider"], **flags)
    if "app_code_name" in body:
        sync.app_code_name = body["app_code_name"]
    sync.account = body.get("account")
    # vcita's workflows read the new sync's uid at the top level ($.uid): no envelope.
    return Reply(sync.public())
