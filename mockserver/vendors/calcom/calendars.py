"""``GET /v2/calendars``: the connected calendars and the destination calendar, as Cal.com computes them."""

from __future__ import annotations

from typing import Any

from .apps import APPLE, APPS_BY_TYPE
from .store import CalcomStore, Credential, DestinationCalendar


def calendar_entry(store: CalcomStore, credential: Credential) -> dict[str, Any]:
    """One calendar of a connected account (the fake gives every account one, its primary)."""
    apple = credential.calendar == APPLE
    return {
        "externalId": credential.external_id(),
        "integration": credential.type,
        "name": "Home" if apple else credential.account,
        # CalDAV calendars carry no primary flag; Google and Outlook mark the account's own calendar.
        "primary": None if apple else True,
        "readOnly": False,
        "email": credential.account,
        "isSelected": store.is_selected(credential),
        "credentialId": credential.id,
    }


def connected_calendar(store: CalcomStore, credential: Credential) -> dict[str, Any]:
    """One entry of ``connectedCalendars``."""
    entry: dict[str, Any] = {
        "integration": APPS_BY_TYPE[credential.type].integration(),
        "credentialId": credential.id,
    }
    if not credential.invalid:
        # An invalid credential cannot list its calendars: Cal.com shows the account without them.
        primary = calendar_entry(store, credential)
        entry["primary"] = primary
        entry["calendars"] = [dict(primary)]
    return entry


def _row(destination: DestinationCalendar) -> dict[str, Any]:
    return {
        "id": destination.id,
        "integration": destination.integration,
        "externalId": destination.external_id,
        "primaryEmail": destination.primary_email,
        "userId": destination.user_id,
        "eventTypeId": destination.event_type_id,
        "credentialId": destination.credential_id,
        "delegationCredentialId": None,
    }


def list_for_user(store: CalcomStore, user_id: int) -> dict[str, Any]:
    """``data`` of ``GET /v2/calendars``; creates, moves or drops the destination calendar like Cal.com."""
    credentials = store.user_credentials(user_id)
    connected = [connected_calendar(store, c) for c in credentials]
    destination = store.destination_calendars.get(user_id)
    # getConnectedCalendars runs with the destination as it was *before* this call, and only then is
    # the destination row created or moved; a new or moved row is answered without calendar fields.
    matched = _matching_calendar(connected, destination) if destination is not None else None
    if not connected:
        store.destination_calendars.pop(user_id, None)
        return {"connectedCalendars": [], "destinationCalendar": {}}
    first = connected[0].get("primary") or {}
    if destination is None:
        destination = store.create_destination(
            user_id,
            first.get("integration", ""),
            first.get("externalId", ""),
            first.get("email"),
            first.get("credentialId"),
        )
        return {"connectedCalendars": connected, "destinationCalendar": _row(destination)}
    if matched is None:
        # Out of date: moved to the first account's primary (Cal.com leaves credentialId as it was).
        destination.integration = first.get("integration", "")
        destination.external_id = first.get("externalId", "")
        destination.primary_email = first.get("email")
        return {"connectedCalendars": connected, "destinationCalendar": _row(destination)}
    integration_title = APPS_BY_TYPE[matched["integration"]].name
    return {
        "connectedCalendars": connected,
        "destinationCalendar": {**_row(destination), **matched, "integrationTitle": integration_title},
    }


def _matching_calendar(connected: list[dict[str, Any]], destination: DestinationCalendar) -> dict[str, Any] | None:
    for entry in connected:
        for calendar in entry.get("calendars", []):
            if calendar["externalId"] == destination.external_id and calendar["integration"] == destination.integration:
                return dict(calendar)
    return None
