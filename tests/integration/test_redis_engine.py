"""The Redis engine with a real redis-server: shared state across processes, restarts, Redis loss,
several workers, and atomic transitions under concurrent writers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from support import serve as served
from support.redis_server import RedisServer
from support.vcita import action

from mockserver.admin import InProcessAdmin
from mockserver.app import build_app
from mockserver.runtime import Runtime
from mockserver.server import ServerThread
from mockserver.state.engine import open_engine
from mockserver.state.redis_engine import RedisEngine, Staged
from mockserver.state.world import DEFAULT_SESSION, World
from mockserver.vendors import ALL_VENDORS

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"


@pytest.fixture
def redis(redis_server: RedisServer) -> RedisServer:
    redis_server.flush()
    return redis_server


def _connect_staff(base: str) -> tuple[dict[str, Any], dict[str, str]]:
    synced = httpx.post(f"{base}/__admin/states", json={"api": "vcita", "state": "calendar_sync"}).json()["data"]
    return synced, {"Authorization": f"Bearer {synced['tokens']['staff']}"}


def test_two_servers_on_one_redis_are_one_fake(redis: RedisServer) -> None:
    first, a = _start("--state", redis.url)
    second, b = _start("--state", redis.url)
    try:
        synced, staff = _connect_staff(a)
        # made through one, used through the other
        assert httpx.put(f"{b}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=staff).status_code == 200
        assert httpx.put(f"{a}{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=staff).status_code == 200
        again = httpx.put(f"{b}{ITEMS}/disconnect", json=action(synced["staff_uid"]), headers=staff)
        assert again.status_code == 422  # the disconnect through the first server is seen by the second
        for base in (a, b):
            assert [e["status"] for e in httpx.get(f"{base}/__admin/requests").json()["data"]] == [422, 200, 200]
        # a fault set through one fires on the other, counted once
        fault = {"api": "vcita", "operation_id": "connectExternalCalendar", "status": 500, "times": 1}
        assert httpx.post(f"{a}/__admin/faults", json=fault).status_code == 201
        assert httpx.put(f"{b}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=staff).status_code == 500
        # used up: the next call gets the fake's own answer (the sync is disconnected)
        assert httpx.put(f"{a}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=staff).status_code == 422
        assert httpx.get(f"{b}/__admin/faults").json()["data"] == []
    finally:
        served.stop(first)
        served.stop(second)


def test_a_restarted_server_finds_its_records_and_tokens(redis: RedisServer) -> None:
    process, base = _start("--state", redis.url)
    synced, staff = _connect_staff(base)
    served.stop(process)
    process, base = _start("--state", redis.url)
    try:
        answer = httpx.put(f"{base}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=staff)
        assert answer.status_code == 200, answer.text
    finally:
        served.stop(process)


def test_ravan_tokens_survive_a_restart_too(redis: RedisServer) -> None:
    """Ravan's JWTs are signed with a key derived from the deployment secret kept in Redis."""
    process, base = _start("--state", redis.url)
    made = httpx.post(f"{base}/__admin/states", json={"api": "ravan", "state": "agent"}).json()["data"]
    served.stop(process)
    process, base = _start("--state", redis.url)
    try:
        headers = {"Authorization": f"Bearer {made['tokens']['jwt']}"}
        answer = httpx.get(f"{base}/ravan/api/v1/calcom/agents/{made['agent_id']}/info", headers=headers)
        assert answer.status_code == 200, answer.text
    finally:
        served.stop(process)


def test_unreachable_redis_at_start_is_one_line_and_exit_2() -> None:
    port = served.free_port()
    result = served.run("serve", "--port", "0", "--state", f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"mockserver: cannot reach Redis at redis://127.0.0.1:{port}/0")


