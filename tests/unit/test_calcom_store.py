"""The Cal.com state model, auth rules and handlers, called directly (no HTTP)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mockserver.clock import Clock
from mockserver.errors import AdminError, Problem, VendorError
from mockserver.interface import Call
from mockserver.vendors.calcom import CalcomVendor, auth, handlers
from mockserver.vendors.calcom.calendars import list_for_user
from mockserver.vendors.calcom.store import CalcomStore

DISCONNECT = "CalendarsController_deleteCalendarCredentials"
LIST = "CalendarsController_getCalendars"


@pytest.fixture
def vendor() -> CalcomVendor:
    return CalcomVendor(Clock())


def connected(vendor: CalcomVendor, **params: Any) -> dict[str, Any]:
    state = vendor.provider_states["connected_calendar"]
    given = {"user_id": None, "type": "google", "count": 1, "invalid": False, **params}
    return state.apply(given)


def call(
    vendor: CalcomVendor,
    operation_id: str,
    token: str | None,
    body: Any = None,
    params: dict[str, Any] | None = None,
    path: str = "/calcom/v2/calendars/google/disconnect",
) -> Call:
    token_info = vendor.authenticate("bearer", token, {}, operation_id) if token is not None else None
    return Call(
        "calcom",
        operation_id,
        path,
        body,
        dict(params or {}),
        {"host": "127.0.0.1:9"},
        token_info,
        "http://127.0.0.1:9/calcom",
        vendor.clock.now(),
    )


def auth_error(vendor: CalcomVendor, token: str, operation_id: str = DISCONNECT) -> auth.CalcomAuthError:
    with pytest.raises(auth.CalcomAuthError) as raised:
        vendor.authenticate("bearer", token, {}, operation_id)
    return raised.value


# -- provider states ----------------------------------------------------------------------------
def test_connected_calendar_state_creates_user_credentials_and_tokens(vendor: CalcomVendor) -> None:
    data = connected(vendor, count=2)
    store = vendor.store
    assert data["user_id"] in store.users
    assert data["credential_ids"] == [1, 2]
    assert [store.credentials[i].type for i in data["credential_ids"]] == ["google_calendar"] * 2
    assert [store.credentials[i].app_id for i in data["credential_ids"]] == ["google-calendar"] * 2
    assert len(store.user_selected_calendars(data["user_id"])) == 2
    assert set(data["tokens"]) == {"api_key", "managed_user", "oauth"}
    assert data["tokens"]["api_key"].startswith("cal_")
    assert not data["tokens"]["managed_user"].startswith("cal_")


def test_connected_calendar_state_adds_to_an_existing_user(vendor: CalcomVendor) -> None:
    user = vendor.provider_states["user"].apply({"email": "ada@example.com"})
    data = connected(vendor, user_id=user["user_id"], type="apple", invalid=True)
    assert data["user_id"] == user["user_id"]
    credential = vendor.store.credentials[data["credential_ids"][0]]
    assert (credential.type, credential.app_id, credential.invalid) == ("apple_calendar", "apple-calendar", True)
    assert vendor.store.selected_calendars == {}  # Apple accounts are not selected on connect
    assert vendor.store.users[user["user_id"]].email == "ada@example.com"


@pytest.mark.parametrize(("params", "message"), [({"user_id": 99}, "unknown user_id 99"), ({"count": 0}, "count")])
def test_connected_calendar_state_rejects_bad_params(
    vendor: CalcomVendor, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(AdminError) as raised:
        connected(vendor, **params)
    assert raised.value.status == 400
    assert message in raised.value.message
    assert vendor.store.credentials == {}


# -- tokens and auth ----------------------------------------------------------------------------
def test_each_token_kind_maps_to_its_user(vendor: CalcomVendor) -> None:
    data = connected(vendor)
    for kind, token in data["tokens"].items():
        info = vendor.authenticate("bearer", token, {}, DISCONNECT)
        assert info is not None
        assert (info["kind"], info["user_id"], info["token"]) == (kind, data["user_id"], token)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("cal_0123456789abcdef0123456789abcdef", "ApiAuthStrategy - api key - Your api key is not valid"),
        ("cal_live_nope", "ApiAuthStrategy - api key - Your api key is not valid"),
        ("some-access-token", "Invalid Access Token."),
    ],
)
def test_unknown_credentials_get_cal_com_messages(vendor: CalcomVendor, token: str, message: str) -> None:
    error = auth_error(vendor, token)
    assert (error.status, error.code, error.message) == (401, "UnauthorizedException", message)


def test_api_keys_expire_by_calendar_day() -> None:
    day = 86400.0
    start_of_day = 20_000 * day
    assert not auth.api_key_expired(None, start_of_day)
    assert not auth.api_key_expired(start_of_day + 10, start_of_day + day - 1), "expires later the same day"
    assert not auth.api_key_expired(start_of_day + 10, start_of_day + 5), "still the expiry day"
    assert auth.api_key_expired(start_of_day + day - 1, start_of_day + day), "the next day it is expired"


def test_expired_tokens(vendor: CalcomVendor) -> None:
    user_id = connected(vendor)["user_id"]
    api_key = vendor.mint_token("api_key", {"user_id": user_id}, expired=True)
    managed = vendor.mint_token("managed_user", {"user_id": user_id}, expired=True)
    oauth = vendor.mint_token("oauth", {"user_id": user_id}, expired=True)
    expired_key = auth_error(vendor, api_key)
    assert (expired_key.status, expired_key.message) == (401, "ApiAuthStrategy - api key - Your api key is expired")
    expired_access = auth_error(vendor, managed)
    assert (expired_access.status, expired_access.code, expired_access.message) == (
        498,
        "TokenExpiredException",
        "ACCESS_TOKEN_IS_EXPIRED",
    )
    expired_oauth = auth_error(vendor, oauth)
    assert (expired_oauth.status, expired_oauth.message) == (401, "Invalid Access Token.")


def test_managed_user_tokens_live_an_hour_on_the_fake_clock(vendor: CalcomVendor) -> None:
    user_id = connected(vendor)["user_id"]
    token = vendor.mint_token("managed_user", {"user_id": user_id}, expired=False)
    assert vendor.authenticate("bearer", token, {}, LIST) is not None
    vendor.clock.advance(3600)
    assert auth_error(vendor, token, LIST).status == 498


@pytest.mark.parametrize(
    ("scopes", "operation_id", "required"),
    [
        (["APPS_READ"], DISCONNECT, "APPS_WRITE"),
        (["BOOKING_READ", "APPS_READ"], DISCONNECT, "APPS_WRITE"),
        (["APPS_WRITE"], LIST, "APPS_READ"),
    ],
)
def test_scoped_oauth_token_without_the_scope_is_403(
    vendor: CalcomVendor, scopes: list[str], operation_id: str, required: str
) -> None:
    user_id = connected(vendor)["user_id"]
    token = vendor.mint_token("oauth", {"user_id": user_id, "scopes": scopes}, expired=False)
    error = auth_error(vendor, token, operation_id)
    assert (error.status, error.code) == (403, "ForbiddenException")
    assert error.message == (
        f"insufficient_scope: token does not have the required scopes. Required: {required}. "
        f"Token has: {', '.join(scopes)}"
    )


@pytest.mark.parametrize("scopes", [None, [], ["READ_BOOKING", "READ_PROFILE"], ["APPS_WRITE"]])
def test_unscoped_legacy_or_sufficient_oauth_tokens_pass(vendor: CalcomVendor, scopes: list[str] | None) -> None:
    user_id = connected(vendor)["user_id"]
    params: dict[str, Any] = {"user_id": user_id} if scopes is None else {"user_id": user_id, "scopes": scopes}
    token = vendor.mint_token("oauth", params, expired=False)
    assert vendor.authenticate("bearer", token, {}, DISCONNECT) is not None


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("api_key", {}, "needs user_id"),
        ("api_key", {"user_id": 42}, "unknown user_id 42"),
        ("api_key", {"user_id": 1, "scopes": ["APPS_READ"]}, "scopes apply to oauth tokens only"),
        ("oauth", {"user_id": 1, "scopes": "APPS_READ"}, "scopes must be a list of strings"),
        ("oauth", {"user_id": 1, "team_id": 3}, "not team_id"),
    ],
)
def test_mint_token_checks_its_params(vendor: CalcomVendor, kind: str, params: dict[str, Any], message: str) -> None:
    connected(vendor)
    with pytest.raises(Problem) as raised:
        vendor.mint_token(kind, params, expired=False)
    assert message in raised.value.message


def test_rate_limit_buckets_by_token_kind(vendor: CalcomVendor) -> None:
    data = connected(vendor)
    keys = {kind: vendor.rate_limit_keys(call(vendor, LIST, token)) for kind, token in data["tokens"].items()}
    assert keys == {
        "api_key": {"api_key": data["tokens"]["api_key"]},
        "managed_user": {"access_token": data["tokens"]["managed_user"]},
        "oauth": {"access_token": data["tokens"]["oauth"]},
    }
    assert vendor.rate_limit_keys(call(vendor, "CalendarsController_save", None)) == {}


# -- disconnect and the calendar list -------------------------------------------------------------
def test_disconnect_hard_deletes_with_selected_and_destination_rows(vendor: CalcomVendor) -> None:
    data = connected(vendor, count=2)
    first, second = data["credential_ids"]
    token = data["tokens"]["api_key"]
    listed = list_for_user(vendor.store, data["user_id"])
    assert listed["destinationCalendar"]["credentialId"] == first
    reply = handlers.delete_calendar_credentials(vendor, call(vendor, DISCONNECT, token, {"id": first}))
    assert (reply.status, reply.body) == (
        200,
        {
            "status": "success",
            "data": {
                "id": first,
                "type": "google_calendar",
                "userId": data["user_id"],
                "teamId": None,
                "appId": "google-calendar",
                "invalid": False,
            },
        },
    )
    store = vendor.store
    assert first not in store.credentials
    assert [s.credential_id for s in store.user_selected_calendars(data["user_id"])] == [second]
    assert data["user_id"] not in store.destination_calendars
    with pytest.raises(VendorError) as raised:
        handlers.delete_calendar_credentials(vendor, call(vendor, DISCONNECT, token, {"id": first}))
    assert raised.value.status == 404
    assert raised.value.body["error"] == {"code": "NotFoundException", "message": "Calendar credentials not found"}
    assert raised.value.body["path"] == "/v2/calendars/google/disconnect"


def test_another_users_credential_is_not_found(vendor: CalcomVendor) -> None:
    mine = connected(vendor)
    theirs = connected(vendor)
    with pytest.raises(VendorError) as raised:
        handlers.delete_calendar_credentials(
            vendor, call(vendor, DISCONNECT, mine["tokens"]["api_key"], {"id": theirs["credential_ids"][0]})
        )
    assert raised.value.status == 404
    assert theirs["credential_ids"][0] in vendor.store.credentials


def test_destination_calendar_lifecycle(vendor: CalcomVendor) -> None:
    data = connected(vendor, count=2)
    user_id = data["user_id"]
    first, second = data["credential_ids"]
    store = vendor.store
    created = list_for_user(store, user_id)["destinationCalendar"]
    # The call that creates the row answers the row only (Cal.com merges the calendar found before).
    assert created == {
        "id": 1,
        "integration": "google_calendar",
        "externalId": "user1.1@gmail.com",
        "primaryEmail": "user1.1@gmail.com",
        "userId": user_id,
        "eventTypeId": None,
        "credentialId": first,
        "delegationCredentialId": None,
    }
    merged = list_for_user(store, user_id)["destinationCalendar"]
    assert merged == {
        **created,
        "name": "user1.1@gmail.com",
        "primary": True,
        "readOnly": False,
        "email": "user1.1@gmail.com",
        "isSelected": True,
        "integrationTitle": "Google Calendar",
    }
    store.delete_credential(first)
    moved = list_for_user(store, user_id)["destinationCalendar"]
    assert (moved["id"], moved["credentialId"], moved["externalId"]) == (2, second, "user1.2@gmail.com")
    store.delete_credential(second)
    assert list_for_user(store, user_id) == {"connectedCalendars": [], "destinationCalendar": {}}
    assert user_id not in store.destination_calendars


def test_invalid_credential_is_listed_without_calendars(vendor: CalcomVendor) -> None:
    data = connected(vendor, type="office365", invalid=True)
    listed = list_for_user(vendor.store, data["user_id"])
    entry = listed["connectedCalendars"][0]
    assert set(entry) == {"integration", "credentialId"}
    assert entry["integration"]["type"] == "office365_calendar"
    assert entry["integration"]["slug"] == "office365-calendar"


def test_apple_calendars_have_a_caldav_external_id(vendor: CalcomVendor) -> None:
    data = connected(vendor, type="apple")
    entry = list_for_user(vendor.store, data["user_id"])["connectedCalendars"][0]
    credential_id = data["credential_ids"][0]
    assert entry["primary"] == {
        "externalId": f"https://caldav.icloud.com/{credential_id}/calendars/home/",
        "integration": "apple_calendar",
        "name": "Home",
        "primary": None,
        "readOnly": False,
        "email": f"user1.{credential_id}@icloud.com",
        "isSelected": False,
        "credentialId": credential_id,
    }


# -- the OAuth save and Apple credentials ---------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("{}", "origin - Required, accessToken - Required, "),
        ("not json", "origin - Required, accessToken - Required, "),
        ('{"accessToken": 5, "origin": "o"}', "accessToken - Expected string, received number, "),
        (
            '{"accessToken": "t", "origin": null, "redir": 3}',
            "redir - Expected string, received number, origin - Expected string, received null, ",
        ),
        ('["a"]', "origin - Required, accessToken - Required, "),
    ],
)
def test_save_checks_state_like_zod(vendor: CalcomVendor, state: str, message: str) -> None:
    with pytest.raises(VendorError) as raised:
        handlers.save(
            vendor, call(vendor, "CalendarsController_save", None, params={"calendar": "google", "state": state})
        )
    assert raised.value.status == 400
    assert raised.value.body["error"] == {"code": "BAD_REQUEST", "message": message}


def test_js_length_counts_utf16_units() -> None:
    assert handlers._js_length("a") == 1
    assert handlers._js_length("é") == 1
    assert handlers._js_length("\U0001f600") == 2


def test_apple_credentials_create_update_and_no_op(vendor: CalcomVendor) -> None:
    data = vendor.provider_states["user"].apply({})
    token = data["tokens"]["api_key"]
    op = "CalendarsController_syncCredentials"

    def sync(username: str, password: str) -> int:
        body = {"username": username, "password": password}
        reply = handlers.sync_credentials(vendor, call(vendor, op, token, body, {"calendar": "apple"}))
        assert reply.body == {"status": "success"}
        return reply.status

    assert sync("ada@icloud.com", "pw-one") == 201
    (credential,) = vendor.store.credentials.values()
    assert sync("ada@icloud.com", "pw-one") == 201
    assert (len(vendor.store.credentials), credential.secret) == (1, "pw-one")
    assert sync("ada@icloud.com", "pw-two") == 201
    assert (len(vendor.store.credentials), credential.secret) == (1, "pw-two")
    assert sync("bob@icloud.com", "\U0001f600") == 201, "an emoji is two UTF-16 units"
    assert len(vendor.store.credentials) == 2
    with pytest.raises(VendorError) as raised:
        handlers.sync_credentials(
            vendor, call(vendor, op, token, {"username": "é", "password": "long enough"}, {"calendar": "apple"})
        )
    assert raised.value.body["error"]["message"] == "Username or password cannot be empty"


# -- rendering --------------------------------------------------------------------------------------
def bad_request(message: str = "Bad Request Exception") -> tuple[int, str, str]:
    """The (status, code, message) of Cal.com's 400."""
    return 400, "BadRequestException", message


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (Problem(401, "unauthorized", "No authorization token provided"), (401, "UnauthorizedException", None)),
        (Problem(422, "invalid_body", "id must be of type integer", "id", "invalid"), bad_request()),
        (Problem(400, "invalid_parameter", "bad query"), bad_request()),
        (Problem(415, "unsupported_media_type", "x"), bad_request()),
        (
            Problem(400, "invalid_parameter", "'foo' is not one of ['google', 'office365']"),
            bad_request("Invalid calendar type, available calendars are: "),
        ),
        (Problem(400, "invalid_parameter", "'x' is not one of ['allow', 'deny']"), bad_request()),
        (Problem(400, "malformed_body", "the body is not valid JSON: x"), bad_request("the body is not valid JSON: x")),
        (Problem(404, "not_found", "No such path"), (404, "NotFoundException", "Not Found")),
        (Problem(405, "method_not_allowed", "x"), (405, "MethodNotAllowedException", "Method Not Allowed")),
        (Problem(413, "payload_too_large", "x"), (413, "PayloadTooLargeException", "Payload Too Large")),
        (Problem(429, "rate_limited", "x"), (429, "ThrottlerException", "ThrottlerException: Too Many Requests")),
        (Problem(500, "fault", "x"), (500, "INTERNAL_SERVER_ERROR", "Internal server error.")),
        (Problem(503, "fault", "x"), (503, "ServiceUnavailableException", "Service Unavailable")),
        (
            Problem(500, "internal", "FAKE_RESPONSE_INVALID: y"),
            (500, "INTERNAL_SERVER_ERROR", "FAKE_RESPONSE_INVALID: y"),
        ),
    ],
)
def test_render_uses_cal_com_envelope(
    vendor: CalcomVendor, problem: Problem, expected: tuple[int, str, str | None]
) -> None:
    status, code, message = expected
    rendered = vendor.render(problem, "/calcom/v2/calendars")
    assert rendered.status == status
    assert set(rendered.body) == {"status", "timestamp", "path", "error"}
    assert (rendered.body["status"], rendered.body["path"]) == ("error", "/v2/calendars")
    assert rendered.body["error"]["code"] == code
    if message is not None:
        assert rendered.body["error"]["message"] == message
    assert rendered.body["timestamp"].endswith("Z")


