"""Ravan behaviour traced to seed 000 (Disconnect Cal.com), one test per source."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.admin import InProcessAdmin

API = "ravan"

DISCONNECT = "/api/v1/calcom/disconnect"
DISCONNECTED = {"success": True, "message": "Cal.com disconnected successfully"}


def statuses(admin: InProcessAdmin) -> dict[str, str]:
    return {a["id"]: a["status"] for a in admin.state("ravan")["ravan"]["calcom_accounts"]}


@pytest.mark.parametrize("provider_id", ["", None], ids=["empty", "absent"])
def test_seed_000_types_provider_id_as_plain_optional_string_so_empty_means_all_accounts(
    client: httpx.Client, fake_admin: InProcessAdmin, provider_id: str | None
) -> None:
    accounts = fake_admin.apply_state("ravan", "calcom_account", {"count": 2})
    body: dict[str, Any] = {"org_id": accounts["org_id"]}
    if provider_id is not None:
        body["provider_id"] = provider_id
    response = client.post(DISCONNECT, json=body, headers={"Authorization": f"Bearer {accounts['tokens']['jwt']}"})
    assert (response.status_code, response.json()) == (200, DISCONNECTED)
    assert statuses(fake_admin) == dict.fromkeys(accounts["calcom_account_ids"], "inactive")


def test_seed_000_lists_400_only_for_a_missing_org_id(client: httpx.Client, fake_admin: InProcessAdmin) -> None:
    accounts = fake_admin.apply_state("ravan", "calcom_account", {"count": 1})
    before = fake_admin.state("ravan")
    response = client.post(
        DISCONNECT,
        json={"org_id": "", "provider_id": ""},
        headers={"Authorization": f"Bearer {accounts['tokens']['jwt']}"},
    )
    assert (response.status_code, response.json()) == (
        400,
        {"success": False, "message": "Missing org_id", "code": "INVALID_REQUEST"},
    )
    assert fake_admin.state("ravan") == before
