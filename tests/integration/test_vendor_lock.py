"""The vendor lock: served requests and the in-process control plane share one store safely.

The served app runs every handler on the server's one event-loop thread, so handlers never race
each other; what the vendor lock guards is that thread against the threads of the in-process
control plane (``InProcessAdmin``: provider states, tokens, dumps) working on the same runtime.
Each test below drives the served app from many HTTP client threads while other threads use the
control plane, with the interpreter switching threads as often as it can, and then checks the
store's invariants against the state dump. Without the lock a handler or a dump walks a table
while another thread adds to it (``dictionary changed size during iteration``: a 500, or an
AdminError), or two provider states number their rows from the same count.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from support.http import bearer

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

# It is the memory engine's lock that is under test here; the Redis engine makes each change a
# transaction instead (tests/integration/test_redis_engine.py checks those under contention).
pytestmark = pytest.mark.memory_only

HTTP_THREADS = 6
ADMIN_THREADS = 3
ROUNDS = 60  # requests per HTTP thread


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    """Switch threads every microsecond (instead of 5 ms), so interleavings are likely."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(
    http_jobs: list[Callable[[], Any]], admin_jobs: list[Callable[[threading.Event], Any]]
) -> tuple[list[Any], list[Any]]:
    """Run every job on its own thread, all starting at once; answers each group's results in order.

    The control-plane jobs get an event that is set once every HTTP job has finished, and keep
    working until then, so they overlap the whole of the served traffic. A job's exception is
    raised here, after every job has finished.
    """
    barrier = threading.Barrier(len(http_jobs) + len(admin_jobs), timeout=60)
    served = threading.Event()

    def start(job: Callable[[], Any]) -> Any:
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(http_jobs) + len(admin_jobs)) as pool:
        admin = [pool.submit(start, functools.partial(job, served)) for job in admin_jobs]
        http = [pool.submit(start, job) for job in http_jobs]
        for future in http:
            future.exception()  # wait for it, whether it failed or not
        served.set()
        return [future.result() for future in http], [future.result() for future in admin]


# -- Ravan: disconnect walks the org's accounts while the control plane adds accounts ---------------
RAVAN_CALCOM = "/api/v1/calcom"
RAVAN_ACCOUNTS = HTTP_THREADS * ROUNDS // 2 + 30  # the disconnected ones, and 30 kept
# Accounts of another org that every disconnect walks past: the longer the walk, the likelier that
# a control-plane thread adds an account in the middle of it.
RAVAN_OTHER_ACCOUNTS = 1000


