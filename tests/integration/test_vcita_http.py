"""The vcita fake over real HTTP: every status it answers, in vcita's envelopes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.http import Refusals, bearer, raw
from support.vcita import action, disconnect_reply

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

API = "vcita"

ITEMS = "/business/scheduling/v1/external_calendar_items"
SYNCS = "/platform/v1/scheduling/calendar_syncs"
DOORKEEPER = {"success": False, "errors": [{"code": "unauthorized", "message": "401 Unauthorized"}]}
CONTEXT = {"success": False, "errors": [{"code": "unauthorized", "message": "Unauthorized"}]}


@pytest.fixture
def synced(fake_admin: InProcessAdmin) -> dict[str, Any]:
    return fake_admin.apply_state("vcita", "calendar_sync", {"provider": "google_v3"})


def test_seed_004_flow_connect_then_disconnect(client: httpx.Client, synced: dict[str, Any]) -> None:
    headers = bearer(synced["tokens"]["staff"])
    connected = client.put(f"{ITEMS}/connect", json=action(synced["staff_uid"]), headers=headers)
    assert connected.status_code == 200
    disconnected = client.put(f"{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=headers)
    assert disconnected.status_code == 200
    assert disconnected.json() == disconnect_reply(synced["calendar_sync_uid"], synced["staff_uid"])
    again = client.put(f"{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=headers)
    assert again.status_code == 422
    assert again.json() == {
        "status": "Error",
        "errors": [{"code": "missing", "field": "staff", "message": "staff is not registered to any calendar sync"}],
    }


def test_app_token_may_connect_and_disable(client: httpx.Client, synced: dict[str, Any]) -> None:
    headers = bearer(synced["tokens"]["app"])
    assert client.put(f"{ITEMS}/connect", json=action(synced["staff_uid"]), headers=headers).status_code == 200
    disabled = client.put(f"{ITEMS}/disable", json=action(synced["staff_uid"]), headers=headers)
    assert disabled.status_code == 200
    assert disabled.json()["data"]["enabled"] is False
    assert disabled.json()["data"]["account"] == "testuser@gmail.com"
    refused = client.put(f"{ITEMS}/connect", json=action(synced["staff_uid"]), headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {"code": "invalid", "field": "staff", "message": "staff account is disabled"}


def test_admin_endpoint_recreates_the_prerequisite(client: httpx.Client, synced: dict[str, Any]) -> None:
    staff = bearer(synced["tokens"]["staff"])
    client.put(f"{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=staff)
    created = client.post(
        SYNCS,
        json={"staff_uid": synced["staff_uid"], "app_code_name": "googlewaysync", "provider": "google_v3"},
        headers=bearer(synced["tokens"]["admin"]),
    )
    assert created.status_code == 200
    assert created.json()["uid"] != synced["calendar_sync_uid"]
    assert client.put(f"{ITEMS}/connect", json=action(synced["staff_uid"]), headers=staff).status_code == 200


def test_app_token_cannot_use_the_platform_endpoint(
    client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    before = fake_admin.state("vcita")
    response = client.post(
        SYNCS,
        json={"staff_uid": synced["staff_uid"], "provider": "google_v3"},
        headers=bearer(synced["tokens"]["app"]),
    )
    assert (response.status_code, response.json()) == (401, CONTEXT)
    assert fake_admin.state("vcita") == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dTpw"}])
def test_missing_or_unknown_token_is_doorkeeper_401(
    client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin, headers: dict[str, str]
) -> None:
    before = fake_admin.state("vcita")
    response = client.put(f"{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=headers)
    assert (response.status_code, response.json()) == (401, DOORKEEPER)
    assert fake_admin.state("vcita") == before


def test_token_of_another_business_is_401(
    client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    other = fake_admin.apply_state("vcita", "staff")
    before = fake_admin.state("vcita")
    response = client.put(
        f"{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=bearer(other["tokens"]["app"])
    )
    assert (response.status_code, response.json()) == (401, CONTEXT)
    assert fake_admin.state("vcita") == before


def test_expired_token_after_minting(client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin) -> None:
    token = fake_admin.mint_token("vcita", "staff", expired=True, staff_uid=synced["staff_uid"])
    response = client.put(f"{ITEMS}/connect", json=action(synced["staff_uid"]), headers=bearer(token))
    assert (response.status_code, response.json()) == (401, DOORKEEPER)


def test_unknown_staff(client: httpx.Client, synced: dict[str, Any]) -> None:
    response = client.put(
        f"{ITEMS}/connect", json=action("0123456789abcdef"), headers=bearer(synced["tokens"]["staff"])
    )
    assert response.status_code == 422
    assert response.json() == {
        "status": "Error",
        "errors": [{"code": "missing", "field": "staff", "message": "staff is not exists"}],
    }


def test_provider_mismatch(client: httpx.Client, synced: dict[str, Any]) -> None:
    response = client.put(
        f"{ITEMS}/connect", json=action(synced["staff_uid"], "outlook_v1.0"), headers=bearer(synced["tokens"]["staff"])
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"code": "already_exists", "field": "staff", "message": "staff already registered to other calendar sync"}
    ]


BAD_BODIES = [
    # (request kwargs, status, expected error item)
    (
        {"json": {"calendar_sync": {"provider": "google_v3", "account": "a@b.c"}}},
        422,
        {"code": "missing", "field": "staff_uid", "message": "staff_uid is missing"},
    ),
    (
        {"json": {"staff_uid": "s", "calendar_sync": {"provider": "google_v3"}}},
        422,
        {"code": "missing", "field": "calendar_sync.account", "message": "calendar_sync.account is missing"},
    ),
    (
        {"json": {"staff_uid": 7, "calendar_sync": {"provider": "google_v3", "account": "a@b.c"}}},
        422,
        {"code": "invalid", "field": "staff_uid", "message": "staff_uid must be of type string"},
    ),
    (
        {"json": {"staff_uid": "s", "calendar_sync": {"provider": "icloud", "account": "a@b.c"}}},
        422,
        {
            "code": "invalid",
            "field": "calendar_sync.provider",
            "message": "calendar_sync.provider must be one of: google_v3, outlook_v1.0",
        },
    ),
    (
        {"json": ["not", "an", "object"]},
        422,
        {"code": "invalid", "field": "body", "message": "body must be of type object"},
    ),
    (raw(b"{not json"), 400, None),
    (raw(b'{"staff_uid": "\xff"}'), 400, None),
    (
        raw(b""),
        400,
        {"code": "missing", "field": "body", "message": "the request body is missing"},
    ),
    (raw(b"staff_uid=s", "application/x-www-form-urlencoded"), 415, None),
    (
        raw(b"x" * (1024 * 1024 + 1)),
        413,
        {"code": "payload_too_large", "message": "the body is larger than 1048576 bytes"},
    ),
]


@pytest.mark.parametrize(("kwargs", "status", "item"), BAD_BODIES)
def test_bad_input_gets_vcita_envelope_and_changes_nothing(
    refusals: Refusals, synced: dict[str, Any], kwargs: dict[str, Any], status: int, item: dict[str, Any] | None
) -> None:
    response = refusals.send(bearer(synced["tokens"]["staff"]), "PUT", f"{ITEMS}/disconnect", kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "errors"} and body["status"] == "Error"
    assert len(body["errors"]) == 1
    if item is not None:
        assert body["errors"][0] == item


def test_bad_input_uses_success_false_variant_when_switched(
    client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    fake_admin.update_settings({"apis": {"vcita": {"error_envelope": "success_false"}}})
    response = client.put(f"{ITEMS}/connect", json={"staff_uid": "s"}, headers=bearer(synced["tokens"]["staff"]))
    assert response.status_code == 422
    assert response.json() == {
        "success": False,
        "errors": [{"code": "missing", "message": "calendar_sync is missing"}],
    }
    repeat = client.put(
        f"{ITEMS}/disconnect", json=action("0123456789abcdef"), headers=bearer(synced["tokens"]["staff"])
    )
    assert repeat.json() == {
        "success": False,
        "errors": [{"code": "missing", "message": "staff is not exists"}],
    }


def test_unknown_path_and_wrong_method(client: httpx.Client, synced: dict[str, Any]) -> None:
    missing = client.put(f"{ITEMS}/nope", json={}, headers=bearer(synced["tokens"]["staff"]))
    assert missing.status_code == 404
    assert missing.json() == {
        "status": "Error",
        "errors": [{"code": "not_found", "message": f"No such path: /vcita{ITEMS}/nope"}],
    }
    for method in ("GET", "POST", "DELETE", "PATCH"):
        wrong = client.request(method, f"{ITEMS}/disconnect", headers=bearer(synced["tokens"]["staff"]))
        assert wrong.status_code == 405, method
        assert wrong.headers["allow"] == "PUT"
        assert wrong.json()["errors"][0]["code"] == "method_not_allowed"


def test_rate_limit_8_per_token_then_429(
    client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    limits = fake_admin.settings()["apis"]["vcita"]["rate_limits"]
    assert limits == {"token": {"limit": 8, "window_seconds": 1.0}}
    # Same limit, a window long enough that a slow machine cannot straddle two windows.
    fake_admin.update_settings({"apis": {"vcita": {"rate_limits": {"token": {"window_seconds": 3600}}}}})
    headers = bearer(synced["tokens"]["staff"])
    body = action("0123456789abcdef")  # a cheap 422 still counts against the token
    codes = [client.put(f"{ITEMS}/connect", json=body, headers=headers).status_code for _ in range(8)]
    assert codes == [422] * 8
    throttled = client.put(f"{ITEMS}/connect", json=body, headers=headers)
    assert throttled.status_code == 429
    assert throttled.json() == {"error": "Too many requests"}
    assert 1 <= int(throttled.headers["retry-after"]) <= 3600
    other = client.put(f"{ITEMS}/connect", json=body, headers=bearer(synced["tokens"]["app"]))
    assert other.status_code == 422, "each token has its own counter"
    fake_admin.advance_clock(3600)
    assert client.put(f"{ITEMS}/connect", json=body, headers=headers).status_code == 422


def test_rate_limits_can_be_switched_off_and_changed(
    client: httpx.Client, synced: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    headers = bearer(synced["tokens"]["staff"])
    body = action("0123456789abcdef")
    fake_admin.update_settings({"rate_limits": False})
    assert all(client.put(f"{ITEMS}/connect", json=body, headers=headers).status_code == 422 for _ in range(20))
    fake_admin.update_settings(
        {"rate_limits": True, "apis": {"vcita": {"rate_limits": {"token": {"limit": 2, "window_seconds": 3600}}}}}
    )
    codes = [client.put(f"{ITEMS}/connect", json=body, headers=headers).status_code for _ in range(3)]
    assert codes == [422, 422, 429]


def test_response_carries_json_content_type_and_swagger_ui(fake_server: ServerThread) -> None:
    for path in ("/vcita/ui/", "/__admin/ui/"):
        assert httpx.get(fake_server.base_url + path).status_code == 200
    spec = httpx.get(fake_server.url("vcita") + "/openapi.json").json()
    assert "/business/scheduling/v1/external_calendar_items/disconnect" in spec["paths"]
