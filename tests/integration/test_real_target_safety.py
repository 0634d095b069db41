"""A real target without --allow-destructive changes nothing, with `mockserver serve` standing in for the vendors.

contracts/targets.yaml's ``production`` target is pointed at a served fake (its ``*_BASE_URL``
variables), with tokens and ids from provider states applied there. The served fake's journal
(``GET /__admin/requests``) then shows every request the step runner and the fuzzer sent: none
may call an operation whose spec says it changes state (``x-changes-state``), and none may use a
method or path the spec does not list.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.admin import HttpAdmin
from mockserver.harness.apis import find_operation

ROOT = Path(__file__).resolve().parents[2]
VENDOR_APIS = ("vcita", "recall", "calcom", "ravan")
STEP_FILE_DIRS = [f"contracts/{api}" for api in VENDOR_APIS]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The base URL of a `mockserver serve` process on a free loopback port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        base = ""
        deadline = time.monotonic() + 30
        while not base and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, "mockserver serve exited before printing its URLs"
            if line.split()[:1] == ["admin"]:
                base = line.split()[1].removesuffix("/__admin")
        assert base, "mockserver serve printed no admin URL"
        with HttpAdmin(base) as admin:
            assert admin.health()["status"] == "ok"
        yield base
    finally:
        process.terminate()
        process.wait(15)


def production_environment(admin: HttpAdmin, base: str) -> dict[str, str]:
    """The variables contracts/targets.yaml's production target reads, filled from provider states."""
    sync = admin.apply_state("vcita", "calendar_sync", {"provider": "google_v3", "account": "real@example.com"})
    user = admin.apply_state("recall", "calendar_user", {"google": "real@example.com"})
    calendars = admin.apply_state("calcom", "connected_calendar", {"type": "google"})
    accounts = admin.apply_state("ravan", "calcom_account", {})
    agent = admin.apply_state(
        "ravan", "agent", {"org_id": accounts["org_id"], "calcom_account_id": accounts["calcom_account_ids"][0]}
    )
    return {
        **{f"{api.upper()}_BASE_URL": f"{base}/{api}" for api in VENDOR_APIS},
        "VCITA_STAFF_TOKEN": sync["tokens"]["staff"],
        "VCITA_APP_TOKEN": sync["tokens"]["app"],
        "VCITA_STAFF_UID": sync["staff_uid"],
        "VCITA_CALENDAR_ACCOUNT": "real@example.com",
        "RECALL_API_KEY": user["tokens"]["workspace"],
        "RECALL_CALENDAR_TOKEN": user["tokens"]["calendar"],
        "RECALL_CALENDAR_USER_ID": user["calendar_user_id"],
        "RECALL_EXTERNAL_ID": user["external_id"],
        "CALCOM_API_KEY": calendars["tokens"]["api_key"],
        "CALCOM_ACCESS_TOKEN": calendars["tokens"]["managed_user"],
        "CALCOM_OAUTH_TOKEN": calendars["tokens"]["oauth"],
        "CALCOM_USER_ID": str(calendars["user_id"]),
        "CALCOM_CREDENTIAL_ID": str(calendars["credential_ids"][0]),
        "RAVAN_JWT": agent["tokens"]["jwt"],
        "RAVAN_ORG_ID": agent["org_id"],
        "RAVAN_CALCOM_ACCOUNT_ID": accounts["calcom_account_ids"][0],
        "RAVAN_AGENT_ID": agent["agent_id"],
        "RAVAN_AGENT_NAME": agent["agent_name"],
    }


@pytest.fixture
def production(served: str) -> Iterator[tuple[HttpAdmin, dict[str, str]]]:
    """A fresh served fake prepared as the production target, and the environment that points there."""
    with HttpAdmin(served) as admin:
        admin.reset()
        # Rate limits off: the fuzzer's volume would otherwise meet 429s; a large journal keeps every call.
        admin.update_settings({"rate_limits": False, "journal_cap": 200_000})
        environ = production_environment(admin, served)
        admin.clear_requests()
        yield admin, {**os.environ, "PYTHONWARNINGS": "ignore", **environ}