def test_ravan_requests_and_control_plane_threads_keep_the_store_consistent(
    fake_server: ServerThread, fake_admin: InProcessAdmin
) -> None:
    setup = fake_admin.apply_state("ravan", "calcom_account", {"count": RAVAN_ACCOUNTS})
    org_id, account_ids, token = setup["org_id"], setup["calcom_account_ids"], setup["tokens"]["jwt"]
    doomed = account_ids[: HTTP_THREADS * ROUNDS // 2]  # each disconnected by exactly one request
    kept = account_ids[len(doomed) :]
    agent_ids = [fake_admin.apply_state("ravan", "agent", {"org_id": org_id})["agent_id"] for _ in range(10)]
    other_org = fake_admin.apply_state("ravan", "calcom_account", {"count": RAVAN_OTHER_ACCOUNTS})["org_id"]
    fake_admin.clear_requests()

    def http_worker(worker: int) -> list[tuple[str, int, Any]]:
        answers = []
        with httpx.Client(base_url=fake_server.url("ravan"), headers=bearer(token), timeout=30) as client:
            for round_ in range(ROUNDS):
                if round_ % 2:
                    target = doomed[worker * ROUNDS // 2 + round_ // 2]
                    response = client.post(f"{RAVAN_CALCOM}/disconnect", json={"org_id": org_id, "provider_id": target})
                else:
                    agent = agent_ids[(worker + round_) % len(agent_ids)]
                    target = kept[(worker * ROUNDS + round_) % len(kept)]
                    response = client.put(f"{RAVAN_CALCOM}/agents/{agent}/account", json={"calcom_account_id": target})
                answers.append((target, response.status_code, response.json()))
        return answers

    def admin_worker(served: threading.Event) -> list[str]:
        created: list[str] = []
        while not served.is_set():
            created += fake_admin.apply_state("ravan", "calcom_account", {"org_id": other_org})["calcom_account_ids"]
            if len(created) % 3 == 0:
                fake_admin.state("ravan")
            if len(created) % 5 == 0:
                fake_admin.mint_token("ravan", "jwt", org_id=other_org)
        return created

    http, admin = run_together(
        [functools.partial(http_worker, w) for w in range(HTTP_THREADS)], [admin_worker] * ADMIN_THREADS
    )
    answers = [answer for result in http for answer in result]
    created = [account for result in admin for account in result]

    assert Counter(status for _, status, _ in answers) == {200: HTTP_THREADS * ROUNDS}
    for target, _, body in answers:
        if target in doomed:
            assert body == {"success": True, "message": "Cal.com disconnected successfully"}
        else:
            assert body["data"]["calcom_account_id"] == target
    assert len(fake_admin.requests("ravan")) == HTTP_THREADS * ROUNDS
    state = fake_admin.state("ravan")["ravan"]
    accounts = {account["id"]: account for account in state["calcom_accounts"]}
    # Every account made is there once, and each org's accounts are numbered 1..n with no repeats.
    assert len(accounts) == len(state["calcom_accounts"]) == RAVAN_ACCOUNTS + RAVAN_OTHER_ACCOUNTS + len(created)
    assert {*account_ids, *created} <= set(accounts)
    numbers = sorted(int(a["account_name"].rsplit(" ", 1)[1]) for a in accounts.values() if a["org_id"] == other_org)
    assert numbers == list(range(1, RAVAN_OTHER_ACCOUNTS + len(created) + 1))
    # Exactly the accounts a disconnect named are soft-deleted.
    assert {a for a in account_ids if accounts[a]["status"] == "inactive"} == set(doomed)
    assert all(accounts[a]["deleted_at"] is None for a in kept)
    # Every agent link is to a kept account some request assigned.
    assigned = {target for target, _, _ in answers} - set(doomed)
    for agent in state["agents"]:
        assert agent["calcom_account_id"] in assigned | {None}


# -- Cal.com: listing creates destination rows while the control plane dumps and adds users ----------
CALCOM_CALENDARS = "/v2/calendars"
CALCOM_USERS = HTTP_THREADS * ROUNDS // 2
# Users listed once before the threads start, so each dump walks that many destination rows: the
# longer the walk, the likelier that a listing adds a row in the middle of it.
CALCOM_LISTED = 100


def test_calcom_requests_and_control_plane_threads_keep_the_store_consistent(
    fake_server: ServerThread, fake_admin: InProcessAdmin
) -> None:
    fake_admin.update_settings({"rate_limits": False})
    with httpx.Client(base_url=fake_server.url("calcom"), timeout=30) as client:
        for _ in range(CALCOM_LISTED):
            listed = fake_admin.apply_state("calcom", "connected_calendar", {"count": 1})
            assert client.get(CALCOM_CALENDARS, headers=bearer(listed["tokens"]["api_key"])).status_code == 200
    users = [fake_admin.apply_state("calcom", "connected_calendar", {"count": 1}) for _ in range(CALCOM_USERS)]

    def http_worker(worker: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=fake_server.url("calcom"), timeout=30) as client:
            for round_ in range(ROUNDS):
                user = users[(worker * ROUNDS + round_) // 2]
                headers = bearer(user["tokens"]["api_key"])
                if round_ % 2:
                    # The user's first listing: creates their destination calendar row.
                    response = client.get(CALCOM_CALENDARS, headers=headers)
                else:
                    body = {"username": f"apple-{worker}-{round_}@example.com", "password": "app-password"}
                    response = client.post(f"{CALCOM_CALENDARS}/apple/credentials", json=body, headers=headers)
                statuses.append(response.status_code)
        return statuses

    def admin_worker(served: threading.Event) -> tuple[list[int], int]:
        # Mostly dumps (which walk every table) and tokens (one row each); a new user now and then.
        created: list[int] = []
        minted = 0
        while not served.is_set():
            fake_admin.state("calcom")
            fake_admin.mint_token("calcom", "api_key", user_id=users[minted % len(users)]["user_id"])
            minted += 1
            if minted % 10 == 0:
                created.append(fake_admin.apply_state("calcom", "user")["user_id"])
        return created, minted

    http, admin = run_together(
        [functools.partial(http_worker, w) for w in range(HTTP_THREADS)], [admin_worker] * ADMIN_THREADS
    )
    statuses = [status for result in http for status in result]
    created_users = [user for created, _ in admin for user in created]
    minted = sum(count for _, count in admin)

    assert Counter(statuses) == {200: HTTP_THREADS * ROUNDS // 2, 201: HTTP_THREADS * ROUNDS // 2}
    state = fake_admin.state("calcom")["calcom"]
    user_ids = [user["id"] for user in state["users"]]
    assert sorted(user_ids) == list(range(1, CALCOM_LISTED + CALCOM_USERS + len(created_users) + 1))
    assert set(created_users) <= set(user_ids)
    credential_ids = [credential["id"] for credential in state["credentials"]]
    assert sorted(credential_ids) == list(range(1, CALCOM_LISTED + CALCOM_USERS + HTTP_THREADS * ROUNDS // 2 + 1))
    apple = sorted(c["account"] for c in state["credentials"] if c["type"] == "apple_calendar")
    assert apple == sorted(f"apple-{w}-{r}@example.com" for w in range(HTTP_THREADS) for r in range(0, ROUNDS, 2))
    # One destination row per listed user, each with its own id.
    destinations = state["destination_calendars"]
    listed_users = set(range(1, CALCOM_LISTED + 1))
    assert sorted(d["user_id"] for d in destinations) == sorted(listed_users | {u["user_id"] for u in users})
    assert len({d["id"] for d in destinations}) == len(destinations)
    tokens_issued = 3 * (CALCOM_LISTED + CALCOM_USERS + len(created_users)) + minted
    assert len(state["tokens"]) == tokens_issued
