"""The Cal.com fake over real HTTP: disconnect, list, auth, Apple credentials, check, bad input, limits."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from support.http import Refusals, bearer, raw

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

API = "calcom"

CALENDARS = "/v2/calendars"
NO_AUTH = (
    "ApiAuthStrategy - No authentication method provided. Either pass an API key as 'Bearer' header or OAuth "
    "client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers"
)
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def google(fake_admin: InProcessAdmin) -> dict[str, Any]:
    return fake_admin.apply_state("calcom", "connected_calendar", {"count": 2})


def assert_error(response: httpx.Response, status: int, code: str, message: str) -> None:
    """Cal.com's envelope, exactly: timestamp and path are checked for shape and value."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert UUID.match(response.headers["x-request-id"])
    body = response.json()
    assert set(body) == {"status", "timestamp", "path", "error"}
    assert ISO_MILLIS.match(body["timestamp"])
    assert body["status"] == "error"
    assert body["path"] == response.request.url.path.removeprefix("/calcom")
    assert body["error"] == {"code": code, "message": message}


def credential_ids(client: httpx.Client, token: str) -> list[int]:
    listed = client.get(CALENDARS, headers=bearer(token))
    assert listed.status_code == 200
    return [entry["credentialId"] for entry in listed.json()["data"]["connectedCalendars"]]


# -- disconnect -------------------------------------------------------------------------------------
def test_disconnect_deletes_and_list_reflects_it(client: httpx.Client, google: dict[str, Any]) -> None:
    token = google["tokens"]["api_key"]
    first, second = google["credential_ids"]
    assert credential_ids(client, token) == [first, second]
    response = client.post(f"{CALENDARS}/google/disconnect", json={"id": first}, headers=bearer(token))
    assert response.status_code == 200
    assert UUID.match(response.headers["x-request-id"])
    assert response.json() == {
        "status": "success",
        "data": {
            "id": first,
            "type": "google_calendar",
            "userId": google["user_id"],
            "teamId": None,
            "appId": "google-calendar",
            "invalid": False,
        },
    }
    assert credential_ids(client, token) == [second]
    repeat = client.post(f"{CALENDARS}/google/disconnect", json={"id": first}, headers=bearer(token))
    assert_error(repeat, 404, "NotFoundException", "Calendar credentials not found")


def test_list_shows_credentials_and_destination(client: httpx.Client, google: dict[str, Any]) -> None:
    token = google["tokens"]["api_key"]
    client.get(CALENDARS, headers=bearer(token))  # the first call creates the destination row
    data = client.get(CALENDARS, headers=bearer(token)).json()["data"]
    first = data["connectedCalendars"][0]
    assert first["credentialId"] == google["credential_ids"][0]
    assert first["integration"]["type"] == "google_calendar"
    assert first["primary"]["credentialId"] == google["credential_ids"][0]
    assert data["destinationCalendar"]["credentialId"] == google["credential_ids"][0]
    assert data["destinationCalendar"]["integrationTitle"] == "Google Calendar"
    for credential_id in google["credential_ids"]:
        client.post(f"{CALENDARS}/google/disconnect", json={"id": credential_id}, headers=bearer(token))
    emptied = client.get(CALENDARS, headers=bearer(token))
    assert emptied.json() == {"status": "success", "data": {"connectedCalendars": [], "destinationCalendar": {}}}


@pytest.mark.parametrize("segment", ["apple", "office365", "foo"])
def test_calendar_segment_is_not_checked(client: httpx.Client, google: dict[str, Any], segment: str) -> None:
    credential_id = google["credential_ids"][0]
    response = client.post(
        f"{CALENDARS}/{segment}/disconnect", json={"id": credential_id}, headers=bearer(google["tokens"]["api_key"])
    )
    assert response.status_code == 200
    assert response.json()["data"]["type"] == "google_calendar"
    assert credential_id not in credential_ids(client, google["tokens"]["api_key"])


