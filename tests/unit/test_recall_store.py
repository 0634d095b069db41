"""The Recall state model, credentials, handlers and DRF error bodies, called directly (no HTTP)."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from mockserver.clock import Clock
from mockserver.errors import AdminError, Problem, VendorError
from mockserver.interface import Call
from mockserver.validation import describe
from mockserver.vendors.recall import RecallVendor, handlers
from mockserver.vendors.recall import store as recall_store
from mockserver.vendors.recall.store import CALENDAR_TOKEN_LIFETIME, RecallStore

PREFIX = "/recall"
DISCONNECT = "/recall/api/v1/calendar/user/disconnect/"
AUTHENTICATE = "/recall/api/v1/calendar/authenticate/"


@pytest.fixture
def vendor() -> RecallVendor:
    return RecallVendor(Clock())


def call(vendor: RecallVendor, operation_id: str, body: Any, auth: dict[str, Any]) -> Call:
    return Call("recall", operation_id, "/recall/x", body, {}, {}, auth, "http://127.0.0.1/recall", vendor.clock.now())


def user_state(vendor: RecallVendor, **params: Any) -> dict[str, Any]:
    given = {"google": None, "microsoft": None, **params}
    return vendor.provider_states["calendar_user"].apply(given)


# -- store -------------------------------------------------------------------------------------
def test_get_or_create_user_is_per_workspace_and_idempotent() -> None:
    store = RecallStore()
    first, second = store.add_workspace(), store.add_workspace()
    alice = store.get_or_create_user(first.id, "alice")
    assert store.get_or_create_user(first.id, "alice") is alice
    other = store.get_or_create_user(second.id, "alice")
    assert other.id != alice.id
    assert [c.public() for c in alice.connections.values()] == [
        {"platform": "google", "connected": False, "email": None, "id": None},
        {"platform": "microsoft", "connected": False, "email": None, "id": None},
    ]
    prefs = alice.preferences.public()
    assert prefs.pop("bot_name") == "Meeting Notetaker"
    assert prefs.pop("id") != alice.id
    assert set(prefs.values()) == {False}, "nothing is recorded by default"


def test_connect_then_disconnect_touches_one_platform_only() -> None:
    store = RecallStore()
    user = store.get_or_create_user(store.default_workspace().id, "u")
    store.connect(user, "google", "g@example.com")
    store.connect(user, "microsoft", "m@example.com")
    microsoft_before = user.connections["microsoft"].public()
    store.disconnect(user, "google")
    assert user.connections["google"].public() == {
        "platform": "google",
        "connected": False,
        "email": None,
        "id": None,
    }
    assert user.connections["microsoft"].public() == microsoft_before
    store.disconnect(user, "google")  # not connected: nothing changes
    assert user.connections["google"].connected is False


def test_calendar_token_round_trip_and_foreign_tokens() -> None:
    store = RecallStore()
    user = store.get_or_create_user(store.default_workspace().id, "u")
    token = store.issue_calendar_token(user, 1_000_000.0)
    read = store.read_calendar_token(token)
    assert read is not None
    assert (read.calendar_user_id, read.workspace_id, read.expires_at) == (
        user.id,
        user.workspace_id,
        1_000_000 + CALENDAR_TOKEN_LIFETIME,
    )
    assert store.issue_calendar_token(user, 1_000_000.0) != token, "every token is new"
    assert RecallStore().read_calendar_token(token) is None, "another store's key does not verify it"
    assert store.read_calendar_token("not-a-token") is None
    unsigned_claims = jwt.encode({"exp": 1}, store.signing_key, algorithm="HS256")
    assert store.read_calendar_token(unsigned_claims) is None, "claims missing"


def test_verified_tokens_are_remembered_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    store = RecallStore()
    user = store.get_or_create_user(store.default_workspace().id, "u")
    checks: list[str] = []
    verify = store._verify_calendar_token

    def counting(token: str) -> recall_store.CalendarToken | None:
        checks.append(token)
        return verify(token)

    monkeypatch.setattr(store, "_verify_calendar_token", counting)
    monkeypatch.setattr(recall_store, "TOKEN_MEMORY_LIMIT", 3)
    token = store.issue_calendar_token(user, 1_000_000.0)
    assert store.read_calendar_token(token) == store.read_calendar_token(token)
    assert checks == [token], "the signature is checked once per token"
    assert store.read_calendar_token("not-a-token") is None
    assert store.read_calendar_token("not-a-token") is None
    assert checks.count("not-a-token") == 2, "a refused token is checked every time, not remembered"
    for _ in range(5):
        assert store.read_calendar_token(store.issue_calendar_token(user, 1_000_000.0)) is not None
    assert len(store._verified_tokens) <= 3


def test_a_remembered_token_is_refused_once_its_user_is_gone_or_the_fake_is_reset(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    token = data["tokens"]["calendar"]
    assert (
        vendor.authenticate("apikey", token, {}, "calendar_user_retrieve")["calendar_user_id"]
        == (data["calendar_user_id"])
    )
    vendor.store.delete_user(data["calendar_user_id"])
    with pytest.raises(VendorError) as deleted:
        vendor.authenticate("apikey", token, {}, "calendar_user_retrieve")
    assert deleted.value.body == {"detail": "Invalid token."}

    again = user_state(vendor)
    assert vendor.authenticate("apikey", again["tokens"]["calendar"], {}, "calendar_user_retrieve")
    vendor.reset()
    with pytest.raises(VendorError) as after_reset:
        vendor.authenticate("apikey", again["tokens"]["calendar"], {}, "calendar_user_retrieve")
    assert after_reset.value.body == {"detail": "Invalid token."}


def test_dump_shows_key_prefixes_only() -> None:
    store = RecallStore()
    workspace = store.add_workspace()
    key = workspace.api_keys[0]
    assert len(key) == 40
    dumped = store.dump()
    assert dumped["workspaces"] == [{"id": workspace.id, "api_key_prefixes": [key[:6]]}]
    assert key not in repr(dumped)


# -- credentials --------------------------------------------------------------------------------
def test_workspace_key_accepted_with_or_without_token_keyword(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    key = data["tokens"]["workspace"]
    expected = {"workspace_id": data["workspace_id"]}
    for header in (f"Token {key}", f"token {key}", key, f"  Token   {key} "):
        assert vendor.authenticate("apikey", header, {}, "calendar_authenticate_create") == expected


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Bearer abc", "Authentication credentials were not provided."),
        ("", "Authentication credentials were not provided."),
        ("Token 0123456789abcdef0123456789abcdef01234567", "Invalid token."),
    ],
)
def test_bad_workspace_headers(vendor: RecallVendor, header: str, detail: str) -> None:
    with pytest.raises(VendorError) as raised:
        vendor.authenticate("apikey", header, {}, "calendar_users_list")
    assert raised.value.status == 401
    assert raised.value.body == {"detail": detail}
    assert raised.value.headers == {"WWW-Authenticate": "Token"}


def test_calendar_token_expires_after_24_hours_on_the_fake_clock(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    token = data["tokens"]["calendar"]
    expected = {"calendar_user_id": data["calendar_user_id"], "workspace_id": data["workspace_id"]}
    vendor.clock.advance(CALENDAR_TOKEN_LIFETIME - 5)
    assert vendor.authenticate("apikey", token, {}, "calendar_user_retrieve") == expected
    vendor.clock.advance(5)
    with pytest.raises(VendorError) as raised:
        vendor.authenticate("apikey", token, {}, "calendar_user_retrieve")
    assert (raised.value.status, raised.value.body, raised.value.headers) == (401, {"detail": "Invalid token."}, {})


def test_credentials_are_not_interchangeable(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    with pytest.raises(VendorError) as as_calendar:
        vendor.authenticate("apikey", data["tokens"]["workspace"], {}, "calendar_user_retrieve")
    assert as_calendar.value.body == {"detail": "Invalid token."}
    with pytest.raises(VendorError) as as_workspace:
        vendor.authenticate("apikey", f"Token {data['tokens']['calendar']}", {}, "calendar_authenticate_create")
    assert as_workspace.value.body == {"detail": "Invalid token."}


def test_token_of_a_deleted_user_is_refused(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    vendor.store.delete_user(data["calendar_user_id"])
    with pytest.raises(VendorError) as raised:
        vendor.authenticate("apikey", data["tokens"]["calendar"], {}, "calendar_user_retrieve")
    assert raised.value.body == {"detail": "Invalid token."}


# -- handlers -----------------------------------------------------------------------------------
def test_authenticate_creates_then_reuses_the_user(vendor: RecallVendor) -> None:
    workspace = {"workspace_id": vendor.store.default_workspace().id}
    first = handlers.authenticate(
        vendor, call(vendor, "calendar_authenticate_create", {"user_id": " ext-1 "}, workspace)
    )
    second = handlers.authenticate(
        vendor, call(vendor, "calendar_authenticate_create", {"user_id": "ext-1"}, workspace)
    )
    assert first.status == 200 and first.body["token"] != second.body["token"]
    assert [u.external_id for u in vendor.store.users.values()] == ["ext-1"], "whitespace is trimmed, as DRF does"


def test_blank_user_id_is_refused_without_creating_anything(vendor: RecallVendor) -> None:
    workspace = {"workspace_id": vendor.store.default_workspace().id}
    before = vendor.dump()
    with pytest.raises(VendorError) as raised:
        handlers.authenticate(vendor, call(vendor, "calendar_authenticate_create", {"user_id": "   "}, workspace))
    assert (raised.value.status, raised.value.body) == (400, {"user_id": ["This field may not be blank."]})
    assert vendor.dump() == before


def test_update_patches_only_sent_preferences(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    auth = {"calendar_user_id": data["calendar_user_id"], "workspace_id": data["workspace_id"]}
    body = {"preferences": {"record_external": True, "bot_name": " Notes ", "unknown": 1}, "other": 2}
    prefs = handlers.update_user(vendor, call(vendor, "calendar_user_update", body, auth)).body["preferences"]
    assert prefs["record_external"] is True and prefs["bot_name"] == "Notes"
    assert prefs["record_internal"] is False
    again = handlers.update_user(vendor, call(vendor, "calendar_user_update", None, auth)).body["preferences"]
    assert again == prefs, "an absent body changes nothing"
    before = vendor.dump()
    with pytest.raises(VendorError) as raised:
        handlers.update_user(
            vendor,
            call(vendor, "calendar_user_update", {"preferences": {"record_internal": True, "bot_name": ""}}, auth),
        )
    assert raised.value.body == {"preferences": {"bot_name": ["This field may not be blank."]}}
    assert vendor.dump() == before, "a refused update changes no preference"


def test_destroy_then_list(vendor: RecallVendor) -> None:
    kept = user_state(vendor, user_id="kept")
    gone = user_state(vendor, user_id="gone", google="g@example.com")
    auth = {"calendar_user_id": gone["calendar_user_id"], "workspace_id": gone["workspace_id"]}
    reply = handlers.destroy_user(vendor, call(vendor, "calendar_user_destroy", None, auth))
    assert (reply.status, reply.body) == (204, None)
    listed = handlers.list_users(
        vendor, call(vendor, "calendar_users_list", None, {"workspace_id": kept["workspace_id"]})
    )
    assert [u["external_id"] for u in listed.body] == ["kept"]


# -- provider states and tokens ----------------------------------------------------------------
def test_calendar_user_state_is_declarative_for_an_existing_user(vendor: RecallVendor) -> None:
    first = user_state(vendor, user_id="u", google="g@example.com", microsoft="m@example.com")
    again = user_state(vendor, user_id="u", microsoft="other@example.com")
    assert again["calendar_user_id"] == first["calendar_user_id"]
    assert [(c["platform"], c["connected"], c["email"]) for c in again["connections"]] == [
        ("google", False, None),
        ("microsoft", True, "other@example.com"),
    ]
    assert again["tokens"]["workspace"] == first["tokens"]["workspace"], "the default workspace is shared"


def test_connection_state_by_either_id(vendor: RecallVendor) -> None:
    data = user_state(vendor, user_id="ext")
    connect = vendor.provider_states["connection"].apply
    by_id = connect({"calendar_user_id": data["calendar_user_id"], "platform": "google", "email": "g@example.com"})
    by_external = connect({"user_id": "ext", "platform": "microsoft", "email": "m@example.com"})
    assert by_id["external_id"] == "ext"
    assert by_external["calendar_user_id"] == data["calendar_user_id"]
    user = vendor.store.users[data["calendar_user_id"]]
    assert user.connections["google"].id == by_id["connection_id"]
    assert user.connections["microsoft"].email == "m@example.com"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"calendar_user_id": "nope", "platform": "google", "email": "e"}, "unknown calendar_user_id 'nope'"),
        ({"user_id": "nobody", "platform": "google", "email": "e"}, "no calendar user with user_id 'nobody'"),
        ({"user_id": "x", "workspace_id": "w", "platform": "google", "email": "e"}, "unknown workspace_id 'w'"),
    ],
)
def test_connection_state_errors(vendor: RecallVendor, params: dict[str, Any], message: str) -> None:
    with pytest.raises(AdminError) as raised:
        vendor.provider_states["connection"].apply(params)
    assert raised.value.status == 400 and message in raised.value.message


def test_connection_state_without_ids_connects_a_new_calendar_user(vendor: RecallVendor) -> None:
    before = set(vendor.store.users)
    data = vendor.provider_states["connection"].apply({})
    assert data["calendar_user_id"] not in before
    user = vendor.store.users[data["calendar_user_id"]]
    assert user.connections["google"].email == data["email"] == "user@example.com"


def test_workspace_state_isolates_users(vendor: RecallVendor) -> None:
    other = vendor.provider_states["workspace"].apply({})
    mine = user_state(vendor, user_id="same")
    theirs = user_state(vendor, user_id="same", workspace_id=other["workspace_id"])
    assert mine["calendar_user_id"] != theirs["calendar_user_id"]
    assert theirs["tokens"]["workspace"] == other["tokens"]["workspace"]


def test_mint_tokens(vendor: RecallVendor) -> None:
    data = user_state(vendor)
    key = vendor.mint_token("workspace", {}, expired=False)
    assert vendor.authenticate("apikey", key, {}, "calendar_users_list") == {"workspace_id": data["workspace_id"]}
    revoked = vendor.mint_token("workspace", {}, expired=True)
    with pytest.raises(VendorError):
        vendor.authenticate("apikey", revoked, {}, "calendar_users_list")
    fresh = vendor.mint_token("calendar", {"calendar_user_id": data["calendar_user_id"]}, expired=False)
    assert (
        vendor.authenticate("apikey", fresh, {}, "calendar_user_retrieve")["calendar_user_id"]
        == data["calendar_user_id"]
    )
    stale = vendor.mint_token("calendar", {"calendar_user_id": data["calendar_user_id"]}, expired=True)
    with pytest.raises(VendorError):
        vendor.authenticate("apikey", stale, {}, "calendar_user_retrieve")
    with pytest.raises(Problem):
        vendor.mint_token("calendar", {}, expired=False)
    with pytest.raises(Problem):
        vendor.mint_token("workspace", {"workspace_id": "nope"}, expired=False)


# -- DRF error bodies ---------------------------------------------------------------------------
def render(vendor: RecallVendor, problem: Problem, path: str = DISCONNECT) -> tuple[int, Any, dict[str, str]]:
    rendered = vendor.render(problem, path)
    return rendered.status, rendered.body, rendered.headers


def test_render_field_errors_from_schema_failures(vendor: RecallVendor) -> None:
    schema = {
        "type": "object",
        "required": ["platform"],
        "properties": {
            "platform": {"type": "string", "enum": ["google", "microsoft"]},
            "preferences": {"type": "object", "properties": {"record_external": {"type": "boolean"}}},
        },
    }

    def body_for(instance: Any) -> Any:
        error = best_match(Draft4Validator(schema).iter_errors(instance))
        return render(vendor, describe(error))[1]

    assert body_for({}) == {"platform": ["This field is required."]}
    assert body_for({"platform": "foo"}) == {"platform": ['"foo" is not a valid choice.']}
    assert body_for({"platform": True}) == {"platform": ['"True" is not a valid choice.']}
    assert body_for({"platform": None}) == {"platform": ["This field may not be null."]}
    assert body_for(["google"]) == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    assert body_for({"platform": "google", "preferences": {"record_external": "yes"}}) == {
        "preferences": {"record_external": ["Must be a valid boolean."]}
    }
    assert body_for({"platform": "google", "preferences": 3}) == {
        "preferences": {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}
    }


@pytest.mark.parametrize(
    ("problem", "path", "status", "body", "headers"),
    [
        (Problem(400, "malformed_body", "the request body is missing", "body", "missing"), AUTHENTICATE, 400,
         {"user_id": ["This field is required."]}, {}),
        (Problem(400, "malformed_body", "the request body is missing", "body", "missing"), DISCONNECT, 400,
         {"platform": ["This field is required."]}, {}),
        (Problem(400, "malformed_body", "the body is not valid JSON: Expecting value: line 1 column 1 (char 0)",
                 "body", "invalid"), DISCONNECT, 400,
         {"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"}, {}),
        (Problem(401, "unauthorized", "No authorization token provided"), AUTHENTICATE, 401,
         {"detail": "Authentication credentials were not provided."}, {"WWW-Authenticate": "Token"}),
        (Problem(401, "unauthorized", "No authorization token provided"), DISCONNECT, 401,
         {"detail": "Authentication credentials were not provided."}, {}),
        (Problem(404, "not_found", "No such path: /recall/x"), "/recall/x", 404, {"detail": "Not found."}, {}),
        (Problem(405, "method_not_allowed", "Method not allowed", headers={"Allow": "POST"}), DISCONNECT, 405,
         {"detail": "Method not allowed."}, {"Allow": "POST"}),
        (Problem(405, "method_not_allowed", "x", value="GET", headers={"Allow": "POST"}), DISCONNECT, 405,
         {"detail": 'Method "GET" not allowed.'}, {"Allow": "POST"}),
        (Problem(415, "unsupported_media_type", "Invalid Content-type (text/plain), expected ['application/json']"),
         DISCONNECT, 415, {"detail": 'Unsupported media type "text/plain" in request.'}, {}),
        (Problem(413, "payload_too_large", "the body is larger than 1048576 bytes"), DISCONNECT, 413,
         {"detail": "The request body is larger than 1048576 bytes."}, {}),
        (Problem(429, "rate_limited", "x", headers={"Retry-After": "1"}), DISCONNECT, 429,
         {"detail": "Request was throttled. Expected available in 1 second."}, {"Retry-After": "1"}),
        (Problem(429, "rate_limited", "x", headers={"Retry-After": "42"}), DISCONNECT, 429,
         {"detail": "Request was throttled. Expected available in 42 seconds."}, {"Retry-After": "42"}),
        (Problem(503, "fault", "Fault injected through the control plane"), DISCONNECT, 503,
         {"detail": "A server error occurred."}, {}),
        (Problem(403, "forbidden", "Fault injected through the control plane"), DISCONNECT, 403,
         {"detail": "You do not have permission to perform this action."}, {}),
        (Problem(409, "fault", "Fault injected through the control plane"), DISCONNECT, 409,
         {"detail": "Fault injected through the control plane"}, {}),
        (Problem(500, "internal", "FAKE_RESPONSE_INVALID: x"), DISCONNECT, 500,
         {"detail": "FAKE_RESPONSE_INVALID: x"}, {}),
    ],
)  # fmt: skip
def test_render_generic_failures_in_drf_shape(
    vendor: RecallVendor, problem: Problem, path: str, status: int, body: Any, headers: dict[str, str]
) -> None:
    assert render(vendor, problem, path) == (status, body, headers)
