"""vcita's tokens: who may call which operation, and the 401s of Doorkeeper and of core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import envelope

if TYPE_CHECKING:
    from . import VcitaVendor

_ACTIONS = {"connectExternalCalendar", "disconnectExternalCalendar", "disableExternalCalendar"}
_PLATFORM = "createCalendarSync"
# Which token kinds each operation takes: the actions are for staff and app tokens (swagger
# "Available for Staff and App tokens"); calendar_syncs authorises staff ("user") and admin tokens
# (vcita's bulk_deactivate workflow notes on CalendarSyncsAPI.authorize_action).
_KINDS = {**{operation: {"staff", "app"} for operation in _ACTIONS}, _PLATFORM: {"staff", "admin"}}


def check(vendor: VcitaVendor, scheme: str, credential: str, operation_id: str) -> dict[str, Any]:
    """The token's info for the handler; raises vcita's 401 for anything it refuses."""
    if scheme == "apikey":
        # The platform endpoint's ``Authorization: Admin <token>`` (vcita's own test runner
        # sends admin tokens so). The whole header arrives here, also when it is a bearer
        # token the bearer alternative has already judged: answer it the same way, so the
        # two alternatives never disagree about one header.
        prefix, _, credential = credential.strip().partition(" ")
        if prefix.lower() == "bearer":
            return check(vendor, "bearer", credential.strip(), operation_id)
        if prefix != "Admin" or not credential.strip():
            raise envelope.unauthorized()
        credential = credential.strip()
    with vendor.lock:
        token = vendor.store.tokens.get(credential)
    if token is None or (token.expires_at is not None and token.expires_at <= vendor.clock.now()):
        raise envelope.unauthorized()
    if scheme == "apikey" and token.kind != "admin":
        raise envelope.unauthorized()
    if token.kind not in _KINDS.get(operation_id, set()):
        raise envelope.unauthorized(context=True)
    return {
        "kind": token.kind,
        "business_uid": token.business_uid,
        "staff_uid": token.staff_uid,
        "token": credential,
    }
