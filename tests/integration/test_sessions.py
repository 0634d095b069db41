"""Sessions over real HTTP, on both engines: ``/s/<id>`` is a whole server of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.redis_server import RedisServer
from support.vcita import action

from mockserver.app import build_app
from mockserver.runtime import Runtime
from mockserver.server import ServerThread
from mockserver.state.engine import open_engine
from mockserver.vendors import ALL_VENDORS

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"
ADMIN_TOKEN = "msadm_session-tests-admin-token-0001"


def _serve(state: str, *, admin_token: str | None = None, max_sessions: int = 3) -> ServerThread:
    engine = open_engine(state, session_ttl=3600, max_sessions=max_sessions)
    return ServerThread(
        build_app(Runtime(ALL_VENDORS, engine=engine), validate_responses=True), admin_token=admin_token
    )


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> str:
    """The ``--state`` of the server under test."""
    if request.param == "memory":
        return "memory"
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    return server.url


@pytest.fixture
def server(state: str) -> Iterator[ServerThread]:
    with _serve(state) as running:
        yield running
    running.app.runtime.engine.close()


@pytest.fixture
def http(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


def _created(http: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = http.post("/__admin/sessions", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _root_picture(http: httpx.Client) -> dict[str, Any]:
    """Everything the default session holds, as the control plane shows it."""
    return {
        "export": http.get("/__admin/state", params={"format": "export"}).json(),
        "faults": http.get("/__admin/faults").json(),
        "settings": http.get("/__admin/settings").json(),
        "requests": http.get("/__admin/requests").json(),
        "clock_offset": http.get("/__admin/clock").json()["offset_seconds"],
    }


def test_create_answers_the_base_url_and_a_token(http: httpx.Client, server: ServerThread) -> None:
    created = _created(http, name="ci shard 1", ttl_seconds=120)
    assert created["base_url"] == f"{server.base_url}/s/{created['id']}"
    assert created["name"] == "ci shard 1" and created["ttl_seconds"] == 120
    assert created["token"].startswith("mss_") and created["requests"] == 0
    listed = http.get("/__admin/sessions").json()["data"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert "token" not in listed[0] and "token_hash" not in listed[0]


def test_each_kind_of_state_stays_in_its_session(http: httpx.Client) -> None:
    root_before = _root_picture(http)
    mine, other = _created(http)["id"], _created(http)["id"]
    base = f"/s/{mine}"
    synced = http.post(
        f"{base}/__admin/states", json={"api": "vcita", "state": "calendar_sync", "params": {"provider": "google_v3"}}
    ).json()["data"]
    token = {"Authorization": f"Bearer {synced['tokens']['staff']}"}
    # a record and a token
    assert http.put(f"{base}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=token).status_code == 200
    # a fault, a setting, a clock move, a rate-limit bucket
    fault = {"api": "vcita", "operation_id": "disableExternalCalendar", "status": 503}
    assert http.post(f"{base}/__admin/faults", json=fault).status_code == 201
    # one request an hour: the next is refused however slowly the machine runs
    limit = {"token": {"limit": 1, "window_seconds": 3600}}
    patch = {"apis": {"vcita": {"error_envelope": "success_false", "rate_limits": limit}}}
    assert http.patch(f"{base}/__admin/settings", json=patch).status_code == 200
    assert http.post(f"{base}/__admin/clock", json={"advance_seconds": 7200}).status_code == 200
    first = http.put(f"{base}{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=token)
    throttled = http.put(f"{base}{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=token)
    assert first.status_code == 200 and throttled.status_code == 429
    assert http.put(f"{base}{ITEMS}/disable", json=action(synced["staff_uid"]), headers=token).status_code == 429
    # the session sees all of it
    assert len(http.get(f"{base}/__admin/requests").json()["data"]) == 4
    assert http.get(f"{base}/__admin/clock").json()["offset_seconds"] == 7200
    # the other session and the root see none of it
    for elsewhere in (f"/s/{other}", ""):
        assert http.get(f"{elsewhere}/__admin/state", params={"api": "vcita"}).json()["vcita"]["staff"] == []
        assert http.get(f"{elsewhere}/__admin/faults").json()["data"] == []
        settings = http.get(f"{elsewhere}/__admin/settings").json()["apis"]["vcita"]
        assert settings["error_envelope"] == "status_error" and settings["rate_limits"]["token"]["limit"] == 8
        assert http.get(f"{elsewhere}/__admin/clock").json()["offset_seconds"] == 0
        refused = http.put(f"{elsewhere}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=token)
        assert refused.status_code == 401  # the token belongs to the other session only
    assert http.get(f"/s/{other}/__admin/requests").json()["data"][0]["path"].startswith("/vcita/")
    after = _root_picture(http)
    # The root's own journal gained the one refused request made above, nothing else changed.
    assert [e["status"] for e in after.pop("requests")["data"]] == [401]
    root_before.pop("requests")
    after["export"].pop("journal")
    root_before["export"].pop("journal")
    assert after == root_before


def test_a_token_minted_in_a_session_works_there(http: httpx.Client) -> None:
    session = _created(http)["id"]
    synced = http.post(f"/s/{session}/__admin/states", json={"api": "vcita", "state": "calendar_sync"}).json()["data"]
    headers = {"Authorization": f"Bearer {synced['tokens']['staff']}"}
    answer = http.put(f"/s/{session}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=headers)
    assert answer.status_code == 200, answer.text


def test_unknown_session_is_404_in_each_envelope_and_creates_nothing(http: httpx.Client) -> None:
    vendor = http.put(f"/s/nosuch{ITEMS}/connect", json=action("x"), headers={"Authorization": "Bearer x"})
    assert vendor.status_code == 404
    assert vendor.json() == {
        "status": "Error",
        "errors": [{"code": "not_found", "message": "no session 'nosuch' (it may have expired or been deleted)"}],
    }
    admin = http.post("/s/nosuch/__admin/reset")
    assert admin.status_code == 404
    assert admin.json() == {
        "error": {"code": "not_found", "message": "no session 'nosuch' (it may have expired or been deleted)"}
    }
    assert http.get("/__admin/sessions").json()["data"] == []


def test_the_cap_answers_429(http: httpx.Client) -> None:
    for _ in range(3):
        _created(http)
    refused = http.post("/__admin/sessions", json={})
    assert refused.status_code == 429
    assert refused.json() == {"error": {"code": "too_many_sessions", "message": "at most 3 sessions may exist at once"}}
    assert len(http.get("/__admin/sessions").json()["data"]) == 3


def test_delete_frees_everything_at_once(http: httpx.Client) -> None:
    session = _created(http)["id"]
    http.post(f"/s/{session}/__admin/states", json={"api": "recall", "state": "calendar_user"})
    assert http.delete(f"/__admin/sessions/{session}").json() == {"deleted": session}
    assert http.get(f"/s/{session}/__admin/state").status_code == 404
    assert http.delete(f"/__admin/sessions/{session}").status_code == 404
    assert http.get("/__admin/sessions").json()["data"] == []


def test_an_idle_session_expires_on_real_time(http: httpx.Client) -> None:
    session = _created(http, ttl_seconds=1)["id"]
    assert http.get(f"/s/{session}/__admin/state", params={"api": "vcita"}).status_code == 200
    time.sleep(1.6)
    assert http.get(f"/s/{session}/__admin/state", params={"api": "vcita"}).status_code == 404
    assert http.get("/__admin/sessions").json()["data"] == []


def test_sessions_are_managed_at_the_root_only(http: httpx.Client) -> None:
    session = _created(http)["id"]
    inside = http.post(f"/s/{session}/__admin/sessions", json={})
    assert inside.status_code == 404
    assert inside.json()["error"]["code"] == "not_found"


def test_swagger_ui_and_every_fake_exist_below_a_session(http: httpx.Client) -> None:
    session = _created(http)["id"]
    for api in ("vcita", "recall", "calcom", "ravan", "__admin"):
        assert http.get(f"/s/{session}/{api}/ui/").status_code == 200


def test_an_idle_session_expires_on_the_fake_clock(http: httpx.Client) -> None:
    """Idle time runs on the root's fake clock too, and any request in a session (its control
    plane's included) starts it again."""
    session = _created(http, ttl_seconds=60)["id"]
    longer = _created(http, ttl_seconds=600)["id"]
    assert http.post("/__admin/clock", json={"advance_seconds": 30}).status_code == 200
    assert http.get(f"/s/{session}/__admin/clock").status_code == 200  # used after 30 s of 60
    assert http.post("/__admin/clock", json={"advance_seconds": 31}).status_code == 200
    assert http.get(f"/s/{session}/__admin/faults").status_code == 200  # 31 s idle: still there
    assert http.post("/__admin/clock", json={"advance_seconds": 61}).status_code == 200
    assert http.get(f"/s/{session}/__admin/clock").status_code == 404
    assert [s["id"] for s in http.get("/__admin/sessions").json()["data"]] == [longer]
    assert http.get(f"/s/{longer}/__admin/clock").status_code == 200


