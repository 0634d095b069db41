"""Arbitrary requests at every operation of every fake and of the control plane, in process.

Hypothesis throws arbitrary bytes, header sets, content types (any case, with parameters, or
garbage) and methods at each operation of each served spec, with a valid credential for half of
them, through the app with response validation on. Whatever comes in: never a 5xx, always a JSON
body, and a refused request (4xx) leaves the state dump, faults, settings and clock as they were.
Each example starts from the same seeded state (accepted requests are undone after each one).
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mockserver.app import FakesApp, build_app
from mockserver.specs import Operation, load_spec, operations, resolve_ref

APIS = ("vcita", "recall", "calcom", "ravan", "admin")
PREFIX = {"admin": "/__admin"}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
MEDIA_TYPES = (
    "application/json",
    "APPLICATION/JSON",
    "Application/Json; Charset=UTF-8",
    "application/json; charset=latin-1",
    "application/json;;;",
    "application/merge-patch+json",
    "application/problem+json",
    "text/plain",
    "TEXT/PLAIN; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "*/*",
    "json",
    "",
)
HEADER_NAMES = (
    "Content-Length",
    "Transfer-Encoding",
    "Content-Encoding",
    "Accept",
    "Authorization",
    "Origin",
    "Sec-Fetch-Site",
    "cal-api-version",
    "x-cal-client-id",
    "x-recallcalendarauthtoken",
    "X-Anything",
)
_VISIBLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_SEGMENT = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%:@", min_size=1, max_size=24)


@dataclass
class Seeded:
    """The app, its seeded ids and the credential headers of each security scheme."""

    app: FakesApp
    ids: dict[str, list[str]]
    credentials: dict[str, dict[str, str]]
    bodies: dict[str, list[bytes]]
    snapshot: Any


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def seeded() -> Seeded:
    app = build_app(validate_responses=True)
    admin = app.admin
    vcita = admin.apply_state("vcita", "calendar_sync", {"account": "x@example.com"})
    recall = admin.apply_state("recall", "calendar_user", {"google": "x@example.com"})
    calcom = admin.apply_state("calcom", "connected_calendar", {"type": "google"})
    account = admin.apply_state("ravan", "calcom_account", {})
    ravan = admin.apply_state("ravan", "agent", {"org_id": account["org_id"]})
    credentials = {
        "bearerAuth": {"Authorization": f"Bearer {vcita['tokens']['staff']}"},
        "adminToken": {"Authorization": f"Admin {vcita['tokens']['admin']}"},
        "workspaceApiKey": {"Authorization": f"Token {recall['tokens']['workspace']}"},
        "calendarAuthToken": {"x-recallcalendarauthtoken": recall["tokens"]["calendar"]},
        "bearer": {"Authorization": f"Bearer {calcom['tokens']['api_key']}"},
        "BearerAuth": {"Authorization": f"Bearer {ravan['tokens']['jwt']}"},
    }
    ids = {
        "calendar": ["google", "office365", "apple"],
        "agent_id": [ravan["agent_id"]],
        "api": list(APIS),
    }
    action = {"staff_uid": vcita["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "x@example.com"}}
    valid = {
        "connectExternalCalendar": action,
        "disconnectExternalCalendar": action,
        "disableExternalCalendar": action,
        "createCalendarSync": {"staff_uid": vcita["staff_uid"], "provider": "google_v3"},
        "calendar_authenticate_create": {"user_id": recall["external_id"]},
        "calendar_user_update": {"preferences": {"record_external": True}},
        "calendar_user_disconnect_create": {"platform": "google"},
        "CalendarsController_syncCredentials": {"username": "a@icloud.com", "password": "abcd-efgh-ijkl-mnop"},
        "CalendarsController_deleteCalendarCredentials": {"id": calcom["credential_ids"][0]},
        "DisconnectCalcom": {"org_id": account["org_id"]},
        "AssignAgentCalcomAccount": {"calcom_account_id": account["calcom_account_ids"][0]},
        "applyProviderState": {"api": "vcita", "state": "staff"},
        "mintToken": {"api": "ravan", "kind": "jwt", "org_id": account["org_id"]},
        "addFault": {"api": "calcom", "operation_id": "CalendarsController_check", "status": 503},
        "updateSettings": {"apis": {"recall": {"rate_limits": {"calendar_user_update": {"limit": 5}}}}},
        "advanceClock": {"advance_seconds": 3600},
    }
    bodies = {operation_id: [json.dumps(body).encode()] for operation_id, body in valid.items()}
    return Seeded(app, ids, credentials, bodies, app.runtime.snapshot())


def _example_bodies(spec: dict[str, Any], operation: Operation) -> list[bytes]:
    """The request body examples the spec gives for ``operation`` (bodies the fake accepts)."""
    request_body = resolve_ref(spec, operation.definition.get("requestBody"))
    examples = []
    for media in (request_body.get("content") or {}).values():
        if isinstance(media, dict) and "example" in media:
            examples.append(json.dumps(media["example"]).encode())
    return examples


def _operations() -> list[tuple[str, Operation, list[bytes]]]:
    found = []
    for api in APIS:
        spec = load_spec(f"{api}.yaml")
        found += [(api, operation, _example_bodies(spec, operation)) for operation in operations(spec)]
    return found


OPERATIONS = _operations()

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@st.composite
def requests(draw: st.DrawFn, api: str, seeded: Seeded) -> dict[str, Any]:
    """One arbitrary request at one operation of ``api``."""
    _, operation, examples = draw(st.sampled_from([entry for entry in OPERATIONS if entry[0] == api]))
    path = operation.path
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        value = draw(st.sampled_from(seeded.ids.get(name, ["x"])) | _SEGMENT)
        path = path.replace("{" + name + "}", value)
    # Mostly the operation's own method, so that the request goes past routing.
    method_kind = draw(st.sampled_from(["spec", "spec", "spec", "other", "arbitrary"]))
    method = operation.method.upper()
    if method_kind == "other":
        method = draw(st.sampled_from(METHODS))
    elif method_kind == "arbitrary":
        method = draw(st.text(string.ascii_uppercase, min_size=1, max_size=8))
    headers: dict[str, str] = {}
    with_credential: bool = draw(st.booleans())
    if operation.security and with_credential:
        headers.update(seeded.credentials[next(iter(operation.security[0]))])
    extra = draw(st.dictionaries(st.sampled_from(HEADER_NAMES), st.text(_VISIBLE, max_size=30), max_size=3))
    headers.update(extra)
    media_type = draw(
        st.none() | st.sampled_from(("application/json",) * 5 + MEDIA_TYPES) | st.text(_VISIBLE, max_size=30)
    )
    if media_type is not None:
        headers["Content-Type"] = media_type
    body = draw(
        st.binary(max_size=300)
        | _json_values.map(lambda value: json.dumps(value).encode())
        | st.sampled_from(
            [
                b"",
                b"{}",
                b"[]",
                b"null",
                b'{"a": NaN}',
                b"[" * 200 + b"]" * 200,
                b"9" * 5000,
                *examples,
                *seeded.bodies.get(operation.operation_id, []),
            ]
        )
    )
    query = draw(
        st.dictionaries(
            st.text(string.ascii_lowercase + "_", min_size=1, max_size=10), st.text(_VISIBLE, max_size=10), max_size=2
        )
    )
    return {
        "method": method,
        "url": PREFIX.get(api, f"/{api}") + path,
        "headers": headers,
        "content": body,
        "params": query,
    }


def observe(app: FakesApp) -> dict[str, Any]:
    """The control plane's view of the fakes (as GET /__admin/state, /faults, /settings, /clock)."""
    admin = app.admin
    return {
        "state": admin.state(),
        "faults": admin.faults(),
        "settings": admin.settings(),
        "clock": admin.clock()["offset_seconds"],
    }


