"""vcita's provider states: the prerequisites the public API cannot create."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import AdminError
from ...interface import Param, ProviderState
from .store import PROVIDER_APP_CODES

if TYPE_CHECKING:
    from . import VcitaVendor


def _tokens(vendor: VcitaVendor, business_uid: str, staff_uid: str) -> dict[str, str]:
    store = vendor.store
    return {
        "staff": store.issue_token("staff", business_uid, staff_uid, None),
        "app": store.issue_token("app", business_uid, None, None),
        "admin": store.issue_token("admin", business_uid, None, None),
    }


def _staff(vendor: VcitaVendor, params: dict[str, Any]) -> dict[str, Any]:
    store = vendor.store
    business_uid = params.get("business_uid")
    if business_uid is None:
        business_uid = store.add_business().uid
    elif business_uid not in store.businesses:
        raise AdminError(400, "invalid_params", f"vcita/staff: unknown business_uid {business_uid!r}")
    staff = store.add_staff(business_uid, params.get("name"))
    return {"business_uid": business_uid, "staff_uid": staff.uid, "tokens": _tokens(vendor, business_uid, staff.uid)}


def _calendar_sync(vendor: VcitaVendor, params: dict[str, Any]) -> dict[str, Any]:
    store = vendor.store
    staff_uid = params.get("staff_uid")
    if staff_uid is None:
        created = _staff(vendor, {})
        business_uid, staff_uid = created["business_uid"], created["staff_uid"]
        tokens = created["tokens"]
    else:
        staff = store.staff.get(staff_uid)
        if staff is None:
            raise AdminError(400, "invalid_params", f"vcita/calendar_sync: unknown staff_uid {staff_uid!r}")
        business_uid = staff.business_uid
        tokens = _tokens(vendor, business_uid, staff_uid)
    sync = store.create_sync(staff_uid, params["provider"], enabled=params["enabled"])
    sync.account = params.get("account")
    return {
        "business_uid": business_uid,
        "staff_uid": staff_uid,
        "calendar_sync_uid": sync.uid,
        "provider": sync.provider,
        "account": sync.account,
        "tokens": tokens,
    }


def provider_states(vendor: VcitaVendor) -> dict[str, ProviderState]:
    """The vcita states, bound to one vendor instance."""
    return {
        "staff": ProviderState(
            "staff",
            "A business with one staff member (or a new staff member in an existing business).",
            {
                "business_uid": Param("string", description="add the staff member to this business"),
                "name": Param("string", description="the staff member's name"),
            },
            lambda params: _staff(vendor, params),
        ),
        "calendar_sync": ProviderState(
            "calendar_sync",
            "A staff member with a CalendarSync, as vcita's UI or OAuth flow would leave it.",
            {
                "provider": Param("string", default="google_v3", enum=tuple(PROVIDER_APP_CODES)),
                "account": Param("string", description="the bound account; unbound when absent", nullable=True),
                "enabled": Param(
                    "boolean",
                    default=True,
                    description="false with no account is how POST /platform/v1/scheduling/calendar_syncs leaves it",
                ),
                "staff_uid": Param("string", description="use this staff member; a new business and staff otherwise"),
            },
            lambda params: _calendar_sync(vendor, params),
        ),
    }