def test_several_workers_need_shared_state() -> None:
    result = served.run("serve", "--port", "0", "--workers", "2")
    assert result.returncode == 2
    assert "--workers 2 needs shared state" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_losing_redis_mid_run_answers_503_and_service_resumes(redis_server: RedisServer) -> None:
    redis = RedisServer(persist=True).start()
    process, base = _start("--state", redis.url)
    try:
        synced, staff = _connect_staff(base)
        body = action(synced["staff_uid"])
        assert httpx.put(f"{base}{ITEMS}/connect", json=body, headers=staff).status_code == 200
        redis.stop()
        for _ in range(3):
            lost = httpx.put(f"{base}{ITEMS}/disconnect", json=body, headers=staff, timeout=10)
            assert lost.status_code == 503
            assert lost.json()["status"] == "Error"  # vcita's envelope, no traceback
            # vcita's envelope for a server-side failure, saying what happened
            assert lost.json()["errors"][0]["code"] == "internal_error"
            assert "state store" in lost.json()["errors"][0]["message"]
        admin = httpx.get(f"{base}/__admin/faults", timeout=10)
        assert admin.status_code == 503 and admin.json()["error"]["code"] == "state_unavailable"
        redis.start()
        back = httpx.put(f"{base}{ITEMS}/disconnect", json=body, headers=staff, timeout=10)
        assert back.status_code == 200, back.text  # nothing of the failed attempts was written
    finally:
        _, stderr = served.stop(process)
        redis.close()
    incidents = [line for line in stderr.splitlines() if "state store unreachable" in line]
    assert len(incidents) == 1, stderr
    assert "Traceback" not in stderr
    assert sum("reachable again" in line for line in stderr.splitlines()) == 1


def test_two_workers_on_redis_serve_one_fake(redis: RedisServer) -> None:
    process, base = _start("--state", redis.url, "--workers", "2")
    try:
        # vcita allows 8 requests a second per token: this run sends them faster.
        assert httpx.patch(f"{base}/__admin/settings", json={"rate_limits": False}).status_code == 200
        synced, staff = _connect_staff(base)
        body = action(synced["staff_uid"])
        recreate = {"api": "vcita", "state": "calendar_sync", "params": {"staff_uid": synced["staff_uid"]}}
        # A fresh connection per request: the kernel spreads them over both workers, and each
        # answer follows from the one before, whichever worker served it.
        for _ in range(4):
            for op, status in (("connect", 200), ("disconnect", 200), ("disconnect", 422)):
                with httpx.Client() as fresh:
                    assert fresh.put(f"{base}{ITEMS}/{op}", json=body, headers=staff).status_code == status
            assert httpx.post(f"{base}/__admin/states", json=recreate).status_code == 201
        assert len(httpx.get(f"{base}/__admin/requests").json()["data"]) == 12
    finally:
        _, stderr = served.stop(process)
    assert "Traceback" not in stderr


def _start(*args: str) -> tuple[Any, str]:
    """``mockserver serve --port 0 *args``; the process and its base URL."""
    process, lines = served.serve("--port", "0", *args)
    admin = next(line for line in lines if line.startswith("admin"))
    return process, admin.split()[1].removesuffix("/__admin")


# -- atomic transitions under concurrent writers ------------------------------------------------------
@pytest.fixture
def two_workers(redis: RedisServer) -> Iterator[tuple[str, str]]:
    """Two servers (each its own engine and event loop) on one Redis: two workers in all but PID."""
    runtimes = [Runtime(ALL_VENDORS, engine=open_engine(redis.url)) for _ in range(2)]
    with ServerThread(build_app(runtimes[0])) as first, ServerThread(build_app(runtimes[1])) as second:
        yield first.base_url, second.base_url
    for runtime in runtimes:
        runtime.engine.close()


