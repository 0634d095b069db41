"""The runner's self-tests: every step file in tests/harness_cases must fail as its header says.

Each case file starts with ``# expect_failure: validate|run`` and ``# expect_message: <text>``; a
``validate`` case must be refused by the loader with that text (path and line included), a
``run`` case must load and then fail with that headline. The fakes are called in process (ASGI).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.planted import PlantedBugVcita

from mockserver.app import build_app
from mockserver.harness import (
    InProcessTarget,
    StepFailure,
    StepFile,
    StepFileError,
    load_step_file,
    run_step_file,
)
from mockserver.harness.templating import Scope

CASES = Path(__file__).resolve().parents[1] / "harness_cases"


def _header(path: Path) -> dict[str, str]:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"#\s*(expect_failure|expect_message):\s*(.+)$", line)
        if found:
            header[found.group(1)] = found.group(2).strip()
    return header


@pytest.fixture(scope="module")
def target() -> Iterator[InProcessTarget]:
    yield InProcessTarget("fake")


@pytest.fixture(scope="module")
def planted_target() -> Iterator[InProcessTarget]:
    # Response validation off, so the planted bug reaches the client instead of becoming a 500.
    yield InProcessTarget("planted", app=build_app(vendors=[PlantedBugVcita], validate_responses=False))


CASE_FILES = sorted(CASES.glob("*.yaml"))


def test_every_case_declares_its_failure() -> None:
    assert len(CASE_FILES) >= 6
    for path in CASE_FILES:
        header = _header(path)
        assert header.get("expect_failure") in ("validate", "run"), path
        assert header.get("expect_message"), path


@pytest.mark.parametrize("path", [p for p in CASE_FILES if _header(p)["expect_failure"] == "validate"], ids=str)
def test_validate_case_is_refused_with_path_and_line(path: Path) -> None:
    with pytest.raises(StepFileError) as caught:
        load_step_file(path)
    assert _header(path)["expect_message"] in str(caught.value)


@pytest.mark.parametrize("path", [p for p in CASE_FILES if _header(p)["expect_failure"] == "run"], ids=str)
def test_run_case_fails_with_its_headline(path: Path, target: InProcessTarget, planted_target: InProcessTarget) -> None:
    step_file = load_step_file(path)
    chosen = planted_target if path.stem == "spec_violation" else target
    with pytest.raises(StepFailure) as caught:
        run_step_file(step_file, chosen)
    rendered = caught.value.render()
    assert rendered.splitlines()[0].startswith(_header(path)["expect_message"])


def test_spec_violation_passes_on_the_correct_fake(target: InProcessTarget) -> None:
    # The same file against the fake without the planted bug: the failure above is the bug's.
    report = run_step_file(load_step_file(CASES / "spec_violation.yaml"), target)
    assert report.ok


def test_broken_yaml_points_at_the_bad_line() -> None:
    with pytest.raises(StepFileError) as caught:
        load_step_file(CASES / "broken_yaml.yaml")
    # The parser notices at line 12; the message names line 11, where the mapping was left open.
    assert caught.value.problems == [
        (12, "invalid YAML: while parsing a flow mapping (started at line 11): expected ',' or '}', but got ':'")
    ]


def test_schema_violation_lists_every_problem_with_its_line() -> None:
    with pytest.raises(StepFileError) as caught:
        load_step_file(CASES / "schema_violation.yaml")
    assert [message for _, message in caught.value.problems] == [
        "steps[0].expect.status: 'two hundred' is not of type 'integer'",
        "steps[1]: 'expect' is a required property",
        "steps[1].expct: Additional properties are not allowed ('expct' was unexpected)",
    ]
    assert [line for line, _ in caught.value.problems] == [10, 11, 14]
    assert str(caught.value).splitlines()[0].endswith("schema_violation.yaml:10: " + caught.value.problems[0][1])


def test_abort_skips_the_rest_but_finally_runs(target: InProcessTarget) -> None:
    with pytest.raises(StepFailure) as caught:
        run_step_file(load_step_file(CASES / "abort_then_finally.yaml"), target)
    outcomes = {record.step.id: record.outcome for record in caught.value.report.records}
    assert outcomes == {"connect_wrong_account": "failed", "skipped_by_abort": "not run", "cleanup": "passed"}
    rendered = caught.value.render()
    assert "not run: step 'connect_wrong_account' failed and has onFail: abort" in rendered
    assert "ok      finally step 'cleanup'" in rendered


def test_failure_report_shows_request_status_body_and_expectation(target: InProcessTarget) -> None:
    with pytest.raises(StepFailure) as caught:
        run_step_file(load_step_file(CASES / "body_mismatch.yaml"), target)
    rendered = caught.value.render()
    assert re.search(
        r"FAILED  step 'disconnect' \(body_mismatch.yaml:9\): PUT http://testserver/vcita/business/scheduling/v1/"
        r"external_calendar_items/disconnect -> 200",
        rendered,
    )
    assert 'body: {"success": true, "data": {' in rendered
    assert "- body at $.data.enabled: expected true, got false" in rendered


class RecordingTarget(InProcessTarget):
    """Remembers the tokens each file was given."""

    def prepare(self, step_file: StepFile, scope: Scope) -> dict[str, str]:
        tokens = super().prepare(step_file, scope)
        self.seen_tokens = dict(tokens)
        return tokens


def test_tokens_never_appear_in_the_report() -> None:
    target = RecordingTarget("fake")
    with pytest.raises(StepFailure) as caught:
        run_step_file(load_step_file(CASES / "wrong_status.yaml"), target)
    rendered = caught.value.render()
    assert set(target.seen_tokens) == {"staff", "app", "admin"}
    for token in target.seen_tokens.values():
        assert token not in rendered
    assert "Bearer" not in rendered
