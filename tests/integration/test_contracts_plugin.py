"""The pytest plugin as users run it: ``pytest contracts/`` in a project, against the fakes on loopback."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.stepfiles import disconnect_step, step_text

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "harness_cases"
SEED_PAGE = ROOT / "contracts" / "vcita" / "disconnect_external_calendar.seed.md"

PASSING = step_text(
    [disconnect_step("testuser@gmail.com", expect={"status": 200, "body": {"data": {"enabled": False}}})],
    name="passing disconnect",
    tags=["disconnect", "smoke"],
    given=[{"state": "calendar_sync", "params": {"account": "testuser@gmail.com"}}],
)

# The spec-violation case runs against a fake with a planted bug, chosen by a conftest that
# overrides the plugin's contract_target fixture for its folder only. It may run in a new process,
# so it finds the tests' support package by its path.
PLANTED_CONFTEST = f"""\
import sys

import pytest

if {str(ROOT / "tests")!r} not in sys.path:
    sys.path.insert(0, {str(ROOT / "tests")!r})

from mockserver.app import build_app
from mockserver.harness import FakeTarget
from support.planted import PlantedBugVcita


@pytest.fixture(scope="session")
def contract_target():
    target = FakeTarget("planted", app=build_app(vendors=[PlantedBugVcita], validate_responses=False))
    yield target
    target.close()
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a contracts/ folder: the failing cases, one passing file and seed 004."""
    contracts = pytester.path / "contracts"
    (contracts / "cases").mkdir(parents=True)
    (contracts / "planted").mkdir()
    for case in CASES.glob("*.yaml"):
        folder = "planted" if case.stem == "spec_violation" else "cases"
        shutil.copy(case, contracts / folder / case.name)
    (contracts / "planted" / "conftest.py").write_text(PLANTED_CONFTEST, encoding="utf-8")
    (contracts / "passing.yaml").write_text(PASSING, encoding="utf-8")
    shutil.copy(SEED_PAGE, contracts / "seed.md")
    # Neither of these is a step file.
    (contracts / "targets.yaml").write_text("targets:\n  fake: {kind: fake}\n", encoding="utf-8")
    (contracts / "NOTES.md").write_text("# Notes\n\n```yaml\nsteps: []\n```\n", encoding="utf-8")
    return pytester


def _case_header(name: str) -> str:
    for line in (CASES / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect_message:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(name)


def test_collects_one_test_per_step_file(project: pytest.Pytester) -> None:
    result = project.runpytest("contracts", "--collect-only", "-q", "--strict-markers")
    lines = [line for line in result.outlines if "::" in line]
    assert sorted(lines) == sorted(
        [
            "contracts/passing.yaml::passing disconnect",
            "contracts/seed.md::Disconnect External Calendar",
            "contracts/planted/spec_violation.yaml::case spec violation",
            *(
                f"contracts/cases/{case.name}::{name}"
                for case, name in [
                    (CASES / "abort_then_finally.yaml", "case abort then finally"),
                    (CASES / "body_mismatch.yaml", "case body mismatch"),
                    (CASES / "broken_yaml.yaml", "broken_yaml"),
                    (CASES / "schema_violation.yaml", "schema_violation"),
                    (CASES / "undefined_variable.yaml", "case undefined variable"),
                    (CASES / "unknown_provider_state.yaml", "case unknown provider state"),
                    (CASES / "wrong_status.yaml", "case wrong status"),
                ]
            ),
        ]
    )


def test_failures_skips_and_junit(project: pytest.Pytester) -> None:
    result = project.runpytest("contracts", "-rs", "--strict-markers", "--junitxml=out.xml")
    result.assert_outcomes(passed=1, failed=8, skipped=1)
    output = result.stdout.str()
    for case in CASES.glob("*.yaml"):
        assert _case_header(case.name) in output, case.name
    result.stdout.fnmatch_lines(
        [
            "*SKIPPED* contracts/seed.md*: Requires CalendarSync record which can only be created via internal API or UI.*",
        ]
    )
    # A failing step shows its id, request line, status, body excerpt and the failed expectation.
    result.stdout.fnmatch_lines(
        [
            "*FAILED  step 'disconnect' (wrong_status.yaml:9): PUT http://127.0.0.1:*/vcita/business/scheduling/v1/"
            "external_calendar_items/disconnect -> 200",
            '*body: {"success": true, "data": {*',
            "*- expected status 422, got 200",
        ]
    )

    tree = ET.parse(project.path / "out.xml")
    cases = {case.get("name"): case for case in tree.iter("testcase")}
    failure = cases["case wrong status"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("step 'disconnect' failed: expected status 422, got 200")
    properties = {p.get("name"): p.get("value") for p in cases["case wrong status"].iter("property")}
    assert properties == {"failed_steps": "disconnect"}
    skipped = cases["Disconnect External Calendar"].find("skipped")
    assert skipped is not None and "VCITA2-11743" in skipped.get("message", "")
    junit = (project.path / "out.xml").read_text(encoding="utf-8")
    assert "Bearer" not in junit


def test_markers_per_tag_and_k_by_name(project: pytest.Pytester) -> None:
    result = project.runpytest("contracts", "--strict-markers", "-m", "smoke")
    result.assert_outcomes(passed=1, deselected=9)
    result = project.runpytest("contracts", "--strict-markers", "-m", "vcita and not contract")
    result.assert_outcomes(deselected=10)
    result = project.runpytest("contracts", "--strict-markers", "-k", "passing or wrong")
    result.assert_outcomes(passed=1, failed=1, deselected=8)


def test_unknown_target_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("contracts", "--target", "staging")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown target 'staging'; known: fake, local (or a http:// URL)*"])


def test_pytest_xdist_runs_the_files(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("contracts", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=8, skipped=1)


def test_the_schemathesis_tests_end_with_a_line_per_api(pytester: pytest.Pytester) -> None:
    # Across pytest-xdist workers: the lines travel with the test reports.
    fuzz = ROOT / "contracts" / "test_fuzz.py"
    result = pytester.runpytest_subprocess(
        str(fuzz), "-k", "recall or ravan", "-n", "2", "-q", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*= Schemathesis, per API =*", "ravan    ok     5/5 operations *s", "recall   ok     6/6 operations *s"]
    )
