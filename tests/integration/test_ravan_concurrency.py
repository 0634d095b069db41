"""Concurrent assign and disconnect calls over real HTTP leave the Ravan fake's state consistent."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

CALCOM = "/api/v1/calcom"
CALLS = 50
ASSIGNS = 40
ACCOUNTS = 5
AGENTS = 10
DISCONNECTED = (0, 1, 2)  # accounts the disconnect calls target; 3 and 4 stay active


def test_concurrent_assign_and_disconnect_keep_state_consistent(
    fake_server: ServerThread, fake_admin: InProcessAdmin
) -> None:
    setup = fake_admin.apply_state("ravan", "calcom_account", {"count": ACCOUNTS})
    org_id, account_ids, token = setup["org_id"], setup["calcom_account_ids"], setup["tokens"]["jwt"]
    agent_ids = [fake_admin.apply_state("ravan", "agent", {"org_id": org_id})["agent_id"] for _ in range(AGENTS)]
    rng = random.Random(20240611)
    calls: list[tuple[str, str, str]] = [
        ("assign", rng.choice(agent_ids), rng.choice(account_ids)) for _ in range(ASSIGNS)
    ]
    calls += [("disconnect", "", account_ids[DISCONNECTED[i % len(DISCONNECTED)]]) for i in range(CALLS - ASSIGNS)]
    rng.shuffle(calls)
    fake_admin.clear_requests()
    barrier = threading.Barrier(CALLS, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}

    with httpx.Client(base_url=fake_server.url("ravan"), timeout=30, headers=headers) as client:

        def run(call: tuple[str, str, str]) -> tuple[tuple[str, str, str], int, Any]:
            kind, agent_id, account_id = call
            barrier.wait()
            if kind == "assign":
                response = client.put(f"{CALCOM}/agents/{agent_id}/account", json={"calcom_account_id": account_id})
            else:
                response = client.post(f"{CALCOM}/disconnect", json={"org_id": org_id, "provider_id": account_id})
            return call, response.status_code, response.json()

        with ThreadPoolExecutor(max_workers=CALLS) as pool:
            results = list(pool.map(run, calls))

    # Every call was answered, and only with the statuses the race allows.
    assert len(results) == CALLS
    linked_ok: dict[str, set[str]] = defaultdict(set)
    for (kind, agent_id, account_id), status, body in results:
        if kind == "disconnect":
            assert (status, body) == (200, {"success": True, "message": "Cal.com disconnected successfully"})
        elif status == 200:
            assert body["data"] == {
                "agent_id": agent_id,
                "agent_name": body["data"]["agent_name"],
                "calcom_account_id": account_id,
            }
            linked_ok[agent_id].add(account_id)
        else:
            # Only an account that a disconnect targets can vanish under an assign.
            assert account_ids.index(account_id) in DISCONNECTED
            assert (status, body["code"], body["message"]) == (404, "NOT_FOUND", "Cal.com account not found")
    assert len(fake_admin.requests("ravan")) == CALLS

    state = fake_admin.state("ravan")["ravan"]
    # Nothing lost: every org, account and agent is still there.
    assert [o["id"] for o in state["orgs"]] == [org_id]
    accounts = {a["id"]: a for a in state["calcom_accounts"]}
    assert sorted(accounts) == sorted(account_ids)
    assert sorted(a["id"] for a in state["agents"]) == sorted(agent_ids)
    # No account both active and deleted; exactly the targeted ones are soft-deleted.
    for index, account_id in enumerate(account_ids):
        account = accounts[account_id]
        assert not (account["status"] == "active" and account["deleted_at"] is not None)
        if index in DISCONNECTED:
            assert (account["status"], account["api_key_prefix"]) == ("inactive", None)
            assert account["deleted_at"] is not None
        else:
            assert account["status"] == "active" and account["deleted_at"] is None
    # No agent linked to a missing account, and each link is one a successful call made.
    for agent in state["agents"]:
        link = agent["calcom_account_id"]
        if link is None:
            assert agent["id"] not in linked_ok
        else:
            assert link in accounts
            assert link in linked_ok[agent["id"]]
