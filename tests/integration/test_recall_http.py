"""The Recall.ai Calendar V1 fake over real HTTP: every status it answers, in DRF's bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.http import Refusals, raw

from mockserver.admin import HttpAdmin, InProcessAdmin
from mockserver.server import ServerThread

API = "recall"

CAL = "/api/v1/calendar"
NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
INVALID = {"detail": "Invalid token."}


@pytest.fixture
def both(fake_admin: InProcessAdmin) -> dict[str, Any]:
    """A calendar user with Google and Microsoft connected."""
    return fake_admin.apply_state(
        "recall", "calendar_user", {"user_id": "ext-1", "google": "g@example.com", "microsoft": "m@example.com"}
    )


def cal(data: dict[str, Any]) -> dict[str, str]:
    return {"x-recallcalendarauthtoken": data["tokens"]["calendar"]}


def ws(data: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Token {data['tokens']['workspace']}"}


def state(admin: InProcessAdmin) -> dict[str, Any]:
    return admin.state("recall")["recall"]


def align_to_rate_window(fake_server: ServerThread, admin: InProcessAdmin) -> None:
    """Move the clock just past the start of a minute, so a burst cannot straddle two windows."""
    now = fake_server.app.runtime.clock.now()
    admin.advance_clock(60 - now % 60 + 0.05)


def test_disconnect_google_keeps_microsoft(client: httpx.Client, both: dict[str, Any]) -> None:
    before = client.get(f"{CAL}/user/", headers=cal(both)).json()
    # Unknown fields are ignored, as DRF does.
    response = client.post(f"{CAL}/user/disconnect/", json={"platform": "google", "note": 1}, headers=cal(both))
    assert response.status_code == 200
    assert response.json() == {
        "id": both["calendar_user_id"],
        "external_id": "ext-1",
        "connections": [
            {"platform": "google", "connected": False, "email": None, "id": None},
            before["connections"][1],
        ],
        "preferences": before["preferences"],
    }
    assert before["connections"][1]["connected"] is True and before["connections"][1]["email"] == "m@example.com"
    assert client.get(f"{CAL}/user/", headers=cal(both)).json() == response.json()


def test_disconnect_twice_and_a_platform_never_connected(
    client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    first = client.post(f"{CAL}/user/disconnect/", json={"platform": "microsoft"}, headers=cal(both))
    after_first = state(fake_admin)
    second = client.post(f"{CAL}/user/disconnect/", json={"platform": "microsoft"}, headers=cal(both))
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert state(fake_admin) == after_first
    lone = fake_admin.apply_state("recall", "calendar_user", {"user_id": "ext-2", "google": "x@example.com"})
    before = state(fake_admin)
    untouched = client.post(f"{CAL}/user/disconnect/", json={"platform": "microsoft"}, headers=cal(lone))
    assert untouched.status_code == 200
    assert untouched.json()["connections"][0] == {
        "platform": "google",
        "connected": True,
        "email": "x@example.com",
        "id": untouched.json()["connections"][0]["id"],
    }
    assert state(fake_admin) == before


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"json": {"platform": "foo"}}, {"platform": ['"foo" is not a valid choice.']}),
        ({"json": {"platform": "Google"}}, {"platform": ['"Google" is not a valid choice.']}),
        ({"json": {"platform": 7}}, {"platform": ['"7" is not a valid choice.']}),
        ({"json": {"platform": None}}, {"platform": ["This field may not be null."]}),
        ({"json": {}}, {"platform": ["This field is required."]}),
        ({"json": {"Platform": "google"}}, {"platform": ["This field is required."]}),
        (raw(b""), {"platform": ["This field is required."]}),
        ({"json": ["google"]}, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ({"json": "google"}, {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
    ],
)
def test_invalid_platform_is_a_drf_field_error(
    refusals: Refusals, both: dict[str, Any], kwargs: dict[str, Any], body: Any
) -> None:
    response = refusals.send(cal(both), "POST", f"{CAL}/user/disconnect/", kwargs)
    assert (response.status_code, response.json()) == (400, body)
    assert response.headers["content-type"] == "application/json"


def test_authenticate_creates_the_user_then_issues_new_tokens(
    client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    created = client.post(f"{CAL}/authenticate/", json={"user_id": "new-user", "ignored": 1}, headers=ws(both))
    assert created.status_code == 200 and set(created.json()) == {"token"}
    user = client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": created.json()["token"]}).json()
    assert user["external_id"] == "new-user"
    assert [c["connected"] for c in user["connections"]] == [False, False]
    # The bare key works as well as "Token <key>"; the same user_id gives the same user.
    again = client.post(
        f"{CAL}/authenticate/", json={"user_id": "new-user"}, headers={"Authorization": both["tokens"]["workspace"]}
    )
    assert again.status_code == 200 and again.json()["token"] != created.json()["token"]
    same = client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": again.json()["token"]}).json()
    assert same["id"] == user["id"]
    # Earlier tokens stay valid: they are stateless.
    assert client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": created.json()["token"]}).status_code == 200
    listed = client.get(f"{CAL}/users/", headers=ws(both)).json()
    assert [u["external_id"] for u in listed] == ["ext-1", "new-user"]
    assert len(state(fake_admin)["calendar_users"]) == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"user_id": ""}, {"user_id": ["This field may not be blank."]}),
        ({"user_id": "   "}, {"user_id": ["This field may not be blank."]}),
        ({"user_id": None}, {"user_id": ["This field may not be null."]}),
        ({"user_id": ["a"]}, {"user_id": ["Not a valid string."]}),
        ({}, {"user_id": ["This field is required."]}),
    ],
)
def test_authenticate_field_errors_create_nothing(
    refusals: Refusals, both: dict[str, Any], body: Any, expected: Any
) -> None:
    response = refusals.request("POST", f"{CAL}/authenticate/", json=body, headers=ws(both))
    assert (response.status_code, response.json()) == (400, expected)


def test_calendar_token_expires_after_24_hours(
    client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    fake_admin.advance_clock(23 * 3600)
    assert client.get(f"{CAL}/user/", headers=cal(both)).status_code == 200
    fake_admin.advance_clock(2 * 3600)  # 25 hours after issue
    before = state(fake_admin)
    for method, path, body in (
        ("GET", "/user/", None),
        ("PUT", "/user/", {"preferences": {"record_external": True}}),
        ("DELETE", "/user/", None),
        ("POST", "/user/disconnect/", {"platform": "google"}),
    ):
        response = client.request(method, f"{CAL}{path}", json=body, headers=cal(both))
        assert (response.status_code, response.json()) == (401, INVALID), (method, path)
        assert "www-authenticate" not in response.headers
    assert state(fake_admin) == before
    fresh = client.post(f"{CAL}/authenticate/", json={"user_id": "ext-1"}, headers=ws(both)).json()["token"]
    assert (
        client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": fresh}).json()["id"]
        == both["calendar_user_id"]
    )


def test_delete_cascades_and_reauthenticate_makes_a_new_user(
    client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    client.put(f"{CAL}/user/", json={"preferences": {"bot_name": "Mine"}}, headers=cal(both))
    deleted = client.delete(f"{CAL}/user/", headers=cal(both))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert state(fake_admin)["calendar_users"] == []
    assert client.get(f"{CAL}/users/", headers=ws(both)).json() == []
    gone = client.get(f"{CAL}/user/", headers=cal(both))
    assert (gone.status_code, gone.json()) == (401, INVALID)
    token = client.post(f"{CAL}/authenticate/", json={"user_id": "ext-1"}, headers=ws(both)).json()["token"]
    reborn = client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": token}).json()
    assert reborn["id"] != both["calendar_user_id"] and reborn["external_id"] == "ext-1"
    assert [c["connected"] for c in reborn["connections"]] == [False, False]
    assert reborn["preferences"]["bot_name"] == "Meeting Notetaker"


def test_put_patches_preferences(client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]) -> None:
    first = client.put(
        f"{CAL}/user/", json={"preferences": {"record_external": True, "bot_name": "Notes"}}, headers=cal(both)
    )
    assert first.status_code == 200
    second = client.put(f"{CAL}/user/", json={"preferences": {"record_internal": True}}, headers=cal(both))
    prefs = second.json()["preferences"]
    assert (prefs["record_external"], prefs["record_internal"], prefs["bot_name"]) == (True, True, "Notes")
    assert prefs["id"] == first.json()["preferences"]["id"]
    before = state(fake_admin)
    for body, expected in (
        (
            {"preferences": {"record_internal": "yes"}},
            {"preferences": {"record_internal": ["Must be a valid boolean."]}},
        ),
        ({"preferences": {"bot_name": 5}}, {"preferences": {"bot_name": ["Not a valid string."]}}),
        ({"preferences": {"bot_name": "  "}}, {"preferences": {"bot_name": ["This field may not be blank."]}}),
        (
            {"preferences": []},
            {"preferences": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}},
        ),
    ):
        refused = client.put(f"{CAL}/user/", json=body, headers=cal(both))
        assert (refused.status_code, refused.json()) == (400, expected), body
    assert state(fake_admin) == before
    empty = client.put(f"{CAL}/user/", headers=cal(both))
    assert empty.status_code == 200 and empty.json() == second.json()


def test_users_list_is_per_workspace(client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]) -> None:
    other = fake_admin.apply_state("recall", "workspace")
    theirs = fake_admin.apply_state(
        "recall", "calendar_user", {"user_id": "ext-1", "workspace_id": other["workspace_id"]}
    )
    mine = client.get(f"{CAL}/users/", headers=ws(both)).json()
    listed = client.get(f"{CAL}/users/", headers={"Authorization": f"Token {other['tokens']['workspace']}"}).json()
    assert [u["id"] for u in mine] == [both["calendar_user_id"]]
    assert [u["id"] for u in listed] == [theirs["calendar_user_id"]]


@pytest.mark.parametrize(
    ("method", "path", "headers", "expected", "www_authenticate"),
    [
        ("POST", "/authenticate/", {}, NOT_PROVIDED, "Token"),
        ("POST", "/authenticate/", {"Authorization": "Token"}, {"detail": "Invalid token header. No credentials provided."}, "Token"),
        ("POST", "/authenticate/", {"Authorization": "Token a b"}, {"detail": "Invalid token header. Token string should not contain spaces."}, "Token"),
        ("POST", "/authenticate/", {"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"}, INVALID, "Token"),
        ("GET", "/users/", {"Authorization": "Bearer abc"}, NOT_PROVIDED, "Token"),
        ("GET", "/user/", {}, NOT_PROVIDED, None),
        ("GET", "/user/", {"x-recallcalendarauthtoken": "nope"}, INVALID, None),
        ("POST", "/user/disconnect/", {"X-RecallCalendarAuthToken": "a.b.c"}, INVALID, None),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("both")
def test_missing_or_unknown_credentials(
    refusals: Refusals, method: str, path: str, headers: dict[str, str], expected: Any, www_authenticate: str | None
) -> None:
    body = {"platform": "google", "user_id": "someone"}
    response = refusals.request(method, f"{CAL}{path}", json=body if method == "POST" else None, headers=headers)
    assert (response.status_code, response.json()) == (401, expected)
    assert response.headers.get("www-authenticate") == www_authenticate


def test_credentials_are_not_interchangeable(client: httpx.Client, both: dict[str, Any]) -> None:
    as_calendar = client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": both["tokens"]["workspace"]})
    assert (as_calendar.status_code, as_calendar.json()) == (401, INVALID)
    as_workspace = client.get(f"{CAL}/users/", headers={"Authorization": f"Token {both['tokens']['calendar']}"})
    assert (as_workspace.status_code, as_workspace.json()) == (401, INVALID)
    only_workspace = client.get(f"{CAL}/user/", headers=ws(both))
    assert (only_workspace.status_code, only_workspace.json()) == (401, NOT_PROVIDED)


def test_rate_limit_120_per_calendar_user_and_reset(
    client: httpx.Client, fake_server: ServerThread, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    limits = fake_admin.settings()["apis"]["recall"]["rate_limits"]
    assert limits["calendar_user_disconnect_create"] == {"limit": 120, "window_seconds": 60.0}
    assert limits["calendar_user_retrieve"] == {"limit": 120, "window_seconds": 60.0}
    assert limits["calendar_authenticate_create"] == {"limit": 300, "window_seconds": 60.0}
    other = fake_admin.apply_state("recall", "calendar_user", {"user_id": "ext-2", "google": "o@example.com"})
    align_to_rate_window(fake_server, fake_admin)
    body = {"platform": "microsoft"}
    codes = {client.post(f"{CAL}/user/disconnect/", json=body, headers=cal(both)).status_code for _ in range(120)}
    assert codes == {200}
    before = state(fake_admin)
    throttled = client.post(f"{CAL}/user/disconnect/", json={"platform": "google"}, headers=cal(both))
    assert throttled.status_code == 429
    wait = int(throttled.headers["retry-after"])
    assert 1 <= wait <= 60
    unit = "second" if wait == 1 else "seconds"
    assert throttled.json() == {"detail": f"Request was throttled. Expected available in {wait} {unit}."}
    assert state(fake_admin) == before, "a throttled disconnect changes nothing"
    # Per calendar user, and per endpoint.
    assert client.post(f"{CAL}/user/disconnect/", json=body, headers=cal(other)).status_code == 200
    assert client.get(f"{CAL}/user/", headers=cal(both)).status_code == 200
    fake_admin.advance_clock(60)
    reset = client.post(f"{CAL}/user/disconnect/", json={"platform": "google"}, headers=cal(both))
    assert reset.status_code == 200
    assert reset.json()["connections"][0]["connected"] is False


def test_rate_limit_per_workspace_on_authenticate(
    client: httpx.Client, fake_server: ServerThread, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    other = fake_admin.apply_state("recall", "workspace")
    # The documented 300/min is checked in the settings test above; a smaller limit keeps this fast.
    fake_admin.update_settings({"apis": {"recall": {"rate_limits": {"calendar_authenticate_create": {"limit": 5}}}}})
    align_to_rate_window(fake_server, fake_admin)
    codes = [
        client.post(f"{CAL}/authenticate/", json={"user_id": "ext-1"}, headers=ws(both)).status_code for _ in range(5)
    ]
    assert codes == [200] * 5
    throttled = client.post(f"{CAL}/authenticate/", json={"user_id": "brand-new"}, headers=ws(both))
    assert throttled.status_code == 429 and throttled.json()["detail"].startswith("Request was throttled.")
    assert [u["external_id"] for u in state(fake_admin)["calendar_users"]] == ["ext-1"]
    other_ws = {"Authorization": f"Token {other['tokens']['workspace']}"}
    assert client.post(f"{CAL}/authenticate/", json={"user_id": "x"}, headers=other_ws).status_code == 200
    fake_admin.advance_clock(60)
    assert client.post(f"{CAL}/authenticate/", json={"user_id": "ext-1"}, headers=ws(both)).status_code == 200


BAD_INPUT = [
    # (request kwargs, status, body)
    (
        raw(b"{platform"),
        400,
        {"detail": "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
    ),
    (
        raw(b'{"platform": "goo\xffgle"}'),
        400,
        {"detail": "JSON parse error - 'utf-8' codec can't decode the body: invalid start byte"},
    ),
    (
        raw(b"platform=google", "application/x-www-form-urlencoded"),
        415,
        {"detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.'},
    ),
    (raw(b"google", "text/plain"), 415, {"detail": 'Unsupported media type "text/plain" in request.'}),
    (raw(b"x" * (1024 * 1024 + 1)), 413, {"detail": "The request body is larger than 1048576 bytes."}),
]


@pytest.mark.parametrize(("kwargs", "status", "body"), BAD_INPUT)
def test_bad_input_gets_drf_body_and_changes_nothing(
    refusals: Refusals, both: dict[str, Any], kwargs: dict[str, Any], status: int, body: Any
) -> None:
    response = refusals.send(cal(both), "POST", f"{CAL}/user/disconnect/", kwargs)
    assert (response.status_code, response.json()) == (status, body)
    assert response.headers["content-type"] == "application/json"


def test_unknown_path_and_wrong_method(client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]) -> None:
    before = state(fake_admin)
    missing = client.get(f"{CAL}/meetings/", headers=cal(both))
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    for method, path, allow in (
        ("GET", "/user/disconnect/", "POST"),
        ("DELETE", "/authenticate/", "POST"),
        ("POST", "/user/", "GET, PUT, DELETE"),
        ("PATCH", "/user/", "GET, PUT, DELETE"),
        ("POST", "/users/", "GET"),
    ):
        wrong = client.request(method, f"{CAL}{path}", headers=cal(both))
        assert wrong.status_code == 405, (method, path)
        assert wrong.headers["allow"] == allow
        assert wrong.json() == {"detail": f'Method "{method}" not allowed.'}
    assert state(fake_admin) == before


@pytest.mark.parametrize("status", [500, 502, 503])
def test_injected_server_errors(
    client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any], status: int
) -> None:
    fake_admin.add_fault("recall", "calendar_user_disconnect_create", status=status, times=1)
    before = state(fake_admin)
    failed = client.post(f"{CAL}/user/disconnect/", json={"platform": "google"}, headers=cal(both))
    assert (failed.status_code, failed.json()) == (status, {"detail": "A server error occurred."})
    assert state(fake_admin) == before
    assert client.post(f"{CAL}/user/disconnect/", json={"platform": "google"}, headers=cal(both)).status_code == 200


def test_injected_throttle_and_forbidden(
    client: httpx.Client, fake_admin: InProcessAdmin, both: dict[str, Any]
) -> None:
    fake_admin.add_fault("recall", "calendar_user_retrieve", status=429, times=1)
    fake_admin.add_fault("recall", "calendar_users_list", status=403, times=1)
    throttled = client.get(f"{CAL}/user/", headers=cal(both))
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    assert throttled.json() == {"detail": "Request was throttled. Expected available in 1 second."}
    forbidden = client.get(f"{CAL}/users/", headers=ws(both))
    assert (forbidden.status_code, forbidden.json()) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )


def test_control_plane_over_http(fake_server: ServerThread, client: httpx.Client) -> None:
    with HttpAdmin(fake_server.base_url) as admin:
        listed = {s["state"]: s for s in admin.provider_states("recall")}
        assert set(listed) == {"workspace", "calendar_user", "connection"}
        assert listed["connection"]["params"]["platform"]["enum"] == ["google", "microsoft"]
        user = admin.apply_state("recall", "calendar_user", {"user_id": "http-user", "google": None, "microsoft": None})
        connected = admin.apply_state(
            "recall", "connection", {"user_id": "http-user", "platform": "microsoft", "email": "m@example.com"}
        )
        assert connected["calendar_user_id"] == user["calendar_user_id"]
        fresh = admin.mint_token("recall", "calendar", calendar_user_id=user["calendar_user_id"])
        got = client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": fresh}).json()
        assert got["connections"][1] == {
            "platform": "microsoft",
            "connected": True,
            "email": "m@example.com",
            "id": connected["connection_id"],
        }
        stale = admin.mint_token("recall", "calendar", expired=True, calendar_user_id=user["calendar_user_id"])
        assert client.get(f"{CAL}/user/", headers={"x-recallcalendarauthtoken": stale}).status_code == 401
        key = admin.mint_token("recall", "workspace")
        assert client.get(f"{CAL}/users/", headers={"Authorization": f"Token {key}"}).status_code == 200
        revoked = admin.mint_token("recall", "workspace", expired=True)
        assert client.get(f"{CAL}/users/", headers={"Authorization": revoked}).status_code == 401


def test_spec_is_served_with_trailing_slash_paths(fake_server: ServerThread) -> None:
    spec = httpx.get(fake_server.url("recall") + "/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/v1/calendar/authenticate/",
        "/api/v1/calendar/user/",
        "/api/v1/calendar/user/disconnect/",
        "/api/v1/calendar/users/",
    }
