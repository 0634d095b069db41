"""vcita operations, by operationId. Each runs with the vendor's lock held."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import VendorError
from ...interface import Call, Reply
from .envelope import envelope, item, unauthorized
from .store import CalendarSync, Staff

if TYPE_CHECKING:
    from . import VcitaVendor


def _error(vendor: VcitaVendor, code: str, message: str, field: str = "staff") -> VendorError:
    return VendorError(422, envelope(vendor.settings["error_envelope"], [item(code, message, field)]))


def _staff_in_context(vendor: VcitaVendor, call: Call, staff_uid: str) -> Staff:
    staff = vendor.store.staff.get(staff_uid)
    if staff is None:
        raise _error(vendor, "missing", "staff is not exists")
    assert call.auth is not None  # every vcita operation requires a token
    if staff.business_uid != call.auth["business_uid"]:
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


def connect(vendor: VcitaVendor, call: Call) -> Reply:
    sync = _registered_sync(vendor, call)
    if not sync.enabled:
        raise _error(vendor, "invalid", "staff account is disabled")
    sync.account = call.body["calendar_sync"]["account"]
    return Reply({"success": True, "data": sync.public()})


def disconnect(vendor: VcitaVendor, call: Call) -> Reply:
    sync = _registered_sync(vendor, call)
    sync.provider = None
    sync.account = None
    sync.enabled = False
    return Reply({"success": True, "data": sync.public()})


def disable(vendor: VcitaVendor, call: Call) -> Reply:
    sync = _registered_sync(vendor, call)
    sync.enabled = False
    return Reply({"success": True, "data": sync.public()})


def create_calendar_sync(vendor: VcitaVendor, call: Call) -> Reply:
    body: dict[str, Any] = call.body
    staff = _staff_in_context(vendor, call, body["staff_uid"])
    flags = {
        key: body[key]
        for key in ("should_import", "should_export", "is_private_import", "is_private_export")
        if key in body
    }
    sync = vendor.store.create_sync(staff.uid, body["provider"], **flags)
    if "app_code_name" in body:
        sync.app_code_name = body["app_code_name"]
    sync.account = body.get("account")
    return Reply({"status": "OK", "data": sync.public()})
