"""Cal.com calendars operations, by operationId. Each runs with the vendor's lock held."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from ... import issued
from ...errors import VendorError
from ...interface import Call, HandlerTable, Reply
from . import envelope
from .apps import APPLE, APPS, CALENDARS, CHECK_MESSAGES, GOOGLE, INVALID_CALENDAR, OAUTH_CALENDARS
from .calendars import list_for_user
from .store import CalcomStore, Credential, OAuthCode, User

if TYPE_CHECKING:
    from . import CalcomVendor

SUCCESS = "success"

# The scopes Cal.com asks each provider for (gcal.service.ts, outlook.service.ts).
_PROVIDER_SCOPES = {
    GOOGLE: "https://www.googleapis.com/auth/calendar.readonly https://www.googleapis.com/auth/calendar.events",
    "office365": "User.Read Calendars.Read Calendars.ReadWrite offline_access",
}
FAKE_CLIENT_ID = "calcom-fake-oauth-client"

OPERATIONS = HandlerTable()
"""This fake's handlers by operationId."""


def _error(call: Call, status: int, code: str, message: str) -> VendorError:
    return envelope.error(status, code, message, call.path, call.now)


def _bad_request(call: Call, message: str) -> VendorError:
    return _error(call, 400, envelope.BAD_REQUEST, message)


def _user_id(call: Call) -> int:
    assert call.auth is not None  # every operation here but save and the consent page needs a token
    user_id: int = call.auth["user_id"]
    return user_id


def _store(vendor: CalcomVendor) -> CalcomStore:
    return vendor.store


# -- GET /v2/calendars ------------------------------------------------------------------------
@OPERATIONS.serves("CalendarsController_getCalendars")
def get_calendars(vendor: CalcomVendor, call: Call) -> Reply:
    return Reply({"status": SUCCESS, "data": list_for_user(_store(vendor), _user_id(call))})


# -- POST /v2/calendars/{calendar}/disconnect --------------------------------------------------
@OPERATIONS.serves("CalendarsController_deleteCalendarCredentials")
def delete_calendar_credentials(vendor: CalcomVendor, call: Call) -> Reply:
    # The {calendar} segment is never read: Cal.com deletes any credential of the caller by id.
    store = _store(vendor)
    credential_id: int = call.body["id"]
    credential = store.credentials.get(credential_id)
    if credential is None or credential.user_id != _user_id(call):
        raise _error(call, 404, envelope.NOT_FOUND, envelope.CREDENTIALS_NOT_FOUND)
    store.delete_credential(credential_id)
    return Reply({"status": SUCCESS, "data": credential.deleted_output()})


# -- GET /v2/calendars/{calendar}/check --------------------------------------------------------
@OPERATIONS.serves("CalendarsController_check")
def check(vendor: CalcomVendor, call: Call) -> Reply:
    calendar = call.params["calendar"]
    if calendar not in CALENDARS:
        raise _bad_request(call, INVALID_CALENDAR)
    messages = CHECK_MESSAGES[calendar]
    app_type = APPS[calendar].type
    found = [c for c in _store(vendor).user_credentials(_user_id(call)) if c.type == app_type]
    if not found:
        raise _bad_request(call, messages["missing"])
    if found[0].invalid:
        raise _bad_request(call, messages["invalid"])
    return Reply({"status": SUCCESS})


# -- POST /v2/calendars/{calendar}/credentials -------------------------------------------------
def _js_length(text: str) -> int:
    """``String.prototype.length``: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@OPERATIONS.serves("CalendarsController_syncCredentials")
def sync_credentials(vendor: CalcomVendor, call: Call) -> Reply:
    if call.params["calendar"] != APPLE:
        raise _bad_request(call, INVALID_CALENDAR)
    username: str = call.body["username"]
    password: str = call.body["password"]
    if _js_length(username) <= 1 or _js_length(password) <= 1:
        raise _bad_request(call, "Username or password cannot be empty")
    store = _store(vendor)
    user_id = _user_id(call)
    for credential in store.user_credentials(user_id):
        if credential.calendar == APPLE and credential.account == username:
            # Same account: an unchanged password is a no-op, a new one updates the stored key.
            if credential.secret != password:
                credential.secret = password
            return Reply({"status": SUCCESS}, 201)
    store.add_credential(user_id, APPLE, username, secret=password)
    return Reply({"status": SUCCESS}, 201)


# -- GET /v2/calendars/{calendar}/connect ------------------------------------------------------
@OPERATIONS.serves("CalendarsController_redirect")
def connect(vendor: CalcomVendor, call: Call) -> Reply:
    calendar = call.params["calendar"]
    if calendar not in OAUTH_CALENDARS:
        raise _bad_request(call, INVALID_CALENDAR)
    assert call.auth is not None
    headers = call.headers
    state: dict[str, Any] = {
        "accessToken": call.auth["token"],
        "origin": headers.get("origin") or headers.get("host") or "",
        "redir": call.params.get("redir") or "",
    }
    if call.params.get("isDryRun") is not None:
        state["isDryRun"] = call.params["isDryRun"]
    query = {
        "access_type": "offline",
        "scope": _PROVIDER_SCOPES[calendar],
        "prompt": "consent",
        "state": json.dumps(state, separators=(",", ":")),
        "response_type": "code",
        "client_id": FAKE_CLIENT_ID,
        "redirect_uri": f"{call.base_url}/v2/calendars/{calendar}/save",
    }
    auth_url = f"{call.base_url}/fake-oauth/{calendar}/authorize?{urlencode(query)}"
    return Reply({"status": SUCCESS, "data": {"authUrl": auth_url}})


def _redirect(status: int, location: str) -> Reply:
    """A redirect as Express's ``res.redirect`` sends it: a short text body beside ``Location``."""
    reason = "Moved Permanently" if status == 301 else "Found"
    # encodeurl: percent-encode what may not appear in a URL, keep existing escapes.
    location = quote(location, safe="!#$%&'()*+,-./:;=?@[]_~")
    return Reply(
        f"{reason}. Redirecting to {location}",
        status,
        {"Location": location, "Content-Type": "text/plain"},
    )


