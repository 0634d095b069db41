"""The contract suites against a served URL, and real-target mode pointed at a loopback server."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.stepfiles import disconnect_step, step_text

from mockserver.app import build_app
from mockserver.harness.plugin import is_contract_path
from mockserver.server import ServerThread

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
STEP_FILES = [path for path in sorted(CONTRACTS.rglob("*")) if path.is_file() and is_contract_path(path)]
SKIPPED_FILES = [path for path in STEP_FILES if "status: skip" in path.read_text(encoding="utf-8")]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(build_app(validate_responses=True)) as running:
        yield running


def test_every_suite_passes_against_a_served_url(pytester: pytest.Pytester, server: ServerThread) -> None:
    step_args = [str(path) for path in STEP_FILES]
    result = pytester.runpytest(*step_args, "--target", server.base_url, "-rs")
    result.assert_outcomes(passed=len(STEP_FILES) - len(SKIPPED_FILES), skipped=len(SKIPPED_FILES))
    apis = {path.parent.name for path in STEP_FILES}
    assert {"vcita", "recall", "calcom"} <= apis
    for api in apis:
        assert len([path for path in STEP_FILES if path.parent.name == api]) >= 6, api


def test_mockserver_contracts_command(server: ServerThread, tmp_path: Path) -> None:
    junit = tmp_path / "contracts.xml"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "contracts",
            "contracts/vcita",
            "--target",
            server.base_url,
            "-k",
            "disconnect",
            f"--junitxml={junit}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    names = {case.get("name") for case in ET.parse(junit).iter("testcase")}
    assert "vcita repeat disconnect" in names
    assert "vcita disconnect success" in names
    assert "vcita 422 unprocessable" not in names  # deselected by -k


REAL_FILE = step_text(
    [
        disconnect_step(
            "{{account}}",
            expect={
                "status": 200,
                "body": {"data": {"staff_uid": "{{staff_uid}}", "provider": None, "enabled": False}},
            },
        ),
        disconnect_step("{{account}}", id="repeat", expect={"status": 200}),
    ],
    name="real disconnect",
    given=[{"state": "calendar_sync"}],
)

UNSATISFIABLE_FILE = step_text(
    [disconnect_step(expect={"status": 200})],
    name="needs a staff state",
    given=[{"state": "staff"}],
)


def _real_targets(vcita_url: str) -> str:
    return f"""\
targets:
  pretend-production:
    kind: real
    retry: {{attempts: 2, max_wait_seconds: 2}}
    apis:
      vcita:
        url: {vcita_url}
        tokens: {{staff: CONTRACT_TEST_STAFF_TOKEN}}
        given:
          calendar_sync:
            staff_uid: {{env: CONTRACT_TEST_STAFF_UID}}
            account: {{env: CONTRACT_TEST_ACCOUNT}}
"""


def test_real_target_mode_against_loopback(
    pytester: pytest.Pytester, server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = server.app.admin
    admin.reset()
    admin.update_settings({"rate_limits": False})
    sync = admin.apply_state("vcita", "calendar_sync", {"account": "real@example.com"})
    token = sync["tokens"]["staff"]
    monkeypatch.setenv("CONTRACT_TEST_STAFF_TOKEN", token)
    monkeypatch.setenv("CONTRACT_TEST_STAFF_UID", sync["staff_uid"])
    monkeypatch.setenv("CONTRACT_TEST_ACCOUNT", "real@example.com")
    contracts = pytester.path / "contracts"
    contracts.mkdir()
    (contracts / "targets.yaml").write_text(_real_targets(server.url("vcita")), encoding="utf-8")
    (contracts / "real.yaml").write_text(REAL_FILE, encoding="utf-8")
    (contracts / "unsatisfiable.yaml").write_text(UNSATISFIABLE_FILE, encoding="utf-8")
    admin.clear_requests()

    # Without --allow-destructive nothing that changes state is sent.
    result = pytester.runpytest("contracts", "--target", "pretend-production", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*real.yaml*: step 'disconnect' (PUT /business/scheduling/v1/external_calendar_items/disconnect) changes "
            "state on real target 'pretend-production'; pass --allow-destructive*",
            "*unsatisfiable.yaml*: target 'pretend-production' cannot satisfy given 'staff' (vcita/staff)*",
        ]
    )
    assert admin.requests("vcita") == []

    # With it the file runs: the second disconnect finds no sync and fails, and its report
    # names the step without ever showing the token.
    result = pytester.runpytest(
        "contracts", "--target", "pretend-production", "--allow-destructive", "--junitxml=real.xml"
    )
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*step 'repeat' failed: expected status 200, got 422*"])
    assert [entry["status"] for entry in admin.requests("vcita")] == [422, 200]
    assert admin.state("vcita")["vcita"]["calendar_syncs"][0]["provider"] is None
    junit = (pytester.path / "real.xml").read_text(encoding="utf-8")
    assert "step 'repeat' failed" in junit
    for text in (result.stdout.str(), junit):
        assert token not in text
