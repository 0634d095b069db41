"""The measured operations: how to set up state for each, and the exact requests sent.

Every scenario seeds ``actors`` through the control plane (named provider states), and each actor
owns a short *cycle* of requests. A load generator sends request ``i`` from actor ``i % actors``,
step ``(i // actors) % len(cycle)``; with many more actors than connections an actor's previous
request has been answered long before its next one goes out, so stateful cycles stay consistent.

The same requests go to Prism, minus the ``/<api>`` prefix (Prism serves one spec at its root).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class AdminLike(Protocol):
    """The part of the control plane the scenarios use (in process or over HTTP)."""

    def apply_state(self, api: str, state: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Request:
    """One HTTP request, path relative to the fake's prefix (``/v2/calendars``)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def with_prefix(self, prefix: str) -> Request:
        """The same request below ``prefix`` (``/calcom``); an empty prefix keeps it as it is."""
        return Request(self.method, prefix + self.path, self.headers, self.body)


# One actor's requests, sent in order over and over. The first step must succeed in whatever
# state the previous run left the actor: every run starts each actor there again, and wrk's
# script check asks for one first step it never sends.
Cycle = tuple[Request, ...]


@dataclass(frozen=True)
class Scenario:
    """One measured operation."""

    key: str  # command-line name
    title: str  # row label
    api: str  # the fake's name and prefix
    spec: str  # the spec Prism serves
    what: str  # what exactly is measured, printed under the table
    make_cycle: Callable[[AdminLike], Cycle]

    def actors(self, admin: AdminLike, count: int) -> list[Cycle]:
        """Seed ``count`` independent actors and return each one's request cycle."""
        return [self.make_cycle(admin) for _ in range(count)]


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


_JSON = {"Content-Type": "application/json"}
_VCITA_ACTION = "/business/scheduling/v1/external_calendar_items"


def _vcita_sync(admin: AdminLike) -> dict[str, Any]:
    return admin.apply_state("vcita", "calendar_sync", {"provider": "google_v3", "account": "bench@example.com"})


def _vcita_action_body(data: dict[str, Any]) -> bytes:
    return _json(
        {"staff_uid": data["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "bench@example.com"}}
    )


def _vcita_disconnect_cycle(admin: AdminLike) -> Cycle:
    data = _vcita_sync(admin)
    disconnect = Request(
        "PUT",
        f"{_VCITA_ACTION}/disconnect",
        {**_JSON, "Authorization": f"Bearer {data['tokens']['staff']}"},
        _vcita_action_body(data),
    )
    # The admin-only endpoint gives the staff member a fresh, connected sync again.
    recreate = Request(
        "POST",
        "/platform/v1/scheduling/calendar_syncs",
        {**_JSON, "Authorization": f"Bearer {data['tokens']['admin']}"},
        _json({"staff_uid": data["staff_uid"], "provider": "google_v3", "account": "bench@example.com"}),
    )
    # Recreate first: every run starts again at step 0, whatever step the last run stopped at,
    # and recreating works in either state while a disconnect needs a connected sync.
    return (recreate, disconnect)


def _vcita_disable_cycle(admin: AdminLike) -> Cycle:
    data = _vcita_sync(admin)
    return (
        Request(
            "PUT",
            f"{_VCITA_ACTION}/disable",
            {**_JSON, "Authorization": f"Bearer {data['tokens']['staff']}"},
            _vcita_action_body(data),
        ),
    )


def _calcom_calendars_cycle(admin: AdminLike) -> Cycle:
    data = admin.apply_state("calcom", "connected_calendar", {"type": "google", "count": 1})
    return (Request("GET", "/v2/calendars", {"Authorization": f"Bearer {data['tokens']['api_key']}"}),)


def _recall_disconnect_cycle(admin: AdminLike) -> Cycle:
    data = admin.apply_state("recall", "calendar_user", {"google": "bench@example.com"})
    return (
        Request(
            "POST",
            "/api/v1/calendar/user/disconnect/",
            {**_JSON, "x-recallcalendarauthtoken": data["tokens"]["calendar"]},
            _json({"platform": "google"}),
        ),
    )


SCENARIOS: dict[str, Scenario] = {
    s.key: s
    for s in (
        Scenario(
            "vcita-disconnect",
            "vcita disconnect (PUT)",
            "vcita",
            "vcita.yaml",
            "vcita: each staff member alternates the admin POST /platform/v1/scheduling/calendar_syncs "
            "that connects its calendar (200) and PUT .../external_calendar_items/disconnect, a real "
            "disconnect (200); half of the requests are disconnects",
            _vcita_disconnect_cycle,
        ),
        Scenario(
            "vcita-disable",
            "vcita disable (PUT)",
            "vcita",
            "vcita.yaml",
            "vcita: PUT .../external_calendar_items/disable on a connected sync, repeated (200 each time; "
            "same body, auth and lookup as disconnect)",
            _vcita_disable_cycle,
        ),
        Scenario(
            "calcom-calendars",
            "Cal.com GET /v2/calendars",
            "calcom",
            "calcom.yaml",
            "Cal.com: GET /v2/calendars with an API key for a user with one connected Google account",
            _calcom_calendars_cycle,
        ),
        Scenario(
            "recall-disconnect",
            "Recall disconnect (POST)",
            "recall",
            "recall.yaml",
            "Recall: POST /api/v1/calendar/user/disconnect/ {platform: google}; the first call per user "
            "disconnects, repeats are the documented 200 no-op",
            _recall_disconnect_cycle,
        ),
    )
}
"""Every scenario, by command-line name, in report order."""

DEFAULT_SCENARIOS = ("vcita-disconnect", "vcita-disable", "calcom-calendars", "recall-disconnect")
