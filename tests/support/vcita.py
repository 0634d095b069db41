"""vcita request bodies and answers that the vcita test modules share."""

from __future__ import annotations

from typing import Any


def action(staff_uid: str, provider: str = "google_v3", account: str = "testuser@gmail.com") -> dict[str, Any]:
    """The body of connect, disable and disconnect: the staff member and the calendar it names."""
    return {"staff_uid": staff_uid, "calendar_sync": {"provider": provider, "account": account}}


def disconnect_reply(sync_uid: str, staff_uid: str) -> dict[str, Any]:
    """Seed 004's "Expected Response (200)" of a disconnect, with these ids, plus the swagger's seven flags."""
    return {
        "success": True,
        "data": {
            "uid": sync_uid,
            "staff_uid": staff_uid,
            "provider": None,
            "account": None,
            "enabled": False,
            "should_import": True,
            "should_export": False,
            "is_external_app": True,
            "is_private_import": False,
            "is_private_export": False,
            "is_staff_disable_ics": False,
            "is_business_disable_ics": False,
        },
    }
