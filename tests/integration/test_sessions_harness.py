"""Contract runs, fuzz runs and the sessions CLI sharing one real ``mockserver serve``.

Every run against a served target works in a session of its own and deletes it at the end (also
when interrupted); the server's default session is never touched.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.redis_server import RedisServer
from support.serve import free_port, read_until, stop, wait_healthy
from support.vcita import action

ROOT = Path(__file__).resolve().parents[2]
ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"
# No MOCKSERVER_* of the caller's (a URL, an admin token, a state engine): each test says what it uses.
ENV = {
    **{name: value for name, value in os.environ.items() if not name.startswith("MOCKSERVER_")},
    "PYTHONWARNINGS": "ignore",
    "PYTHONUNBUFFERED": "1",
}
STEP_FILES_ONLY = ["-k", "not test_schemathesis", "-p", "no:cacheprovider"]


def mockserver(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``mockserver *args`` started in the checkout, its output (both streams) piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "mockserver", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or ENV,
        # Python does not install its Ctrl-C handler when SIGINT is ignored at start, and an
        # ignored disposition is inherited: give the run the default whatever this process has.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(process: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    """The exit code and output of a process started by :func:`mockserver`."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"still running after {timeout}s: {output[-3000:]}") from None
    return process.returncode, output


@contextmanager
def served(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A ``mockserver serve`` subprocess on a free loopback port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--no-access-log", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or ENV,
    )
    read_until(process)
    base = f"http://127.0.0.1:{port}"
    if "--admin-token" not in args:  # the health check would need the credential
        wait_healthy(process, base)
    try:
        yield base
    finally:
        stop(process)