# -- GET /fake-oauth/{calendar}/authorize (the fake's stand-in for Google's and Microsoft's consent) --
@OPERATIONS.serves("FakeOAuth_consent")
def fake_consent(vendor: CalcomVendor, call: Call) -> Reply:
    calendar = call.params["calendar"]
    if calendar not in OAUTH_CALENDARS:
        raise _bad_request(call, INVALID_CALENDAR)
    redirect_uri: str = call.params["redirect_uri"]
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        raise _bad_request(call, "redirect_uri must be an absolute http(s) URL")
    answer: dict[str, str] = {"state": call.params["state"]}
    if call.params.get("decision", "allow") == "deny":
        answer = {"error": "access_denied", **answer}
    else:
        code = issued.register(secrets.token_urlsafe(24))
        _store(vendor).oauth_codes[code] = OAuthCode(code, calendar, call.params.get("login_hint"))
        answer = {**answer, "code": code}
    separator = "&" if target.query else "?"
    return _redirect(302, f"{redirect_uri}{separator}{urlencode(answer)}")


# -- GET /v2/calendars/{calendar}/save -----------------------------------------------------------
def _parse_state(call: Call, raw: str) -> dict[str, Any]:
    """The JSON state connect put in the authUrl, checked the way Cal.com's zod schema checks it."""
    try:
        state = json.loads(raw)
    except ValueError:
        state = {}
    if not isinstance(state, dict):
        state = {}
    issues: list[str] = []
    for key, nullable in (("accessToken", False), ("origin", False), ("redir", True)):
        value = state.get(key)
        if key not in state:
            if not nullable:
                issues.append(f"{key} - Required")
        elif value is None and nullable:
            continue
        elif not isinstance(value, str):
            issues.append(f"{key} - Expected string, received {_js_type(value)}")
    if issues:
        # ZodExceptionFilter folds the issues as `${path} - ${message}, ${acc}`: last issue first.
        message = ""
        for issue in issues:
            message = f"{issue}, {message}"
        raise _error(call, 400, "BAD_REQUEST", message)
    return state


def _js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object"


@OPERATIONS.serves("CalendarsController_save")
def save(vendor: CalcomVendor, call: Call) -> Reply:
    state = _parse_state(call, call.params["state"])
    calendar = call.params["calendar"]
    if calendar not in OAUTH_CALENDARS:
        raise _bad_request(call, INVALID_CALENDAR)
    back = _redirect(301, state.get("redir") or state["origin"])
    code = call.params.get("code")
    # The user declined (no code) or it is a dry run: straight back, nothing saved.
    if not code or code == "undefined" or state.get("isDryRun"):
        return back
    store = _store(vendor)
    token = store.tokens.get(state["accessToken"])
    user = store.users.get(token.user_id) if token is not None else None
    if user is None:
        raise _error(call, 401, envelope.UNAUTHORIZED, "Invalid Access token.")
    grant = store.oauth_codes.get(code)
    if grant is None or grant.calendar != calendar:
        raise _bad_request(call, "invalid_grant")
    del store.oauth_codes[code]
    _link_account(store, user, calendar, grant.account or _default_account(user, calendar))
    return back


def _default_account(user: User, calendar: str) -> str:
    return f"{user.username}@{APPS[calendar].default_domain}"


def _link_account(store: CalcomStore, user: User, calendar: str, account: str) -> Credential:
    """createAndLinkCalendarEntry: a known primary calendar only revives its invalid credential."""
    app_type = APPS[calendar].type
    for selected in store.user_selected_calendars(user.id):
        if selected.integration == app_type and selected.external_id == account:
            credential = store.credentials[selected.credential_id]
            credential.invalid = False
            return credential
    credential = store.add_credential(user.id, calendar, account)
    store.select_primary(credential)
    return credential