def run(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=900
    )


def violations(entries: list[dict[str, Any]], probes: bool = False) -> list[str]:
    """Journal entries that called an operation which changes state, or one the spec does not list.

    Args:
        probes: allow Schemathesis' capability probes, sent before every run and not optional:
            a GET of the API's base URL and one of a fixed path below it (``schemathesis-probe``
            with a backslash and control characters).
    """
    found = []
    for entry in entries:
        api, method = entry["api"], entry["method"]
        path = entry["path"].removeprefix(f"/{api}")
        operation = find_operation(api, method, path)
        if probes and method == "GET" and (path in ("", "/") or path.startswith("/schemathesis-probe")):
            continue
        if operation is None:
            found.append(f"not in the spec: {method} {entry['path']}")
        elif operation.changes_state:
            found.append(f"changes state: {method} {entry['path']} ({operation.operation_id})")
    return found


def test_step_files_on_a_real_target_change_nothing(production: tuple[HttpAdmin, dict[str, str]]) -> None:
    admin, environ = production
    before = admin.state()

    completed = run(["pytest", *STEP_FILE_DIRS, "--target", "production", "-p", "no:cacheprovider", "-rs"], environ)

    output = completed.stdout + completed.stderr
    # Some reads fail here (files that expect a state shape production's environment does not
    # describe); what matters is what was sent.
    assert completed.returncode in (0, 1), output
    entries = admin.requests()
    assert entries, "no request reached the stand-in: the run proved nothing"
    assert violations(entries) == []
    assert admin.state() == before
    # Cal.com's OAuth flow and Recall's authenticate are refused by what they do, GET or not.
    assert "step 'get_connect_url' (GET /v2/calendars/google/connect) changes state on real target" in output
    assert "step 'authenticate_new_user' (POST /api/v1/calendar/authenticate/) changes state on real target" in output
    for token in (environ["CALCOM_API_KEY"], environ["RECALL_API_KEY"], environ["VCITA_STAFF_TOKEN"]):
        assert token not in output


def test_the_check_sees_writes_when_they_are_allowed(production: tuple[HttpAdmin, dict[str, str]]) -> None:
    admin, environ = production

    completed = run(
        [
            "pytest",
            "contracts/recall/authenticate_success.yaml",
            "contracts/calcom/full_cycle.yaml",
            "--target",
            "production",
            "--allow-destructive",
            "-p",
            "no:cacheprovider",
        ],
        environ,
    )

    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    found = violations(admin.requests())
    assert any(line.startswith("changes state: POST /recall/api/v1/calendar/authenticate/") for line in found)
    assert any(line.startswith("changes state: GET /calcom/v2/calendars/google/connect") for line in found)


@pytest.mark.parametrize(
    "command",
    [
        ["mockserver", "fuzz", "--target", "production", "--max-examples", "5"],
        ["pytest", "contracts/test_fuzz.py", "--target", "production", "-p", "no:cacheprovider", "-rsP"],
    ],
    ids=["mockserver-fuzz", "contracts-test-fuzz"],
)
def test_fuzzing_a_real_target_sends_only_listed_methods_and_changes_nothing(
    command: list[str], production: tuple[HttpAdmin, dict[str, str]]
) -> None:
    admin, environ = production
    before = admin.state()

    completed = run(command, environ)

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    entries = admin.requests()
    assert {entry["api"] for entry in entries} == {"recall", "calcom", "ravan"}, output
    assert violations(entries, probes=True) == []
    assert admin.state() == before
    assert "admin exists only on the fakes" in output
    # Every vcita operation writes: nothing is left to fuzz there.
    assert re.search(r"vcita: (SKIPPED: )?every operation is left out on this target", output)
    assert "POST /api/v1/calendar/authenticate/: changes state; needs --allow-destructive" in output
    assert "GET /v2/calendars/{calendar}/save: changes state; needs --allow-destructive" in output
