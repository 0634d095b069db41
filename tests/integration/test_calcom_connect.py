"""The Cal.com connect cycle over real HTTP: connect -> fake consent -> save -> list -> disconnect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from support.http import bearer

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

API = "calcom"

CALENDARS = "/v2/calendars"


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A client with no base URL and no credentials, as a browser following redirects."""
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def user(fake_admin: InProcessAdmin) -> dict[str, Any]:
    return fake_admin.apply_state("calcom", "user", {})


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def connect_url(client: httpx.Client, token: str, calendar: str = "google", **params: str) -> str:
    response = client.get(f"{CALENDARS}/{calendar}/connect", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"status", "data"} and body["status"] == "success"
    assert set(body["data"]) == {"authUrl"}
    auth_url: str = body["data"]["authUrl"]
    return auth_url


def consent_and_save(browser: httpx.Client, auth_url: str) -> httpx.Response:
    """What a browser does after opening authUrl, stopping before it leaves the fake."""
    consent = browser.get(auth_url, follow_redirects=False)
    assert consent.status_code == 302
    saved = browser.get(consent.headers["location"], follow_redirects=False)
    assert saved.status_code == 301, saved.text
    return saved


def listed(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    response = client.get(CALENDARS, headers=bearer(token))
    assert response.status_code == 200
    calendars: list[dict[str, Any]] = response.json()["data"]["connectedCalendars"]
    return calendars


def test_connect_list_disconnect_following_redirects_by_hand(
    client: httpx.Client, browser: httpx.Client, fake_server: ServerThread, user: dict[str, Any]
) -> None:
    token = user["tokens"]["api_key"]
    auth_url = connect_url(client, token, redir="https://app.example.com/settings/calendars")
    assert auth_url.startswith(fake_server.url("calcom") + "/fake-oauth/google/authorize?")
    state = json.loads(query(auth_url)["state"])
    assert state == {
        "accessToken": token,
        "origin": urlsplit(fake_server.base_url).netloc,  # no Origin header: Cal.com records the Host
        "redir": "https://app.example.com/settings/calendars",
    }

    # A browser opens the consent page: no Authorization header.
    consent = browser.get(auth_url, follow_redirects=False)
    assert consent.status_code == 302
    callback = consent.headers["location"]
    assert callback.startswith(fake_server.url("calcom") + "/v2/calendars/google/save?")
    assert set(query(callback)) == {"state", "code"}

    saved = browser.get(callback, follow_redirects=False)
    assert saved.status_code == 301
    assert saved.headers["location"] == "https://app.example.com/settings/calendars"
    assert saved.headers["x-request-id"]

    (entry,) = listed(client, token)
    assert entry["integration"]["type"] == "google_calendar"
    assert entry["primary"]["email"] == f"user{user['user_id']}@gmail.com"
    assert entry["primary"]["isSelected"] is True

    gone = client.post(f"{CALENDARS}/google/disconnect", json={"id": entry["credentialId"]}, headers=bearer(token))
    assert gone.status_code == 200
    assert gone.json()["data"]["id"] == entry["credentialId"]
    assert listed(client, token) == []


def test_connect_cycle_with_httpx_following_every_redirect(
    client: httpx.Client,
    browser: httpx.Client,
    fake_server: ServerThread,
    fake_admin: InProcessAdmin,
    user: dict[str, Any],
) -> None:
    token = user["tokens"]["managed_user"]
    done = fake_server.url("admin") + "/health"
    auth_url = connect_url(client, token, "office365", redir=done)
    final = browser.get(auth_url, follow_redirects=True)
    assert [r.status_code for r in final.history] == [302, 301]
    assert (final.status_code, str(final.url)) == (200, done)
    (entry,) = listed(client, token)
    assert entry["integration"]["type"] == "office365_calendar"
    assert entry["primary"]["email"] == f"user{user['user_id']}@outlook.com"
    (credential,) = fake_admin.state("calcom")["calcom"]["credentials"]
    assert (credential["user_id"], credential["app_id"]) == (user["user_id"], "office365-calendar")


def test_origin_header_is_the_default_destination(
    client: httpx.Client, browser: httpx.Client, user: dict[str, Any]
) -> None:
    token = user["tokens"]["api_key"]
    response = client.get(f"{CALENDARS}/google/connect", headers={**bearer(token), "Origin": "https://app.example.com"})
    auth_url = response.json()["data"]["authUrl"]
    assert json.loads(query(auth_url)["state"])["redir"] == ""
    callback = browser.get(auth_url, follow_redirects=False).headers["location"]
    saved = browser.get(callback, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (301, "https://app.example.com")


def test_login_hint_picks_the_account_and_reconnecting_it_adds_nothing(
    client: httpx.Client, browser: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    token = user["tokens"]["api_key"]
    for _ in range(2):
        auth_url = connect_url(client, token, redir="https://app.example.com/")
        consent_and_save(browser, auth_url + "&login_hint=ada%40example.org")
    (entry,) = listed(client, token)
    assert entry["primary"]["externalId"] == "ada@example.org"
    other = connect_url(client, token, redir="https://app.example.com/")
    consent_and_save(browser, other + "&login_hint=bob%40example.org")
    assert [e["primary"]["email"] for e in listed(client, token)] == ["ada@example.org", "bob@example.org"]
    assert len(fake_admin.state("calcom")["calcom"]["selected_calendars"]) == 2


def test_reconnecting_an_invalid_account_revives_its_credential(
    client: httpx.Client, browser: httpx.Client, fake_admin: InProcessAdmin
) -> None:
    broken = fake_admin.apply_state("calcom", "connected_calendar", {"invalid": True})
    token = broken["tokens"]["api_key"]
    (credential,) = fake_admin.state("calcom")["calcom"]["credentials"]
    auth_url = connect_url(client, token, redir="https://app.example.com/")
    consent_and_save(browser, auth_url + f"&login_hint={credential['account']}")
    (after,) = fake_admin.state("calcom")["calcom"]["credentials"]
    assert (after["id"], after["invalid"]) == (credential["id"], False)
    assert client.get(f"{CALENDARS}/google/check", headers=bearer(token)).json() == {"status": "success"}


@pytest.mark.parametrize("flow", ["deny", "dry_run"])
def test_declined_consent_or_dry_run_saves_nothing(
    client: httpx.Client, browser: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any], flow: str
) -> None:
    token = user["tokens"]["api_key"]
    params = {"redir": "https://app.example.com/"}
    if flow == "dry_run":
        params["isDryRun"] = "true"
    auth_url = connect_url(client, token, **params)
    if flow == "deny":
        auth_url += "&decision=deny"
    consent = browser.get(auth_url, follow_redirects=False)
    assert consent.status_code == 302
    if flow == "deny":
        assert query(consent.headers["location"])["error"] == "access_denied"
        assert "code" not in query(consent.headers["location"])
    before = fake_admin.state("calcom")["calcom"]["credentials"]
    saved = browser.get(consent.headers["location"], follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (301, "https://app.example.com/")
    assert fake_admin.state("calcom")["calcom"]["credentials"] == before == []


def test_connect_refuses_apple_and_unknown_calendars(
    client: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    before = fake_admin.state("calcom")
    for calendar in ("apple", "outlook"):
        response = client.get(f"{CALENDARS}/{calendar}/connect", headers=bearer(user["tokens"]["api_key"]))
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "BadRequestException",
            "message": "Invalid calendar type, available calendars are: ",
        }
    assert fake_admin.state("calcom") == before


def test_connect_needs_credentials(client: httpx.Client, browser: httpx.Client) -> None:
    response = client.get(f"{CALENDARS}/google/connect")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UnauthorizedException"


def save_url(client: httpx.Client, browser: httpx.Client, token: str) -> tuple[str, dict[str, str]]:
    callback = browser.get(connect_url(client, token, redir="https://app.example.com/"), follow_redirects=False)
    location = callback.headers["location"]
    return location.split("?", 1)[0], query(location)


def test_a_code_is_redeemed_once(
    client: httpx.Client, browser: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    url, params = save_url(client, browser, user["tokens"]["api_key"])
    assert browser.get(url, params=params, follow_redirects=False).status_code == 301
    before = fake_admin.state("calcom")
    again = browser.get(url, params=params, follow_redirects=False)
    assert again.status_code == 400
    assert again.json()["error"] == {"code": "BadRequestException", "message": "invalid_grant"}
    assert fake_admin.state("calcom") == before


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        (
            {"state": "{}"},
            400,
            {"code": "BAD_REQUEST", "message": "origin - Required, accessToken - Required, "},
        ),
        ({"state": None}, 400, {"code": "BadRequestException", "message": "Bad Request Exception"}),
        ({"token": "unknown-token"}, 401, {"code": "UnauthorizedException", "message": "Invalid Access token."}),
        (
            {"calendar": "apple"},
            400,
            {"code": "BadRequestException", "message": "Invalid calendar type, available calendars are: "},
        ),
        ({"code": "forged"}, 400, {"code": "BadRequestException", "message": "invalid_grant"}),
    ],
)
def test_bad_save_calls_change_nothing(
    client: httpx.Client,
    browser: httpx.Client,
    fake_admin: InProcessAdmin,
    user: dict[str, Any],
    change: dict[str, Any],
    status: int,
    error: dict[str, str],
) -> None:
    url, params = save_url(client, browser, user["tokens"]["api_key"])
    if "token" in change:
        params["state"] = json.dumps({**json.loads(params["state"]), "accessToken": change["token"]})
    if "calendar" in change:
        url = url.replace("/google/", f"/{change['calendar']}/")
    if "state" in change:
        if change["state"] is None:
            del params["state"]
        else:
            params["state"] = change["state"]
    if "code" in change:
        params["code"] = change["code"]
    before = fake_admin.state("calcom")
    response = browser.get(url, params=params, follow_redirects=False)
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "error" and body["path"] == urlsplit(url).path.removeprefix("/calcom")
    assert body["error"] == error
    assert fake_admin.state("calcom") == before


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/fake-oauth/apple/authorize?redirect_uri=https%3A%2F%2Fa.example%2F&state=s", 400, "BadRequestException"),
        ("/fake-oauth/google/authorize?redirect_uri=%2Frelative&state=s", 400, "BadRequestException"),
        ("/fake-oauth/google/authorize?state=s", 400, "BadRequestException"),
        (
            "/fake-oauth/google/authorize?redirect_uri=https%3A%2F%2Fa.example%2F&state=s&decision=maybe",
            400,
            "BadRequestException",
        ),
    ],
)
def test_bad_consent_requests(
    client: httpx.Client, fake_admin: InProcessAdmin, path: str, status: int, code: str
) -> None:
    before = fake_admin.state("calcom")
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert fake_admin.state("calcom") == before


def test_journal_names_each_step(
    client: httpx.Client, browser: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    consent_and_save(browser, connect_url(client, user["tokens"]["api_key"], redir="https://app.example.com/"))
    operations = [entry["operationId"] for entry in reversed(fake_admin.requests("calcom"))]
    assert operations == ["CalendarsController_redirect", "FakeOAuth_consent", "CalendarsController_save"]


def test_redirect_locations_are_percent_encoded(
    client: httpx.Client, browser: httpx.Client, user: dict[str, Any]
) -> None:
    auth_url = connect_url(client, user["tokens"]["api_key"], redir="https://app.example.com/café?x=1%202")
    saved = consent_and_save(browser, auth_url)
    assert saved.headers["location"] == "https://app.example.com/caf%C3%A9?x=1%202"
    assert saved.text == "Moved Permanently. Redirecting to https://app.example.com/caf%C3%A9?x=1%202"