def _lost_updates(bases: tuple[str, str], staff_count: int = 12, rounds: int = 15) -> list[str]:
    """Each round, one client per staff member replaces that member's calendar sync (vcita's
    admin endpoint: a new sync, a new uid), all at once, half of them through each worker; after
    the round every staff member's sync must be the one its client's request made. Answers the
    lost updates seen ("round N: <staff>")."""
    assert httpx.patch(f"{bases[0]}/__admin/settings", json={"rate_limits": False}).status_code == 200
    business = httpx.post(f"{bases[0]}/__admin/states", json={"api": "vcita", "state": "staff"}).json()["data"]
    staff_ids = [business["staff_uid"]]
    for _ in range(staff_count - 1):
        more = {"api": "vcita", "state": "staff", "params": {"business_uid": business["business_uid"]}}
        staff_ids.append(httpx.post(f"{bases[0]}/__admin/states", json=more).json()["data"]["staff_uid"])
    headers = {"Authorization": f"Bearer {business['tokens']['admin']}"}
    clients = [httpx.Client(timeout=30) for _ in staff_ids]
    lost: list[str] = []

    def replace(index: int) -> str:
        url = f"{bases[index % 2]}/vcita/platform/v1/scheduling/calendar_syncs"
        answer = clients[index].post(
            url, json={"staff_uid": staff_ids[index], "provider": "google_v3"}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["uid"])

    try:
        with ThreadPoolExecutor(len(staff_ids)) as pool:
            for round_number in range(rounds):
                made = list(pool.map(replace, range(len(staff_ids))))
                state = httpx.get(f"{bases[1]}/__admin/state", params={"api": "vcita"}).json()["vcita"]
                now = {sync["staff_uid"]: sync["uid"] for sync in state["calendar_syncs"]}
                lost += [
                    f"round {round_number}: {uid}"
                    for uid, sync_uid in zip(staff_ids, made, strict=True)
                    if now.get(uid) != sync_uid
                ]
    finally:
        for client in clients:
            client.close()
    return lost


