"""The vcita state model and handlers, called directly (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from support.vcita import action, disconnect_reply

from mockserver.clock import Clock
from mockserver.errors import AdminError, VendorError
from mockserver.interface import Call
from mockserver.vendors.vcita import VcitaVendor, handlers


@pytest.fixture
def vendor() -> VcitaVendor:
    return VcitaVendor(Clock())


def call(vendor: VcitaVendor, operation_id: str, body: dict[str, Any], token: str) -> Call:
    auth = vendor.authenticate("bearer", token, {}, operation_id)
    return Call("vcita", operation_id, "/vcita/x", body, {}, {}, auth, "http://127.0.0.1/vcita", vendor.clock.now())


def test_calendar_sync_state_creates_business_staff_sync_and_tokens(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": True})
    store = vendor.store
    assert data["business_uid"] in store.businesses
    assert store.staff[data["staff_uid"]].business_uid == data["business_uid"]
    sync = store.syncs[data["staff_uid"]]
    assert (sync.uid, sync.provider, sync.account, sync.enabled) == (data["calendar_sync_uid"], "google_v3", None, True)
    assert set(data["tokens"]) == {"staff", "app", "admin"}
    assert len(sync.uid) == 16


def test_connect_then_disconnect_then_repeat(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": True})
    token = data["tokens"]["staff"]
    body = action(data["staff_uid"])
    connected = handlers.connect(vendor, call(vendor, "connectExternalCalendar", body, token)).body
    assert connected["data"]["account"] == "testuser@gmail.com"
    gone = handlers.disconnect(vendor, call(vendor, "disconnectExternalCalendar", body, token)).body
    assert gone == disconnect_reply(data["calendar_sync_uid"], data["staff_uid"])
    with pytest.raises(VendorError) as raised:
        handlers.disconnect(vendor, call(vendor, "disconnectExternalCalendar", body, token))
    assert raised.value.status == 422
    assert raised.value.body["errors"][0]["message"] == "staff is not registered to any calendar sync"


@pytest.mark.parametrize(
    ("prepare", "body_change", "code", "message"),
    [
        (None, {"staff_uid": "0000000000000000"}, "missing", "staff is not exists"),
        ("no_sync", {}, "missing", "staff is not registered to any calendar sync"),
        (None, {"provider": "outlook_v1.0"}, "already_exists", "staff already registered to other calendar sync"),
        ("bound", {"account": "other@gmail.com"}, "already_exists", "staff already registered to other calendar sync"),
        ("disabled", {}, "invalid", "staff account is disabled"),
    ],
)
def test_connect_refusals(
    vendor: VcitaVendor, prepare: str | None, body_change: dict[str, str], code: str, message: str
) -> None:
    if prepare == "no_sync":
        data = vendor.provider_states["staff"].apply({})
    else:
        # "disabled" is refused only once provider and account match (an unbound sync is bound).
        account = "testuser@gmail.com" if prepare in ("bound", "disabled") else None
        data = vendor.provider_states["calendar_sync"].apply(
            {"provider": "google_v3", "enabled": prepare != "disabled", "account": account}
        )
    body = action(
        body_change.get("staff_uid", data["staff_uid"]),
        body_change.get("provider", "google_v3"),
        body_change.get("account", "testuser@gmail.com"),
    )
    before = vendor.dump()
    with pytest.raises(VendorError) as raised:
        handlers.connect(vendor, call(vendor, "connectExternalCalendar", body, data["tokens"]["staff"]))
    assert raised.value.status == 422
    assert raised.value.body == {"status": "Error", "errors": [{"code": code, "field": "staff", "message": message}]}
    assert vendor.dump() == before


def test_disable_keeps_binding(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": True, "account": "a@b.c"})
    out = handlers.disable(
        vendor,
        call(vendor, "disableExternalCalendar", action(data["staff_uid"], account="a@b.c"), data["tokens"]["app"]),
    )
    assert {key: out.body["data"][key] for key in ("staff_uid", "provider", "account", "enabled")} == {
        "staff_uid": data["staff_uid"],
        "provider": "google_v3",
        "account": "a@b.c",
        "enabled": False,
    }


def test_other_business_staff_is_a_context_401(vendor: VcitaVendor) -> None:
    mine = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": True})
    theirs = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": True})
    with pytest.raises(VendorError) as raised:
        handlers.connect(
            vendor, call(vendor, "connectExternalCalendar", action(theirs["staff_uid"]), mine["tokens"]["staff"])
        )
    assert raised.value.status == 401
    assert raised.value.body == {"success": False, "errors": [{"code": "unauthorized", "message": "Unauthorized"}]}


def test_token_kinds_are_bound_to_operations(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["staff"].apply({})
    with pytest.raises(VendorError) as raised:
        vendor.authenticate("bearer", data["tokens"]["admin"], {}, "connectExternalCalendar")
    assert raised.value.body["errors"][0]["message"] == "Unauthorized"
    with pytest.raises(VendorError) as raised:
        vendor.authenticate("bearer", data["tokens"]["app"], {}, "createCalendarSync")
    assert raised.value.body["errors"][0]["message"] == "Unauthorized"
    assert vendor.authenticate("bearer", data["tokens"]["staff"], {}, "createCalendarSync")["kind"] == "staff"
    assert vendor.authenticate("bearer", data["tokens"]["admin"], {}, "createCalendarSync")["kind"] == "admin"
    admin = vendor.authenticate("apikey", f"Admin {data['tokens']['admin']}", {}, "createCalendarSync")
    assert admin["kind"] == "admin"


def test_expired_and_unknown_tokens_get_doorkeeper_401(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["staff"].apply({})
    expired = vendor.mint_token("staff", {"staff_uid": data["staff_uid"]}, expired=True)
    for token in (expired, "nope"):
        with pytest.raises(VendorError) as raised:
            vendor.authenticate("bearer", token, {}, "connectExternalCalendar")
        assert raised.value.body["errors"][0]["message"] == "401 Unauthorized"
    fresh = vendor.mint_token("staff", {"staff_uid": data["staff_uid"]}, expired=False)
    assert vendor.authenticate("bearer", fresh, {}, "connectExternalCalendar")["staff_uid"] == data["staff_uid"]


def test_recreating_a_sync_replaces_it(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": False})
    body = {"staff_uid": data["staff_uid"], "provider": "outlook_v1.0"}
    out = handlers.create_calendar_sync(vendor, call(vendor, "createCalendarSync", body, data["tokens"]["admin"])).body
    assert out["uid"] != data["calendar_sync_uid"]
    assert (out["provider"], out["account"], out["enabled"]) == ("outlook_v1.0", None, False)
    assert vendor.store.syncs[data["staff_uid"]].provider == "outlook_v1.0"
    assert vendor.store.syncs[data["staff_uid"]].app_code_name == "outlookwaysync"
    assert len(vendor.store.syncs) == 1


def test_state_errors_and_snapshot_restore(vendor: VcitaVendor) -> None:
    with pytest.raises(AdminError):
        vendor.provider_states["calendar_sync"].apply(
            {"provider": "google_v3", "enabled": True, "staff_uid": "missing"}
        )
    data = vendor.provider_states["calendar_sync"].apply({"provider": "google_v3", "enabled": True})
    snap = vendor.snapshot()
    vendor.store.syncs.clear()
    vendor.restore(snap)
    assert data["staff_uid"] in vendor.store.syncs
    vendor.reset()
    assert vendor.dump() == {"businesses": [], "staff": [], "calendar_syncs": [], "tokens": []}


def test_dump_never_shows_whole_tokens(vendor: VcitaVendor) -> None:
    data = vendor.provider_states["staff"].apply({})
    dumped = str(vendor.dump())
    assert all(token not in dumped for token in data["tokens"].values())