def test_another_users_credential_is_404_and_untouched(
    client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    other = fake_admin.apply_state("calcom", "user", {})
    before = fake_admin.state("calcom")
    response = client.post(
        f"{CALENDARS}/google/disconnect",
        json={"id": google["credential_ids"][0]},
        headers=bearer(other["tokens"]["api_key"]),
    )
    assert_error(response, 404, "NotFoundException", "Calendar credentials not found")
    assert fake_admin.state("calcom") == before


def test_unknown_id_is_404(client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin) -> None:
    before = fake_admin.state("calcom")
    response = client.post(
        f"{CALENDARS}/google/disconnect", json={"id": 999999}, headers=bearer(google["tokens"]["api_key"])
    )
    assert_error(response, 404, "NotFoundException", "Calendar credentials not found")
    assert fake_admin.state("calcom") == before


def test_unknown_body_fields_are_stripped(client: httpx.Client, google: dict[str, Any]) -> None:
    response = client.post(
        f"{CALENDARS}/google/disconnect",
        json={"id": google["credential_ids"][0], "userId": 12345, "extra": {"x": 1}},
        headers=bearer(google["tokens"]["api_key"]),
    )
    assert response.status_code == 200
    assert response.json()["data"]["userId"] == google["user_id"]


@pytest.mark.parametrize("kind", ["managed_user", "oauth"])
def test_access_tokens_disconnect_too(client: httpx.Client, google: dict[str, Any], kind: str) -> None:
    response = client.post(
        f"{CALENDARS}/google/disconnect",
        json={"id": google["credential_ids"][0]},
        headers={**bearer(google["tokens"][kind]), "cal-api-version": "2099-01-01"},
    )
    assert response.status_code == 200


# -- auth -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, NO_AUTH),
        ({"Authorization": "Basic dTpw"}, NO_AUTH),
        (
            {"Authorization": "Bearer cal_0123456789abcdef0123456789abcdef"},
            "ApiAuthStrategy - api key - Your api key is not valid",
        ),
        ({"Authorization": "Bearer not-a-token"}, "Invalid Access Token."),
    ],
)
def test_missing_or_unknown_credentials_are_401(
    refusals: Refusals, google: dict[str, Any], headers: dict[str, str], message: str
) -> None:
    response = refusals.request(
        "POST", f"{CALENDARS}/google/disconnect", json={"id": google["credential_ids"][0]}, headers=headers
    )
    assert_error(response, 401, "UnauthorizedException", message)


@pytest.mark.parametrize(
    ("kind", "status", "code", "message"),
    [
        ("api_key", 401, "UnauthorizedException", "ApiAuthStrategy - api key - Your api key is expired"),
        ("managed_user", 498, "TokenExpiredException", "ACCESS_TOKEN_IS_EXPIRED"),
        ("oauth", 401, "UnauthorizedException", "Invalid Access Token."),
    ],
)
def test_expired_credentials(
    client: httpx.Client,
    google: dict[str, Any],
    fake_admin: InProcessAdmin,
    kind: str,
    status: int,
    code: str,
    message: str,
) -> None:
    token = fake_admin.mint_token("calcom", kind, expired=True, user_id=google["user_id"])
    before = fake_admin.state("calcom")
    response = client.post(
        f"{CALENDARS}/google/disconnect", json={"id": google["credential_ids"][0]}, headers=bearer(token)
    )
    assert_error(response, status, code, message)
    assert fake_admin.state("calcom") == before