@pytest.mark.parametrize("engine", ["memory", "redis"])
def test_a_session_token_opens_its_own_session_only(engine: str, request: pytest.FixtureRequest) -> None:
    url = "memory"
    if engine == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis.flush()
        url = redis.url
    root = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with _serve(url, admin_token=ADMIN_TOKEN) as running, httpx.Client(base_url=running.base_url) as http:
        assert http.post("/__admin/sessions", json={}).status_code == 401
        mine = http.post("/__admin/sessions", json={}, headers=root).json()
        other = http.post("/__admin/sessions", json={}, headers=root).json()
        own = {"Authorization": f"Bearer {mine['token']}"}
        assert http.get(f"/s/{mine['id']}/__admin/faults", headers=own).status_code == 200
        assert http.get(f"/s/{mine['id']}/__admin/faults", headers=root).status_code == 200
        assert http.get(f"/s/{mine['id']}/__admin/faults").status_code == 401
        assert http.get(f"/s/{other['id']}/__admin/faults", headers=own).status_code == 401
        assert http.get("/__admin/faults", headers=own).status_code == 401
        assert http.get("/__admin/sessions", headers=own).status_code == 401
        running.app.runtime.engine.close()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"name": ', "application/json"),  # malformed JSON
        (b'{"name": 5}', "application/json"),  # wrong type
        (b'{"ttl_seconds": "an hour"}', "application/json"),
        (b'{"ttl_seconds": 0}', "application/json"),  # below the minimum
        (b'{"ttl_seconds": 1e400}', "application/json"),  # not a finite number
        (b'{"colour": "blue"}', "application/json"),  # unknown field
        (b'["ci"]', "application/json"),  # not an object
    ],
)
def test_a_bad_create_is_400_and_creates_nothing(http: httpx.Client, body: bytes, content_type: str) -> None:
    answer = http.post("/__admin/sessions", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error"} and answer.json()["error"]["code"]
    assert http.get("/__admin/sessions").json()["data"] == []


def test_an_unknown_session_id_is_404_on_get_and_delete(http: httpx.Client) -> None:
    for method in ("GET", "DELETE"):
        answer = http.request(method, "/__admin/sessions/no-such-session")
        assert answer.status_code == 404
        assert answer.json() == {"error": {"code": "unknown_session", "message": "no session 'no-such-session'"}}