def _lost_credentials(bases: tuple[str, str], clients: int = 12, rounds: int = 6) -> list[str]:
    """Shared records under concurrent writers: each round, ``clients`` clients add an Apple
    account each to ONE Cal.com user at once, half through each worker. Every add reads and
    writes the same records (Cal.com's credential id counter and the user's credential list)
    and answers 201. After each round the user must hold every account added so far, each
    once, with distinct ids. Answers what was lost or duplicated ("round N: ...")."""
    assert httpx.patch(f"{bases[0]}/__admin/settings", json={"rate_limits": False}).status_code == 200
    user = httpx.post(f"{bases[0]}/__admin/states", json={"api": "calcom", "state": "user"}).json()["data"]
    headers = {"Authorization": f"Bearer {user['tokens']['api_key']}"}
    pool_clients = [httpx.Client(timeout=30) for _ in range(clients)]
    problems: list[str] = []
    added: list[str] = []

    def add(index: int, round_number: int) -> str:
        account = f"r{round_number}c{index}@icloud.com"
        answer = pool_clients[index].post(
            f"{bases[index % 2]}/calcom/v2/calendars/apple/credentials",
            json={"username": account, "password": "abcd-efgh-ijkl-mnop"},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        return account

    try:
        with ThreadPoolExecutor(clients) as pool:
            for round_number in range(rounds):
                added += pool.map(lambda i, r=round_number: add(i, r), range(clients))
                state = httpx.get(f"{bases[1]}/__admin/state", params={"api": "calcom"}).json()["calcom"]
                mine = [c for c in state["credentials"] if c["user_id"] == user["user_id"]]
                accounts = [c["account"] for c in mine]
                ids = [c["id"] for c in mine]
                problems += [f"round {round_number}: {a} lost" for a in added if a not in accounts]
                problems += [f"round {round_number}: {a} twice" for a in set(accounts) if accounts.count(a) > 1]
                if len(set(ids)) != len(ids):
                    problems.append(f"round {round_number}: credential ids repeat: {sorted(ids)}")
                listed = httpx.get(f"{bases[0]}/calcom/v2/calendars", headers=headers).json()["data"]
                shown = [c["primary"]["externalId"] for c in listed["connectedCalendars"] if c.get("primary")]
                if len(shown) != len(added):
                    problems.append(f"round {round_number}: the user's list shows {len(shown)} of {len(added)}")
    finally:
        for client in pool_clients:
            client.close()
    return problems


def test_concurrent_writers_lose_no_update(two_workers: tuple[str, str]) -> None:
    assert _lost_updates(two_workers) == []


def test_concurrent_writers_of_shared_records_lose_nothing(two_workers: tuple[str, str]) -> None:
    assert _lost_credentials(two_workers) == []


def test_the_check_catches_a_commit_without_read_checks(
    two_workers: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planted bug: commits that check none of the records they read. The invariant check must
    see lost updates."""

    def unchecked(self: RedisEngine, staged: Staged) -> tuple[list[str], list[str]]:
        return [], []

    monkeypatch.setattr(RedisEngine, "_read_checks", unchecked)
    lost = _lost_credentials(two_workers)
    assert lost, "no lost update detected with the read checks disabled"


# -- group commit ----------------------------------------------------------------------------------
def test_a_lost_race_in_a_group_commit_runs_it_and_every_later_request_again(redis: RedisServer) -> None:
    """Three requests staged on one fake before any commits: the first changes sync A, the second
    sync B, the third builds on the first (A again). Another process changes B before they commit:
    the first commits, the second lost its race, and the third, which ran on top of the second,
    runs again too; nothing of either is written."""
    engine, other = open_engine(redis.url), open_engine(redis.url)
    assert isinstance(engine, RedisEngine)
    runtime, elsewhere = Runtime(ALL_VENDORS, engine=engine), Runtime(ALL_VENDORS, engine=other)
    try:
        admin = InProcessAdmin(runtime)
        first = admin.apply_state("vcita", "calendar_sync", {"account": "a@example.com"})["staff_uid"]
        second = admin.apply_state("vcita", "calendar_sync", {"account": "b@example.com"})["staff_uid"]

        def set_account(world: World, staff: str, account: str) -> None:
            world.stores["vcita"].syncs[staff].account = account

        async def run() -> list[bool]:
            staged = []
            for staff, account in (
                (first, "one@example.com"),
                (second, "two@example.com"),
                (first, "three@example.com"),
            ):
                kept = await engine.prepare(DEFAULT_SESSION, "vcita")
                set_account(kept.world, staff, account)
                staged.append(engine.stage(kept))
            other.transact(DEFAULT_SESSION, lambda world: set_account(world, second, "other@example.com"))
            return list(await asyncio.gather(*(engine.finish(s) for s in staged)))

        assert asyncio.run(run()) == [True, False, False]
        syncs = {
            s["staff_uid"]: s["account"] for s in InProcessAdmin(elsewhere).state("vcita")["vcita"]["calendar_syncs"]
        }
        assert syncs[first] == "one@example.com"
        assert syncs[second] == "other@example.com"
    finally:
        engine.close()
        other.close()


def test_a_request_after_a_control_plane_change_runs_once(redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A control-plane change in this process makes its copies of the session's fakes stale: the
    next request reads them again instead of running on old settings and losing its commit."""
    outcomes: list[int] = []
    batch = RedisEngine._commit_batch

    async def counted(self: RedisEngine, kept: Any, staged: Any) -> int:
        applied = await batch(self, kept, staged)
        outcomes.append(applied)
        return applied

    monkeypatch.setattr(RedisEngine, "_commit_batch", counted)
    runtime = Runtime(ALL_VENDORS, engine=open_engine(redis.url))
    try:
        with ServerThread(build_app(runtime)) as server, httpx.Client(base_url=server.base_url) as http:
            synced, staff = _connect_staff(server.base_url)
            body = action(synced["staff_uid"])
            assert http.put(f"{ITEMS}/connect", json=body, headers=staff).status_code == 200
            setting = {"apis": {"vcita": {"disconnect_result": "keep"}}}
            assert http.patch("/__admin/settings", json=setting).status_code == 200
            outcomes.clear()
            answer = http.put(f"{ITEMS}/disconnect", json=body, headers=staff)
            assert answer.status_code == 200
            assert answer.json()["data"]["provider"] == "google_v3"  # the new setting: kept
            assert outcomes == [1], "the request ran on the old copy and had to run again"
    finally:
        runtime.engine.close()
