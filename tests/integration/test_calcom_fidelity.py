"""Cal.com's destinationCalendar traced to Cal.com's code, one test per source.

Sources (calcom/cal.com): getConnectedDestinationCalendarsAndEnsureDefaultsInDb
(packages/features/calendars/lib/getConnectedDestinationCalendars.ts), the API v2 output DTO
(apps/api/v2/src/ee/calendars/outputs/connected-calendars.output.ts, from which the published
openapi.json is generated) and the calendars controller e2e spec.
"""

from __future__ import annotations

from typing import Any

import httpx

from mockserver.admin import InProcessAdmin

API = "calcom"

CALENDARS = "/v2/calendars"
# DestinationCalendar's properties without @IsOptional in connected-calendars.output.ts.
DTO_REQUIRED = {"id", "integration", "externalId", "primaryEmail", "userId", "eventTypeId", "credentialId"}


def listed(client: httpx.Client, token: str) -> dict[str, Any]:
    response = client.get(CALENDARS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    data: dict[str, Any] = response.json()["data"]
    return data


def test_get_connected_destination_calendars_spreads_null_and_undefined_into_an_empty_object(
    client: httpx.Client, fake_admin: InProcessAdmin
) -> None:
    user = fake_admin.apply_state("calcom", "user", {})
    assert listed(client, user["tokens"]["api_key"]) == {"connectedCalendars": [], "destinationCalendar": {}}


def test_connected_calendars_output_dto_fields_are_all_there_once_a_calendar_is_connected(
    client: httpx.Client, fake_admin: InProcessAdmin
) -> None:
    google = fake_admin.apply_state("calcom", "connected_calendar", {"count": 1})
    token = google["tokens"]["api_key"]
    created = listed(client, token)["destinationCalendar"]  # the call that creates the row
    merged = listed(client, token)["destinationCalendar"]  # later calls merge the calendar in
    for destination in (created, merged):
        assert set(destination) >= DTO_REQUIRED
    # As the e2e spec's "/GET/v2/calendars with access token" checks it.
    assert merged["integration"] == "google_calendar"


def test_handle_no_connected_calendars_deletes_the_row_so_the_answer_is_empty_again(
    client: httpx.Client, fake_admin: InProcessAdmin
) -> None:
    google = fake_admin.apply_state("calcom", "connected_calendar", {"count": 1})
    token = google["tokens"]["api_key"]
    assert listed(client, token)["destinationCalendar"]["credentialId"] == google["credential_ids"][0]
    gone = client.post(
        f"{CALENDARS}/google/disconnect",
        json={"id": google["credential_ids"][0]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert gone.status_code == 200
    assert listed(client, token)["destinationCalendar"] == {}
    assert fake_admin.state("calcom")["calcom"]["destination_calendars"] == []