def sessions(base: str, **headers: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/__admin/sessions", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def seed_default_session(base: str) -> None:
    """State of every kind in the default session: a record, a token, a fault, a setting, a clock move, a journal."""
    with httpx.Client(base_url=base, timeout=10) as http:
        synced = http.post(
            "/__admin/states", json={"api": "vcita", "state": "calendar_sync", "params": {"provider": "google_v3"}}
        ).json()["data"]
        headers = {"Authorization": f"Bearer {synced['tokens']['staff']}"}
        assert http.put(f"{ITEMS}/connect", json=action(synced["staff_uid"]), headers=headers).status_code == 200
        fault = {"api": "vcita", "operation_id": "disableExternalCalendar", "status": 500}
        assert http.post("/__admin/faults", json=fault).status_code == 201
        patch = {"apis": {"vcita": {"error_envelope": "success_false"}}}
        assert http.patch("/__admin/settings", json=patch).status_code == 200
        assert http.post("/__admin/clock", json={"advance_seconds": 90}).status_code == 200


def default_session_bytes(base: str) -> dict[str, bytes]:
    """The default session's export, faults, settings and journal, as the server sends them."""
    with httpx.Client(base_url=base, timeout=10) as http:
        return {
            "export": http.get("/__admin/state", params={"format": "export"}).content,
            "faults": http.get("/__admin/faults").content,
            "settings": http.get("/__admin/settings").content,
            "journal": http.get("/__admin/requests").content,
        }


def wait_for_sessions(base: str, count: int, pattern: str, timeout: float = 90) -> list[dict[str, Any]]:
    """The server's sessions once ``count`` of them have a name matching ``pattern``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [entry for entry in sessions(base) if re.fullmatch(pattern, entry.get("name") or "")]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {count} sessions named {pattern!r} within {timeout}s: {sessions(base)}")


@pytest.fixture(params=["memory", "redis"])
def server_args(request: pytest.FixtureRequest) -> list[str]:
    """``serve`` options: one process on memory, two workers on Redis."""
    if request.param == "memory":
        return ["--state", "memory"]
    redis: RedisServer = request.getfixturevalue("redis_server")
    redis.flush()
    return ["--state", redis.url, "--workers", "2"]


def test_runs_at_once_on_one_server_leave_its_default_session_alone(server_args: list[str]) -> None:
    with served(*server_args) as base:
        seed_default_session(base)
        before = default_session_bytes(base)
        on_redis = "--workers" in server_args
        runs = {
            "contracts 1": mockserver("contracts", "--target", base, "-q", *STEP_FILES_ONLY),
            # On Redis the second run has two pytest-xdist workers: a session each.
            "contracts 2": mockserver(
                "contracts", "--target", base, "-q", *STEP_FILES_ONLY, *(["-n", "2"] if on_redis else [])
            ),
            "fuzz": mockserver("fuzz", "--target", base, "--api", "vcita", "--max-examples", "5", "--quiet"),
        }
        names: set[str] = set()
        while any(process.poll() is None for process in runs.values()):
            names |= {str(entry.get("name")) for entry in sessions(base)}
            time.sleep(0.2)
        results = {label: finish(process) for label, process in runs.items()}
        for label, (code, output) in results.items():
            assert code == 0, f"{label}:\n{output[-4000:]}"
        assert "passed" in results["contracts 1"][1] and "failed" not in results["contracts 1"][1]
        assert "vcita" in results["fuzz"][1] and "FAILED" not in results["fuzz"][1]
        # Each run worked in sessions of its own, and deleted them.
        assert "mockserver fuzz" in names
        workers = {name.rsplit(" ", 1)[1] for name in names if name.startswith("mockserver contracts ")}
        assert workers >= ({"main", "gw0", "gw1"} if on_redis else {"main"}), names
        assert sessions(base) == []
        after = default_session_bytes(base)
        for part, content in before.items():
            assert after[part] == content, part


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two xdist workers"])
def test_an_interrupted_contract_run_deletes_its_sessions(workers: list[str]) -> None:
    with served() as base:
        run = mockserver("contracts", "--target", base, "-q", "-p", "no:cacheprovider", *workers)
        expected = r"mockserver contracts \w+ gw\d" if workers else r"mockserver contracts \w+ main"
        open_sessions = wait_for_sessions(base, 2 if workers else 1, expected)
        time.sleep(1)  # in the middle of the run, not at its start
        assert run.poll() is None, "the run ended before it could be interrupted"
        run.send_signal(signal.SIGINT)
        code, output = finish(run, timeout=60)
        assert code == 2, output[-3000:]  # pytest: interrupted
        assert "KeyboardInterrupt" in output
        assert open_sessions and sessions(base) == []


def test_a_given_session_is_used_and_kept() -> None:
    with served() as base:
        created = httpx.post(f"{base}/__admin/sessions", json={"name": "kept"}, timeout=10).json()
        session = created["id"]
        journal_before = default_session_bytes(base)["journal"]

        def session_journal() -> set[str]:
            """The APIs the session's journal holds requests to (each run resets what it runs on)."""
            entries = httpx.get(f"{created['base_url']}/__admin/requests", timeout=10).json()["data"]
            return {entry["path"].split("/")[1] for entry in entries}

        runs = [
            ("contracts", "contracts/vcita", "-k", "disconnect", "--target", base, "--session", session, "-q"),
            ("fuzz", "--target", base, "--session", session, "--api", "calcom", "--max-examples", "3", "--quiet"),
            # The session's own URL as the target is that session too.
            ("contracts", "contracts/recall", "--target", created["base_url"], "-q", *STEP_FILES_ONLY),
        ]
        for args, api in zip(runs, ["vcita", "calcom", "recall"], strict=True):
            code, output = finish(mockserver(*args))
            assert code == 0, output[-3000:]
            assert api in session_journal(), args
            assert [entry["id"] for entry in sessions(base)] == [session]
        assert default_session_bytes(base)["journal"] == journal_before


def test_an_unknown_session_is_a_clear_error() -> None:
    with served() as base:
        code, output = finish(mockserver("contracts", "contracts/vcita", "--target", base, "--session", "nosuch"))
        assert code == 2
        assert "no session 'nosuch'" in output and "Traceback" not in output
        code, output = finish(mockserver("fuzz", "--target", base, "--session", "nosuch", "--api", "vcita"))
        assert code == 2
        assert "no session 'nosuch'" in output and "Traceback" not in output
        assert sessions(base) == []


def test_runs_on_a_server_that_asks_for_a_credential() -> None:
    token = "msadm_harness-session-tests-0001"
    with served("--admin-token", token) as base:
        bare = finish(mockserver("contracts", "contracts/vcita", "-k", "disconnect", "--target", base))
        assert bare[0] == 2
        assert f"{base} refused" in bare[1] and "MOCKSERVER_ADMIN_TOKEN" in bare[1]
        assert "Traceback" not in bare[1]
        code, output = finish(
            mockserver(
                "contracts", "contracts/vcita", "-k", "disconnect", "--target", base, "-q",
                env={**ENV, "MOCKSERVER_ADMIN_TOKEN": token},
            )
        )  # fmt: skip
        assert code == 0, output[-3000:]
        assert sessions(base, Authorization=f"Bearer {token}") == []


# -- mockserver sessions ---------------------------------------------------------------------------
def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "mockserver", "sessions", *args],
        capture_output=True,
        text=True,
        env=env or ENV,
        timeout=60,
    )
    return completed.returncode, completed.stdout, completed.stderr


