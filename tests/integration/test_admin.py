"""The control plane over real HTTP, and the parity of its two Python implementations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.admin import AdminError, HttpAdmin, InProcessAdmin
from mockserver.server import ServerThread

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"


@pytest.fixture(params=["in_process", "http"])
def admin(request: pytest.FixtureRequest, fake_server: ServerThread) -> Iterator[Any]:
    """Each test runs once per Admin implementation: both must behave the same."""
    if request.param == "in_process":
        yield fake_server.app.admin
    else:
        with HttpAdmin(fake_server.base_url) as http_admin:
            yield http_admin


@pytest.fixture
def http(fake_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_server.base_url, timeout=10) as client:
        yield client


def disconnect(http: httpx.Client, data: dict[str, Any], token_kind: str = "staff") -> httpx.Response:
    body = {"staff_uid": data["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "a@b.c"}}
    return http.put(f"{ITEMS}/disconnect", json=body, headers={"Authorization": f"Bearer {data['tokens'][token_kind]}"})


def test_health(admin: Any) -> None:
    assert admin.health() == {"status": "ok", "apis": list(admin.health()["apis"])}
    assert "vcita" in admin.health()["apis"]


def test_provider_states_are_listed_with_params(admin: Any) -> None:
    states = {s["state"]: s for s in admin.provider_states("vcita")}
    assert {"staff", "calendar_sync"} <= set(states)
    params = states["calendar_sync"]["params"]
    assert params["provider"] == {
        "type": "string",
        "required": False,
        "default": "google_v3",
        "enum": ["google_v3", "outlook_v1.0"],
    }
    assert params["enabled"]["default"] is True
    assert set(params) == {"provider", "account", "enabled", "staff_uid"}


def test_apply_state_returns_ids_and_tokens(admin: Any) -> None:
    staff = admin.apply_state("vcita", "staff")
    assert set(staff) == {"business_uid", "staff_uid", "tokens"}
    assert set(staff["tokens"]) == {"staff", "app", "admin"}
    synced = admin.apply_state("vcita", "calendar_sync", {"staff_uid": staff["staff_uid"], "account": "a@b.c"})
    assert synced["staff_uid"] == staff["staff_uid"] and synced["business_uid"] == staff["business_uid"]
    assert synced["calendar_sync_uid"] and synced["account"] == "a@b.c"
    dumped = admin.state("vcita")["vcita"]
    assert [s["uid"] for s in dumped["calendar_syncs"]] == [synced["calendar_sync_uid"]]


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda a: a.apply_state("nope", "staff"), 404, "unknown_api"),
        (lambda a: a.apply_state("vcita", "nope"), 404, "unknown_state"),
        (lambda a: a.apply_state("vcita", "calendar_sync", {"provider": "icloud"}), 400, "invalid_params"),
        (lambda a: a.apply_state("vcita", "calendar_sync", {"bogus": 1}), 400, "invalid_params"),
        (lambda a: a.apply_state("vcita", "calendar_sync", {"staff_uid": "missing"}), 400, "invalid_params"),
        (lambda a: a.mint_token("vcita", "root"), 400, "unknown_kind"),
        (lambda a: a.mint_token("vcita", "staff", business_uid="missing"), 400, "invalid_params"),
        (lambda a: a.add_fault("vcita", "noSuchOperation", status=500), 404, "unknown_operation"),
        (lambda a: a.add_fault("vcita", "connectExternalCalendar"), 400, "invalid_fault"),
        (lambda a: a.update_settings({"apis": {"vcita": {"error_envelope": "xml"}}}), 400, "invalid_settings"),
        (
            lambda a: a.update_settings({"apis": {"vcita": {"rate_limits": {"nope": {"limit": 1}}}}}),
            400,
            "invalid_settings",
        ),
        (lambda a: a.update_settings({"apis": {"nope": {}}}), 404, "unknown_api"),
        (lambda a: a.reset("nope"), 404, "unknown_api"),
        (lambda a: a.state("nope"), 404, "unknown_api"),
    ],
)
def test_admin_errors_are_clear_and_change_nothing(admin: Any, call: Any, status: int, code: str) -> None:
    admin.apply_state("vcita", "calendar_sync")
    before = (admin.state(), admin.settings(), admin.faults())
    with pytest.raises(AdminError) as raised:
        call(admin)
    assert (raised.value.status, raised.value.code) == (status, code)
    assert raised.value.message
    assert (admin.state(), admin.settings(), admin.faults()) == before


def test_admin_http_bad_input_gets_admin_envelope(http: httpx.Client) -> None:
    for response in (
        http.post("/__admin/states", content=b"{oops", headers={"Content-Type": "application/json"}),
        http.post("/__admin/states", json={"state": "staff"}),
        http.post("/__admin/clock", json={"advance_seconds": "soon"}),
        http.post("/__admin/faults", content=b"x", headers={"Content-Type": "application/xml"}),
        http.get("/__admin/requests", params={"limit": "lots"}),
        http.delete("/__admin/health"),
        http.get("/__admin/nowhere"),
    ):
        assert response.status_code in (400, 404, 405, 415), response.text
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] and error["message"]


def test_tokens_minted_valid_and_expired(admin: Any, http: httpx.Client) -> None:
    data = admin.apply_state("vcita", "calendar_sync")
    valid = admin.mint_token("vcita", "staff", staff_uid=data["staff_uid"])
    expired = admin.mint_token("vcita", "staff", expired=True, staff_uid=data["staff_uid"])
    assert disconnect(http, {**data, "tokens": {"staff": expired}}).status_code == 401
    assert disconnect(http, {**data, "tokens": {"staff": valid}}).status_code == 200


def test_clock_expires_nothing_by_itself_but_moves(admin: Any) -> None:
    first = admin.clock()
    moved = admin.advance_clock(90000)
    assert moved["offset_seconds"] == first["offset_seconds"] + 90000
    assert moved["now"] > first["now"]
    with pytest.raises(AdminError):
        admin.advance_clock(-5)


def test_journal_records_and_filters_and_clears(admin: Any, http: httpx.Client) -> None:
    data = admin.apply_state("vcita", "calendar_sync", {"account": "a@b.c"})
    disconnect(http, data)
    http.get("/vcita/nowhere")
    http.get("/__admin/health")  # the control plane is not journaled
    entries = admin.requests("vcita")
    assert [e["status"] for e in entries] == [404, 200]
    newest, oldest = entries
    assert oldest["method"] == "PUT" and oldest["path"] == f"{ITEMS}/disconnect"
    assert oldest["operationId"] == "disconnectExternalCalendar" and oldest["api"] == "vcita"
    assert newest["operationId"] is None
    assert oldest["duration_ms"] >= 0 and oldest["time"].endswith("Z")
    assert admin.requests(limit=1) == [newest]
    assert admin.clear_requests() == 2
    assert admin.requests() == []


def test_journal_cap_keeps_newest(admin: Any, http: httpx.Client) -> None:
    admin.update_settings({"journal_cap": 3})
    for n in range(6):
        http.get(f"/vcita/nowhere/{n}")
    assert [e["path"] for e in admin.requests()] == [f"/vcita/nowhere/{n}" for n in (5, 4, 3)]


def test_faults_force_status_in_vendor_envelope_then_expire(admin: Any, http: httpx.Client) -> None:
    data = admin.apply_state("vcita", "calendar_sync", {"account": "a@b.c"})
    fault = admin.add_fault("vcita", "disconnectExternalCalendar", status=503, times=1)
    assert fault["status"] == 503 and fault["times"] == 1
    before = admin.state("vcita")
    failed = disconnect(http, data)
    assert failed.status_code == 503
    assert failed.json() == {
        "status": "Error",
        "errors": [{"code": "internal_error", "message": "Fault injected through the control plane"}],
    }
    assert admin.state("vcita") == before, "a faulted call must not touch state"
    assert admin.faults() == []
    assert disconnect(http, data).status_code == 200


def test_fault_with_422_and_delay(admin: Any, http: httpx.Client) -> None:
    data = admin.apply_state("vcita", "calendar_sync", {"account": "a@b.c"})
    admin.add_fault("vcita", "disconnectExternalCalendar", status=422, delay_ms=200)
    response = disconnect(http, data)
    assert response.status_code == 422
    assert response.elapsed.total_seconds() >= 0.2
    assert admin.requests(limit=1)[0]["duration_ms"] >= 200
    assert admin.clear_faults("vcita") == 1
    assert disconnect(http, data).status_code == 200


def test_settings_roundtrip(admin: Any) -> None:
    settings = admin.settings()
    assert settings["rate_limits"] is True and settings["journal_cap"] == 1000
    assert settings["apis"]["vcita"]["error_envelope"] == "status_error"
    changed = admin.update_settings({"rate_limits": False, "apis": {"vcita": {"error_envelope": "success_false"}}})
    assert changed["rate_limits"] is False and changed["apis"]["vcita"]["error_envelope"] == "success_false"
    assert admin.settings() == changed


def test_reset_one_api_or_everything(admin: Any, http: httpx.Client, fake_server: ServerThread) -> None:
    data = admin.apply_state("vcita", "calendar_sync")
    admin.add_fault("vcita", "connectExternalCalendar", status=500)
    admin.update_settings({"apis": {"vcita": {"error_envelope": "success_false"}}, "journal_cap": 10})
    admin.advance_clock(100)
    disconnect(http, data)
    assert admin.reset("vcita") == ["vcita"]
    assert admin.state("vcita") == {"vcita": {"businesses": [], "staff": [], "calendar_syncs": [], "tokens": []}}
    assert admin.faults() == [] and admin.requests("vcita") == []
    assert admin.settings()["apis"]["vcita"]["error_envelope"] == "status_error"
    assert admin.clock()["offset_seconds"] == 100, "resetting one API leaves the shared clock alone"
    assert set(admin.reset()) == set(fake_server.app.apis)
    assert admin.clock()["offset_seconds"] == 0 and admin.settings()["journal_cap"] == 1000
    assert disconnect(http, data).status_code == 401, "tokens are gone after a reset"


def test_in_process_and_http_admin_have_the_same_methods() -> None:
    public = {name for name in dir(InProcessAdmin) if not name.startswith("_")}
    assert public <= {name for name in dir(HttpAdmin) if not name.startswith("_")}
    assert public >= {
        "reset",
        "state",
        "provider_states",
        "apply_state",
        "mint_token",
        "requests",
        "request",
        "find_requests",
        "count_requests",
        "clear_requests",
        "add_fault",
        "faults",
        "clear_faults",
        "settings",
        "update_settings",
        "clock",
        "advance_clock",
        "health",
    }


def test_resetting_one_api_leaves_the_others_alone(admin: Any, http: httpx.Client) -> None:
    admin.apply_state("vcita", "calendar_sync")
    admin.apply_state("ravan", "agent")
    admin.add_fault("ravan", "DisconnectCalcom", status=500)
    http.get("/ravan/nowhere")
    ravan_before = admin.state("ravan")
    assert admin.reset("vcita") == ["vcita"]
    assert admin.state("vcita")["vcita"]["calendar_syncs"] == []
    assert admin.state("ravan") == ravan_before
    assert [f["api"] for f in admin.faults()] == ["ravan"]
    assert [e["api"] for e in admin.requests()] == ["ravan"]
