"""vcita behaviour traced to vcita's own material, one test per source.

Sources (vcita/developers-hub): the legacy scheduling swagger and its OpenAPI 3.1 copy
(``swagger/scheduling/legacy/scheduling.json``, ``mcp_swagger/scheduling.json``), the API test
workflows under ``api-validation/workflows/scheduling/`` and the runner that executes them
(``api-validation/src/core/prerequisite/executor.js``), and the token types table in
``docs/API_DOCUMENTATION_BEST_PRACTICES.md``. Seed 004 wins where they conflict.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.http import bearer
from support.vcita import action

from mockserver.admin import InProcessAdmin
from mockserver.errors import AdminError

API = "vcita"

ITEMS = "/business/scheduling/v1/external_calendar_items"
SYNCS = "/platform/v1/scheduling/calendar_syncs"
CONTEXT = {"success": False, "errors": [{"code": "unauthorized", "message": "Unauthorized"}]}
DOORKEEPER = {"success": False, "errors": [{"code": "unauthorized", "message": "401 Unauthorized"}]}
# The twelve keys of the swagger's 200 examples and of the verified connect workflow.
SWAGGER_FIELDS = {
    "uid",
    "staff_uid",
    "provider",
    "account",
    "enabled",
    "should_import",
    "should_export",
    "is_external_app",
    "is_private_import",
    "is_private_export",
    "is_staff_disable_ics",
    "is_business_disable_ics",
}
# The body every workflow's create_calendar_sync prerequisite sends.
WORKFLOW_SYNC = {
    "app_code_name": "googlewaysync",
    "provider": "google_v3",
    "should_import": True,
    "is_private_import": False,
}


@pytest.fixture
def staff(fake_admin: InProcessAdmin) -> dict[str, Any]:
    """A staff member without a sync, with its staff, app and admin tokens."""
    return fake_admin.apply_state("vcita", "staff")


def admin(token: str) -> dict[str, str]:
    return {"Authorization": f"Admin {token}"}


def create_sync(client: httpx.Client, staff: dict[str, Any]) -> dict[str, Any]:
    """The workflows' create_calendar_sync prerequisite, with the runner's default (staff) token."""
    created = client.post(
        SYNCS, json={"staff_uid": staff["staff_uid"], **WORKFLOW_SYNC}, headers=bearer(staff["tokens"]["staff"])
    )
    assert created.status_code == 200, created.text
    body: dict[str, Any] = created.json()
    return body


# -- 1. twelve fields --------------------------------------------------------------------------


def test_legacy_swagger_examples_and_verified_connect_workflow_have_twelve_fields(
    client: httpx.Client, staff: dict[str, Any]
) -> None:
    create_sync(client, staff)
    headers = bearer(staff["tokens"]["staff"])
    connected = client.put(f"{ITEMS}/connect", json=action(staff["staff_uid"]), headers=headers)
    disabled = client.put(f"{ITEMS}/disable", json=action(staff["staff_uid"]), headers=headers)
    disconnected = client.put(f"{ITEMS}/disconnect", json=action(staff["staff_uid"]), headers=headers)
    for response in (connected, disabled, disconnected):
        assert response.status_code == 200
        assert set(response.json()) == {"success", "data"}
        assert set(response.json()["data"]) == SWAGGER_FIELDS
    # Seed 004 wins for the five it shows: disconnect nulls provider and account.
    data = disconnected.json()["data"]
    assert (data["provider"], data["account"], data["enabled"]) == (None, None, False)
    assert data["is_external_app"] is True and data["should_import"] is True


# -- 2. the CalendarSync prerequisite ----------------------------------------------------------


def test_verified_workflows_create_the_sync_with_the_runners_default_staff_token(
    client: httpx.Client, staff: dict[str, Any]
) -> None:
    created = create_sync(client, staff)
    assert created["staff_uid"] == staff["staff_uid"]
    assert set(created) == SWAGGER_FIELDS


def test_vcita_runner_sends_admin_tokens_as_admin_prefix(client: httpx.Client, staff: dict[str, Any]) -> None:
    created = client.post(
        SYNCS, json={"staff_uid": staff["staff_uid"], **WORKFLOW_SYNC}, headers=admin(staff["tokens"]["admin"])
    )
    assert created.status_code == 200
    assert created.json()["staff_uid"] == staff["staff_uid"]


@pytest.mark.parametrize(
    ("kind", "scheme", "expected"),
    [
        ("staff", "Admin", DOORKEEPER),  # only admin tokens go under the Admin scheme
        ("app", "Bearer", CONTEXT),  # CalendarSyncsAPI authorises users and admins only
        (None, "Admin", DOORKEEPER),  # no such token
    ],
)
def test_bulk_deactivate_notes_authorise_only_staff_and_admin_tokens_on_calendar_syncs(
    client: httpx.Client,
    staff: dict[str, Any],
    fake_admin: InProcessAdmin,
    kind: str | None,
    scheme: str,
    expected: dict[str, Any],
) -> None:
    token = staff["tokens"][kind] if kind else "0" * 40
    before = fake_admin.state("vcita")
    refused = client.post(
        SYNCS, json={"staff_uid": staff["staff_uid"], **WORKFLOW_SYNC}, headers={"Authorization": f"{scheme} {token}"}
    )
    assert (refused.status_code, refused.json()) == (401, expected)
    assert fake_admin.state("vcita") == before


def test_bulk_deactivate_notes_new_sync_is_disabled_and_unbound(client: httpx.Client, staff: dict[str, Any]) -> None:
    created = create_sync(client, staff)
    assert (created["enabled"], created["account"], created["provider"]) == (False, None, "google_v3")


def test_bulk_create_workflow_reads_uid_at_the_top_level(
    client: httpx.Client, staff: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    created = client.post(
        SYNCS, json={"staff_uid": staff["staff_uid"], **WORKFLOW_SYNC}, headers=admin(staff["tokens"]["admin"])
    )
    assert "data" not in created.json() and "status" not in created.json()
    [stored] = fake_admin.state("vcita")["vcita"]["calendar_syncs"]
    assert created.json()["uid"] == stored["uid"]


# -- 3. connect binds and enables a fresh sync; disable binds it --------------------------------


def test_bulk_deactivate_notes_connect_binds_and_enables_a_fresh_sync(
    client: httpx.Client, staff: dict[str, Any]
) -> None:
    create_sync(client, staff)
    connected = client.put(
        f"{ITEMS}/connect", json=action(staff["staff_uid"]), headers=bearer(staff["tokens"]["staff"])
    )
    assert connected.status_code == 200
    data = connected.json()["data"]
    assert (data["provider"], data["account"], data["enabled"]) == ("google_v3", "testuser@gmail.com", True)


def test_bulk_create_workflow_disabled_applies_once_provider_and_account_match(
    client: httpx.Client, staff: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    create_sync(client, staff)
    headers = bearer(staff["tokens"]["staff"])
    assert client.put(f"{ITEMS}/disable", json=action(staff["staff_uid"]), headers=headers).status_code == 200
    before = fake_admin.state("vcita")
    refused = client.put(f"{ITEMS}/connect", json=action(staff["staff_uid"]), headers=headers)
    assert refused.status_code == 422
    assert refused.json() == {
        "status": "Error",
        "errors": [{"code": "invalid", "field": "staff", "message": "staff account is disabled"}],
    }
    assert fake_admin.state("vcita") == before


def test_verified_disable_workflow_binds_the_account_of_a_fresh_sync(
    client: httpx.Client, staff: dict[str, Any]
) -> None:
    create_sync(client, staff)
    disabled = client.put(f"{ITEMS}/disable", json=action(staff["staff_uid"]), headers=bearer(staff["tokens"]["staff"]))
    assert disabled.status_code == 200
    data = disabled.json()["data"]
    # The workflow's "Expected Response (200)": provider and account bound, enabled false.
    assert (data["provider"], data["account"], data["enabled"]) == ("google_v3", "testuser@gmail.com", False)


# -- 4. unknown members, the success_false envelope --------------------------------------------


def test_no_vcita_document_forbids_unknown_body_members(client: httpx.Client, staff: dict[str, Any]) -> None:
    created = client.post(
        SYNCS,
        json={"staff_uid": staff["staff_uid"], **WORKFLOW_SYNC, "color": "blue"},
        headers=bearer(staff["tokens"]["staff"]),
    )
    assert created.status_code == 200
    body = action(staff["staff_uid"])
    body["calendar_sync"]["calendar_name"] = "Work"
    body["source"] = "sdk"
    connected = client.put(f"{ITEMS}/connect", json=body, headers=bearer(staff["tokens"]["staff"]))
    assert connected.status_code == 200
    assert connected.json()["data"]["account"] == "testuser@gmail.com"
    assert "source" not in connected.json()["data"] and "calendar_name" not in connected.json()["data"]


def test_verified_workflows_success_false_envelope_has_no_field(
    client: httpx.Client, staff: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    headers = bearer(staff["tokens"]["staff"])
    fake_admin.update_settings({"apis": {"vcita": {"error_envelope": "success_false"}}})
    # As the disable workflow documents it: no sync yet.
    not_registered = client.put(f"{ITEMS}/disable", json=action(staff["staff_uid"]), headers=headers)
    assert not_registered.json() == {
        "success": False,
        "errors": [{"code": "missing", "message": "staff is not registered to any calendar sync"}],
    }
    invalid = client.put(f"{ITEMS}/disable", json={"staff_uid": staff["staff_uid"]}, headers=headers)
    assert invalid.json() == {"success": False, "errors": [{"code": "missing", "message": "calendar_sync is missing"}]}
    # Seed 004's default envelope keeps its field.
    fake_admin.update_settings({"apis": {"vcita": {"error_envelope": "status_error"}}})
    seed = client.put(f"{ITEMS}/disable", json=action(staff["staff_uid"]), headers=headers)
    assert seed.json()["errors"][0]["field"] == "staff"


def test_legacy_swagger_disconnect_example_keeps_provider_and_account_when_switched(
    client: httpx.Client, staff: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    fake_admin.update_settings({"apis": {"vcita": {"disconnect_result": "keep"}}})
    create_sync(client, staff)
    headers = bearer(staff["tokens"]["staff"])
    client.put(f"{ITEMS}/connect", json=action(staff["staff_uid"]), headers=headers)
    for _ in range(2):  # the binding stays, so a repeat answers the same
        kept = client.put(f"{ITEMS}/disconnect", json=action(staff["staff_uid"]), headers=headers)
        assert kept.status_code == 200
        data = kept.json()["data"]
        assert (data["provider"], data["account"], data["enabled"]) == ("google_v3", "testuser@gmail.com", False)


def test_disconnect_result_switch_refuses_unknown_values(fake_admin: InProcessAdmin) -> None:
    with pytest.raises(AdminError):
        fake_admin.update_settings({"apis": {"vcita": {"disconnect_result": "forget"}}})
    assert fake_admin.settings()["apis"]["vcita"]["disconnect_result"] == "clear"


# -- 5. staff tokens act for their own staff member --------------------------------------------


@pytest.mark.parametrize("operation", ["connect", "disconnect", "disable"])
def test_token_types_table_staff_token_acts_only_for_its_staff_member(
    client: httpx.Client, fake_admin: InProcessAdmin, operation: str
) -> None:
    mine = fake_admin.apply_state("vcita", "calendar_sync", {"account": "me@example.com"})
    colleague_staff = fake_admin.apply_state("vcita", "staff", {"business_uid": mine["business_uid"]})
    colleague = fake_admin.apply_state(
        "vcita", "calendar_sync", {"account": "them@example.com", "staff_uid": colleague_staff["staff_uid"]}
    )
    before = fake_admin.state("vcita")
    refused = client.put(
        f"{ITEMS}/{operation}",
        json=action(colleague["staff_uid"], account="them@example.com"),
        headers=bearer(mine["tokens"]["staff"]),
    )
    assert (refused.status_code, refused.json()) == (401, CONTEXT)
    assert fake_admin.state("vcita") == before
    # The business's app token acts for every staff member.
    allowed = client.put(
        f"{ITEMS}/{operation}",
        json=action(colleague["staff_uid"], account="them@example.com"),
        headers=bearer(mine["tokens"]["app"]),
    )
    assert allowed.status_code == 200


def test_token_types_table_staff_token_creates_syncs_only_for_its_staff_member(
    client: httpx.Client, staff: dict[str, Any], fake_admin: InProcessAdmin
) -> None:
    colleague = fake_admin.apply_state("vcita", "staff", {"business_uid": staff["business_uid"]})
    before = fake_admin.state("vcita")
    refused = client.post(
        SYNCS, json={"staff_uid": colleague["staff_uid"], **WORKFLOW_SYNC}, headers=bearer(staff["tokens"]["staff"])
    )
    assert (refused.status_code, refused.json()) == (401, CONTEXT)
    assert fake_admin.state("vcita") == before