def test_the_sessions_command() -> None:
    with served() as base:
        code, out, err = cli("create", "--name", "shard 1", "--ttl", "600", "--url", base)
        assert code == 0, err
        printed = dict(line.split(None, 1) for line in out.splitlines())
        assert set(printed) == {"id", "base_url", "token"}
        assert printed["base_url"] == f"{base}/s/{printed['id']}"
        assert printed["token"].startswith("mss_")
        assert httpx.get(f"{printed['base_url']}/vcita/ui/", timeout=10).status_code == 200

        # The URL from the environment.
        code, out, err = cli("list", env={**ENV, "MOCKSERVER_URL": base})
        assert code == 0, err
        header, row = out.splitlines()
        assert header.split()[:3] == ["ID", "NAME", "CREATED"]
        assert row.startswith(f"{printed['id']}  shard 1 ") and row.endswith("600s")
        assert printed["token"] not in out

        code, out, err = cli("delete", printed["id"], "nosuch", "--url", base)
        assert (code, out.strip()) == (1, f"deleted {printed['id']}")
        assert err.strip() == "mockserver sessions: no session 'nosuch'"
        assert sessions(base) == []
        assert cli("list", "--url", base)[1].strip() == "no sessions"


def test_the_sessions_command_with_an_admin_token() -> None:
    token = "msadm_harness-session-tests-0002"
    with served("--admin-token", token) as base:
        code, out, err = cli("create", "--url", base)
        assert code == 1 and out == ""
        assert "MOCKSERVER_ADMIN_TOKEN" in err and "Traceback" not in err
        code, out, err = cli("create", "--json", "--url", base, env={**ENV, "MOCKSERVER_ADMIN_TOKEN": token})
        assert code == 0, err
        assert '"base_url"' in out
        assert len(sessions(base, Authorization=f"Bearer {token}")) == 1


def test_the_sessions_command_on_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["list"], ["create"], ["delete", "x"]):
        code, out, err = cli(*args, "--url", url)
        assert code == 2 and out == "", args
        assert err.startswith(f"mockserver sessions: no mockserver answers at {url}") and "Traceback" not in err
    code, _, err = cli("list", "--url", "ftp://127.0.0.1")
    assert code == 2 and "--url must be an http://" in err