def test_managed_user_token_expires_when_the_clock_moves(
    client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    token = google["tokens"]["managed_user"]
    assert client.get(CALENDARS, headers=bearer(token)).status_code == 200
    fake_admin.advance_clock(3600)
    assert_error(client.get(CALENDARS, headers=bearer(token)), 498, "TokenExpiredException", "ACCESS_TOKEN_IS_EXPIRED")


def test_oauth_token_without_apps_write_is_403(
    client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin, fake_server: ServerThread
) -> None:
    minted = httpx.post(
        fake_server.url("admin") + "/tokens",
        json={"api": "calcom", "kind": "oauth", "user_id": google["user_id"], "scopes": ["APPS_READ", "BOOKING_READ"]},
    )
    assert minted.status_code == 201
    token = minted.json()["token"]
    before = fake_admin.state("calcom")
    response = client.post(
        f"{CALENDARS}/google/disconnect", json={"id": google["credential_ids"][0]}, headers=bearer(token)
    )
    assert_error(
        response,
        403,
        "ForbiddenException",
        "insufficient_scope: token does not have the required scopes. Required: APPS_WRITE. "
        "Token has: APPS_READ, BOOKING_READ",
    )
    assert fake_admin.state("calcom") == before
    assert client.get(CALENDARS, headers=bearer(token)).status_code == 200, "APPS_READ is enough to list"


# -- bad input ---------------------------------------------------------------------------------------
JSON = {"Content-Type": "application/json"}
# Every one is refused with a 400.
BAD_BODIES = [
    pytest.param({"json": {}}, "Bad Request Exception", id="missing-id"),
    pytest.param({"json": {"id": "1"}}, "Bad Request Exception", id="string-id"),
    pytest.param({"json": {"id": 1.5}}, "Bad Request Exception", id="float-id"),
    pytest.param({"json": {"id": None}}, "Bad Request Exception", id="null-id"),
    pytest.param({"json": {"id": True}}, "Bad Request Exception", id="bool-id"),
    pytest.param({"json": [1]}, "Bad Request Exception", id="array-body"),
    pytest.param(raw(b"id=1", "application/x-www-form-urlencoded"), "Bad Request Exception", id="form-body"),
    pytest.param(raw(b"1", "text/plain"), "Bad Request Exception", id="text-body"),
    pytest.param(
        raw(b'{"id": 1'),
        "the body is not valid JSON: Expecting ',' delimiter: line 1 column 9 (char 8)",
        id="malformed-json",
    ),
    pytest.param(raw(b'{"id": "\xff"}'), "the body is not valid utf-8: invalid start byte", id="invalid-utf8"),
    pytest.param(raw(b""), "the request body is missing", id="empty-body"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_BODIES)
def test_bad_bodies_get_cal_com_envelope_and_change_nothing(
    refusals: Refusals, google: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    response = refusals.send(bearer(google["tokens"]["api_key"]), "POST", f"{CALENDARS}/google/disconnect", kwargs)
    assert_error(response, 400, "BadRequestException", message)


def test_body_over_one_mib_is_413(client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin) -> None:
    before = fake_admin.state("calcom")
    padding = "x" * (1024 * 1024)
    response = client.post(
        f"{CALENDARS}/google/disconnect",
        content=f'{{"id": {google["credential_ids"][0]}, "pad": "{padding}"}}'.encode(),
        headers={**bearer(google["tokens"]["api_key"]), **JSON},
    )
    assert_error(response, 413, "PayloadTooLargeException", "Payload Too Large")
    assert fake_admin.state("calcom") == before


def test_unknown_path_is_404(client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin) -> None:
    before = fake_admin.state("calcom")
    for path in ("/v2/nope", f"{CALENDARS}/google/disconnect/extra", "/v1/calendars"):
        response = client.get(path, headers=bearer(google["tokens"]["api_key"]))
        assert_error(response, 404, "NotFoundException", "Not Found")
    assert fake_admin.state("calcom") == before


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", f"{CALENDARS}/google/disconnect", "POST"),
        ("DELETE", f"{CALENDARS}/google/disconnect", "POST"),
        ("PUT", f"{CALENDARS}/google/disconnect", "POST"),
        ("POST", CALENDARS, "GET"),
        ("DELETE", f"{CALENDARS}/google/connect", "GET"),
        ("GET", f"{CALENDARS}/apple/credentials", "POST"),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin, method: str, path: str, allow: str
) -> None:
    before = fake_admin.state("calcom")
    response = client.request(method, path, headers=bearer(google["tokens"]["api_key"]))
    assert_error(response, 405, "MethodNotAllowedException", "Method Not Allowed")
    assert response.headers["allow"] == allow
    assert fake_admin.state("calcom") == before


def test_bad_query_parameter_is_400(client: httpx.Client, google: dict[str, Any]) -> None:
    response = client.get(
        f"{CALENDARS}/google/connect", params={"isDryRun": "maybe"}, headers=bearer(google["tokens"]["api_key"])
    )
    assert_error(response, 400, "BadRequestException", "Bad Request Exception")


# -- rate limit --------------------------------------------------------------------------------------
def test_121st_call_in_a_minute_is_429_until_the_clock_moves(
    client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    assert fake_admin.settings()["apis"]["calcom"]["rate_limits"]["api_key"] == {"limit": 120, "window_seconds": 60.0}
    # Start at the beginning of a one-minute window so that all the calls fall in the same window.
    fake_admin.advance_clock(60 - fake_admin.runtime.clock.now() % 60 + 0.001)
    headers = bearer(google["tokens"]["api_key"])
    codes = [client.get(CALENDARS, headers=headers).status_code for _ in range(120)]
    assert codes == [200] * 120
    throttled = client.get(CALENDARS, headers=headers)
    assert_error(throttled, 429, "ThrottlerException", "ThrottlerException: Too Many Requests")
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    other = fake_admin.apply_state("calcom", "user", {})
    assert client.get(CALENDARS, headers=bearer(other["tokens"]["api_key"])).status_code == 200, "per API key"
    fake_admin.advance_clock(60)
    assert client.get(CALENDARS, headers=headers).status_code == 200


# -- Apple credentials and check ------------------------------------------------------------------------
def test_apple_credentials_and_check(client: httpx.Client, fake_admin: InProcessAdmin) -> None:
    user = fake_admin.apply_state("calcom", "user", {})
    headers = bearer(user["tokens"]["api_key"])
    missing = client.get(f"{CALENDARS}/apple/check", headers=headers)
    assert_error(missing, 400, "BadRequestException", "Credentials for apple calendar not found.")
    created = client.post(
        f"{CALENDARS}/apple/credentials", json={"username": "ada@icloud.com", "password": "pw-1"}, headers=headers
    )
    assert (created.status_code, created.json()) == (201, {"status": "success"})
    assert (client.get(f"{CALENDARS}/apple/check", headers=headers).json()) == {"status": "success"}
    (credential,) = fake_admin.state("calcom")["calcom"]["credentials"]
    assert (credential["type"], credential["app_id"], credential["account"]) == (
        "apple_calendar",
        "apple-calendar",
        "ada@icloud.com",
    )

    same = client.post(
        f"{CALENDARS}/apple/credentials", json={"username": "ada@icloud.com", "password": "pw-1"}, headers=headers
    )
    assert same.status_code == 201
    assert fake_admin.state("calcom")["calcom"]["credentials"] == [credential], "same pair: no-op"
    updated = client.post(
        f"{CALENDARS}/apple/credentials", json={"username": "ada@icloud.com", "password": "pw-2"}, headers=headers
    )
    assert updated.status_code == 201
    (after,) = fake_admin.state("calcom")["calcom"]["credentials"]
    assert after["id"] == credential["id"] and after["key_fingerprint"] != credential["key_fingerprint"]
    another = client.post(
        f"{CALENDARS}/apple/credentials",
        json={"username": "bob@icloud.com", "password": "pw-1", "x": 1},
        headers=headers,
    )
    assert another.status_code == 201
    listed = client.get(CALENDARS, headers=headers).json()["data"]["connectedCalendars"]
    assert [entry["integration"]["type"] for entry in listed] == ["apple_calendar", "apple_calendar"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            f"{CALENDARS}/apple/credentials",
            {"username": "a", "password": "long-enough"},
            "Username or password cannot be empty",
        ),
        (
            f"{CALENDARS}/apple/credentials",
            {"username": "ada@icloud.com", "password": ""},
            "Username or password cannot be empty",
        ),
        (
            f"{CALENDARS}/google/credentials",
            {"username": "ada", "password": "pw"},
            "Invalid calendar type, available calendars are: ",
        ),
        (f"{CALENDARS}/apple/credentials", {"username": "ada"}, "Bad Request Exception"),
        (f"{CALENDARS}/apple/credentials", {"username": 7, "password": "pw"}, "Bad Request Exception"),
    ],
)
def test_bad_apple_credentials_are_400_and_change_nothing(
    client: httpx.Client, fake_admin: InProcessAdmin, path: str, body: dict[str, Any], message: str
) -> None:
    user = fake_admin.apply_state("calcom", "user", {})
    before = fake_admin.state("calcom")
    response = client.post(path, json=body, headers=bearer(user["tokens"]["api_key"]))
    assert_error(response, 400, "BadRequestException", message)
    assert fake_admin.state("calcom") == before


@pytest.mark.parametrize(
    ("calendar", "invalid", "message"),
    [
        ("google", None, "Credentials for google_calendar not found."),
        ("office365", None, "Credentials for office_365_calendar not found."),
        ("google", True, "Invalid google OAuth credentials."),
        ("office365", True, "Invalid office 365 calendar credentials."),
        ("apple", True, "Invalid apple calendar credentials."),
        ("icloud", None, "Invalid calendar type, available calendars are: "),
    ],
)
def test_check_errors(
    client: httpx.Client, fake_admin: InProcessAdmin, calendar: str, invalid: bool | None, message: str
) -> None:
    if invalid is None:
        token = fake_admin.apply_state("calcom", "user", {})["tokens"]["api_key"]
    else:
        token = fake_admin.apply_state("calcom", "connected_calendar", {"type": calendar, "invalid": True})["tokens"][
            "api_key"
        ]
    assert_error(
        client.get(f"{CALENDARS}/{calendar}/check", headers=bearer(token)), 400, "BadRequestException", message
    )


@pytest.mark.parametrize("calendar", ["google", "office365", "apple"])
def test_check_succeeds_for_a_valid_credential(client: httpx.Client, fake_admin: InProcessAdmin, calendar: str) -> None:
    token = fake_admin.apply_state("calcom", "connected_calendar", {"type": calendar})["tokens"]["api_key"]
    response = client.get(f"{CALENDARS}/{calendar}/check", headers=bearer(token))
    assert (response.status_code, response.json()) == (200, {"status": "success"})


# -- faults and the served spec ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (500, "INTERNAL_SERVER_ERROR", "Internal server error."),
        (503, "ServiceUnavailableException", "Service Unavailable"),
    ],
)
def test_injected_faults_use_cal_com_envelope(
    client: httpx.Client, google: dict[str, Any], fake_admin: InProcessAdmin, status: int, code: str, message: str
) -> None:
    fake_admin.add_fault("calcom", "CalendarsController_deleteCalendarCredentials", status=status, times=1)
    before = fake_admin.state("calcom")
    response = client.post(
        f"{CALENDARS}/google/disconnect",
        json={"id": google["credential_ids"][0]},
        headers=bearer(google["tokens"]["api_key"]),
    )
    assert_error(response, status, code, message)
    assert fake_admin.state("calcom") == before


def test_served_spec_keeps_seed_names_and_a_plain_calendar_parameter(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/v2/calendars/{calendar}/disconnect"]["post"]
    assert operation["operationId"] == "CalendarsController_deleteCalendarCredentials"
    (calendar,) = [p for p in operation["parameters"] if p["name"] == "calendar"]
    assert calendar["schema"] == {"type": "string"}
    assert calendar["x-enum"] == ["apple", "google", "office365"]
    for name in (
        "DeleteCalendarCredentialsInputBodyDto",
        "DeletedCalendarCredentialsOutputResponseDto",
        "ApiErrorResponse",
    ):
        assert name in spec["components"]["schemas"]
    assert spec["paths"]["/fake-oauth/{calendar}/authorize"]["get"]["x-fake-only"] is True
