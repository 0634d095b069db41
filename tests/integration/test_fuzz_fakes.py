"""Schemathesis over every fake: the CI profile passes every default check, in process and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.vendors import vendor_classes

from mockserver.app import FakesApp, build_app
from mockserver.cli import build_parser
from mockserver.fuzz import PROFILES, fuzzable_apis, run_api
from mockserver.harness import InProcessTarget, UrlTarget
from mockserver.server import ServerThread
from mockserver.vendors import ALL_VENDORS

VENDORS = [vendor.name for vendor in ALL_VENDORS]
CHECKS_THAT_MUST_RUN = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "use_after_free",
}


def _every_vendor() -> FakesApp:
    return build_app(vendors=vendor_classes(), validate_responses=True)


@pytest.mark.parametrize("api", fuzzable_apis([vendor.name for vendor in vendor_classes()]))
def test_the_ci_profile_passes_against_the_fake(api: str) -> None:
    # Every registered vendor and every test-only one (tests/vendors/): a new vendor is fuzzed unedited.
    report = run_api(api, InProcessTarget("fake", app_factory=_every_vendor), PROFILES["ci"])

    assert report.ok, report.format()
    assert report.exercised == len(report.operations), report.format()
    assert not report.left_out
    assert {name for name, tally in report.checks.items() if tally.passed} >= CHECKS_THAT_MUST_RUN
    if api != "admin":
        assert report.links > 0
        assert report.stateful_scenarios > 0
        assert report.phases["stateful"] == "success"
        # The run reached past auth and prerequisites: some calls succeeded.
        assert any(status < 300 for counts in report.statuses.values() for status in counts), report.format()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(build_app(validate_responses=True)) as running:
        yield running


def test_a_running_server_is_fuzzed_over_http(server: ServerThread) -> None:
    target = UrlTarget(server.base_url, server.base_url)
    profile = PROFILES["ci"].with_overrides(max_examples=5)

    report = run_api("vcita", target, profile)

    assert report.ok, report.format()
    assert report.target == server.base_url
    assert target.served_apis() == VENDORS
    # Prepared through the control plane over HTTP: the provider state exists there.
    assert server.app.admin.state("vcita")["vcita"]["calendar_syncs"]
    assert server.app.admin.settings()["rate_limits"] is False


def fuzz_cli(*args: str) -> int:
    parsed = build_parser().parse_args(["fuzz", *args])
    return int(parsed.handler(parsed))


def test_the_cli_prints_per_api_reports_and_writes_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "out" / "fuzz.xml"

    code = fuzz_cli(
        "--api", "recall", "--max-examples", "3", "--seed", "5", "--report", "junit", "--report-path", str(junit)
    )

    out = capsys.readouterr().out
    assert code == 0, out
    # Progress first, as plain lines (the captured stdout is no terminal): the API, then each
    # phase's operations in turn, then the stateful scenarios.
    progress = out[: out.index("== recall:")].splitlines()
    assert progress[0] == "fuzz 1/1 recall: target fake, profile ci"
    authenticate = "calendar_authenticate_create (POST /api/v1/calendar/authenticate/)"
    for phase in ("examples", "coverage", "fuzzing"):
        lines = [line for line in progress if line.startswith(f"fuzz recall {phase} ")]
        assert [line.split()[3] for line in lines] == [f"{n}/6" for n in range(1, 7)], progress
        assert f"fuzz recall {phase} 1/6 {authenticate}" in lines
    assert "fuzz recall stateful scenario 1" in progress
    assert "== recall: PASSED (target fake, profile ci, seed 5," in out
    assert "POST /api/v1/calendar/authenticate/" in out
    assert "positive_data_acceptance" in out
    assert out.splitlines()[-2].startswith("recall   ok     6/6 operations")
    assert f"junit report: {junit}" in out
    assert '<testsuite name="fuzz.recall"' in junit.read_text(encoding="utf-8")


def test_the_cli_against_a_running_server(server: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    code = fuzz_cli("--target", server.base_url, "--api", "calcom", "--max-examples", "2", "--quiet")

    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("calcom   ok")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api", "nope"], "mockserver fuzz: unknown api nope; known: admin, calcom, ravan, recall, vcita"),
        (["--max-examples", "0"], "mockserver fuzz: --max-examples must be at least 1"),
        (["--target", "moon"], "mockserver fuzz: unknown target 'moon'"),
        (["--target", "http://127.0.0.1:9"], "mockserver fuzz: no mockserver answers at http://127.0.0.1:9"),
    ],
)
def test_the_cli_refuses_bad_arguments(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert fuzz_cli(*args) == 2
    assert capsys.readouterr().err.startswith(message)


def test_outside_a_checkout_the_bundled_targets_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no contracts/targets.yaml here

    assert fuzz_cli("--target", "moon") == 2
    assert "known: fake, local, production" in capsys.readouterr().err