def test_every_response_gets_a_fresh_request_id(vendor: CalcomVendor) -> None:
    first, second = vendor.response_headers(), vendor.response_headers()
    assert set(first) == {"X-Request-Id"}
    assert first["X-Request-Id"] != second["X-Request-Id"]


def test_per_user_tables_match_the_credentials_through_connects_deletes_and_snapshots() -> None:
    store = CalcomStore()
    alice, bob = store.add_user(), store.add_user()
    rows = []
    for user, calendar, account in [
        (alice, "google", "a1@example.com"),
        (bob, "google", "b1@example.com"),
        (alice, "office365", "a2@example.com"),
        (bob, "apple", "b2@example.com"),
    ]:
        credential = store.add_credential(user.id, calendar, account)
        store.select_primary(credential)
        rows.append(credential)
    unowned = store.add_credential(None, "google", "team@example.com")

    def owned(user_id: int) -> list[int]:
        return sorted(c.id for c in store.credentials.values() if c.user_id == user_id)

    def per_user(user_id: int) -> tuple[list[int], list[int]]:
        return (
            [c.id for c in store.user_credentials(user_id)],
            [s.credential_id for s in store.user_selected_calendars(user_id)],
        )

    assert per_user(alice.id) == (owned(alice.id), [rows[0].id, rows[2].id])
    assert per_user(bob.id) == (owned(bob.id), [rows[1].id, rows[3].id])
    assert set(store.credential_ids) == set(store.selected_calendars) == {alice.id, bob.id}  # none for the team
    assert [store.is_selected(c) for c in [*rows, unowned]] == [True, True, True, True, False]
    # The dump keeps one flat list, oldest first across users.
    assert [s["credential_id"] for s in store.dump()["selected_calendars"]] == [c.id for c in rows]
    assert store.dump()["selected_calendars"][1] == {
        "user_id": bob.id,
        "integration": "google_calendar",
        "external_id": "b1@example.com",
        "credential_id": rows[1].id,
    }

    snapshot = copy.deepcopy(store)
    store.delete_credential(rows[0].id)
    store.delete_credential(unowned.id)
    assert per_user(alice.id) == (owned(alice.id), [rows[2].id]) == ([rows[2].id], [rows[2].id])
    assert per_user(bob.id) == (owned(bob.id), [rows[1].id, rows[3].id])
    assert [s["credential_id"] for s in store.dump()["selected_calendars"]] == [rows[1].id, rows[2].id, rows[3].id]
    store.delete_credential(rows[2].id)
    assert alice.id not in store.credential_ids and alice.id not in store.selected_calendars
    assert per_user(alice.id) == ([], [])

    # A snapshot's lists are its own: the deletes above did not reach it.
    restored = snapshot
    assert [c.id for c in restored.user_credentials(alice.id)] == [rows[0].id, rows[2].id]
    assert all(c is restored.credentials[c.id] for c in restored.user_credentials(alice.id))
    assert [s.credential_id for s in restored.user_selected_calendars(alice.id)] == [rows[0].id, rows[2].id]
    assert store.user_credentials(4242) == [] and store.user_selected_calendars(4242) == []


def test_a_users_selected_calendars_are_answered_as_a_copy() -> None:
    store = CalcomStore()
    user = store.add_user()
    store.select_primary(store.add_credential(user.id, "google", "a@example.com"))
    store.user_selected_calendars(user.id).clear()
    store.user_credentials(user.id).clear()
    assert len(store.selected_calendars[user.id]) == len(store.credential_ids[user.id]) == 1


def test_deleting_a_credential_drops_the_destination_that_names_it_and_no_other() -> None:
    store = CalcomStore()
    alice, bob = store.add_user(), store.add_user()
    mine = store.add_credential(alice.id, "google", "a@example.com")
    kept = store.add_credential(alice.id, "office365", "a2@example.com")
    team = store.add_credential(None, "google", "team@example.com")
    store.create_destination(alice.id, "google_calendar", "a@example.com", "a@example.com", mine.id)
    store.create_destination(bob.id, "google_calendar", "team@example.com", None, team.id)
    store.delete_credential(kept.id)
    assert set(store.destination_calendars) == {alice.id, bob.id}
    store.delete_credential(mine.id)
    assert set(store.destination_calendars) == {bob.id}
    store.delete_credential(team.id)  # a team credential: any user's destination may name it
    assert store.destination_calendars == {}