# -- the shared_fake fixture -----------------------------------------------------------------------
SHARED_SUITE = """
import json
import pathlib

import httpx

ITEMS = "/business/scheduling/v1/external_calendar_items"
SEEN = pathlib.Path(__file__).with_name("seen.jsonl")


def record(fake):
    with SEEN.open("a") as out:
        out.write(json.dumps({"id": fake.session_id, "base": fake.base_url}) + "\\n")


def test_disconnect(shared_fake):
    record(shared_fake)
    data = shared_fake.admin.apply_state("vcita", "calendar_sync", {"account": "qa@example.com"})
    response = httpx.put(
        shared_fake.url("vcita") + ITEMS + "/disconnect",
        json={"staff_uid": data["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "qa@example.com"}},
        headers={"Authorization": "Bearer " + data["tokens"]["staff"]},
    )
    assert response.status_code == 200
    assert [entry["status"] for entry in shared_fake.admin.requests("vcita")] == [200]
    shared_fake.admin.add_fault("vcita", "disableExternalCalendar", status=503)
    shared_fake.admin.update_settings({"rate_limits": False})


def test_starts_clean(shared_fake):
    record(shared_fake)
    assert shared_fake.admin.state("vcita")["vcita"]["calendar_syncs"] == []
    assert shared_fake.admin.requests() == []
    assert shared_fake.admin.faults() == []
    assert shared_fake.admin.settings()["rate_limits"] is True
    assert shared_fake.url("admin") == shared_fake.base_url + "/__admin"
    assert httpx.get(shared_fake.url("vcita") + "/ui/").status_code == 200
"""


def _seen(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    import json

    seen = pytester.path / "seen.jsonl"
    lines = seen.read_text(encoding="utf-8").splitlines()
    seen.unlink()
    return [json.loads(line) for line in lines]


def test_shared_fake_opens_a_session_per_test_on_a_served_fake(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [name for name in os.environ if name.startswith("MOCKSERVER_")]:
        monkeypatch.delenv(name)
    pytester.makepyfile(test_shared=SHARED_SUITE)
    with served() as base:
        seed_default_session(base)
        before = default_session_bytes(base)

        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockserver-url", base)
        result.assert_outcomes(passed=2)
        ids = [entry["id"] for entry in _seen(pytester)]
        assert len(set(ids)) == 2 and None not in ids
        assert sessions(base) == []
        assert default_session_bytes(base) == before

        # The environment variable does the same.
        monkeypatch.setenv("MOCKSERVER_URL", base)
        pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
        assert all(entry["base"].startswith(f"{base}/s/") for entry in _seen(pytester))
        assert sessions(base) == []
        monkeypatch.delenv("MOCKSERVER_URL")

    # Without a URL: the in-process fake, the same suite unchanged.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    seen = _seen(pytester)
    assert [entry["id"] for entry in seen] == [None, None]
    assert seen[0]["base"].startswith("http://127.0.0.1:") and "/s/" not in seen[0]["base"]


def test_shared_fake_on_an_unreachable_server_is_a_clear_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOCKSERVER_URL", raising=False)
    pytester.makepyfile(test_shared="def test_it(shared_fake):\n    pass\n")
    url = f"http://127.0.0.1:{free_port()}"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mockserver-url", url)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*shared_fake: no mockserver answers at {url}*"])
    assert "Traceback" not in result.stdout.str()


# -- what a run's controller deletes -------------------------------------------------------------
def test_the_sweep_deletes_only_the_sessions_of_its_run() -> None:
    from mockserver.harness.targets import builtin_targets, sweep_sessions

    with served() as base:
        names = ["mockserver contracts abc gw0", "mockserver contracts abc gw1", "mockserver contracts abcd gw0", "x"]
        ids = [httpx.post(f"{base}/__admin/sessions", json={"name": name}).json()["id"] for name in names]
        deleted = sweep_sessions(base, builtin_targets(), "mockserver contracts abc ")
        assert sorted(deleted) == sorted(ids[:2])
        assert [entry["id"] for entry in sessions(base)] == ids[2:]
        # A target that is not served, or a session's own URL, sweeps nothing.
        assert sweep_sessions("fake", builtin_targets(), "") == []
        assert sweep_sessions(f"{base}/s/{ids[2]}", builtin_targets(), "") == []
        assert len(sessions(base)) == 2
