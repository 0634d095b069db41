"""Vendor operations whose specs declare them writes or reads (``x-changes-state``), whatever their method."""

from __future__ import annotations

from support.stepfiles import DISCONNECT

# Cal.com's calendar list creates, moves or drops the destination calendar row: a write, though a GET.
WRITES = [
    ("calcom", "GET", "/v2/calendars"),
    ("calcom", "GET", "/v2/calendars/google/save"),
    ("calcom", "GET", "/v2/calendars/office365/connect"),
    ("calcom", "POST", "/v2/calendars/google/disconnect"),
    ("recall", "POST", "/api/v1/calendar/authenticate/"),
    ("recall", "DELETE", "/api/v1/calendar/user/"),
    ("vcita", "PUT", DISCONNECT),
    ("vcita", "POST", "/platform/v1/scheduling/calendar_syncs"),
]
READS = [
    ("calcom", "GET", "/v2/calendars/google/check"),
    ("calcom", "GET", "/v2/calendars/apple/check"),
    ("recall", "GET", "/api/v1/calendar/users/"),
    ("ravan", "GET", "/api/v1/calcom/agents/a1/status"),
]
# (api, method, path, whether it changes state)
DECLARED = [(*operation, True) for operation in WRITES] + [(*operation, False) for operation in READS]