async def _send(app: FakesApp, request: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.request(**request)


@pytest.mark.parametrize("api", APIS)
def test_arbitrary_requests_are_answered_in_json_without_5xx_or_side_effects(
    api: str, seeded: Seeded, loop: asyncio.AbstractEventLoop
) -> None:
    @settings(
        max_examples=400,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(api, seeded))
    def check(request: dict[str, Any]) -> None:
        seeded.app.runtime.restore(seeded.snapshot)
        before = observe(seeded.app)
        response = loop.run_until_complete(_send(seeded.app, request))
        event(f"status {response.status_code}")  # shown by --hypothesis-show-statistics
        assert response.status_code < 500, (response.status_code, response.text)
        if request["method"] != "HEAD" and response.status_code != 204:  # the two answers without a body
            assert response.headers.get("content-type") == "application/json", response.headers
            json.loads(response.content)
        if 400 <= response.status_code < 500:
            assert observe(seeded.app) == before, f"a refused request ({response.status_code}) changed the fakes"

    check()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/vcita/business/scheduling/v1/external_calendar_items/connect",
            {
                "status": "Error",
                "errors": [
                    {
                        "code": "invalid",
                        "field": "Content-Length",
                        "message": "the Content-Length header is not a number of bytes",
                    }
                ],
            },
        ),
        ("/recall/api/v1/calendar/user/disconnect/", {"detail": "Malformed request."}),
        (
            "/__admin/clock",
            {
                "error": {
                    "code": "invalid_parameter:Content-Length",
                    "message": "the Content-Length header is not a number of bytes",
                }
            },
        ),
    ],
)
@pytest.mark.parametrize("length", ["", "abc", "-1", "1_0"])
def test_an_unreadable_content_length_in_process_is_a_400(
    seeded: Seeded, loop: asyncio.AbstractEventLoop, path: str, expected: Any, length: str
) -> None:
    """An HTTP server refuses such framing itself; called in process the app got it, and answered 500."""
    seeded.app.runtime.restore(seeded.snapshot)
    before = observe(seeded.app)
    request = {"method": "POST", "url": path, "headers": {"Content-Length": length}, "content": b"{}"}
    response = loop.run_until_complete(_send(seeded.app, request))
    assert (response.status_code, response.json()) == (400, expected)
    assert observe(seeded.app) == before
