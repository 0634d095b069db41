"""The fuzz report: per-API text, the summary table and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from mockserver.fuzz.report import ApiReport, CheckTally, FailureDetail, junit_xml, summary_table


def report(**changes: Any) -> ApiReport:
    base = ApiReport(
        api="records",
        target="fake",
        profile="ci",
        seed=7,
        operations={"POST /records": Counter({"fuzzing": 3, "stateful": 2}), "GET /records/{id}": Counter()},
        statuses={"POST /records": Counter({201: 4, 400: 1})},
        checks={"not_a_server_error": CheckTally(passed=5), "use_after_free": CheckTally(passed=4, failed=2)},
        phases={"fuzzing": "success", "stateful": "failure"},
        links=2,
        stateful_scenarios=1,
        duration=1.25,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


FAILURE = FailureDetail(
    check="use_after_free",
    operation="GET /records/{id}",
    phase="stateful",
    title="Resource is still available after deletion",
    message="GET after DELETE answered 200",
    status=200,
    response='{"id": "a"}',
    reproduce="curl -X GET http://testserver/records/a",
)


def test_a_passing_report_prints_operations_examples_and_checks() -> None:
    text = report().format()

    assert text.splitlines()[0] == "== records: PASSED (target fake, profile ci, seed 7, 1.2s)"
    assert "1/2 operations, 5 examples, 2 links, 1 stateful scenarios" in text
    assert "phases: fuzzing success, stateful failure" in text
    assert "POST /records             5  fuzzing=3 stateful=2 / 201=4 400=1" in text
    assert "GET /records/{id}         0   / " in text
    assert "use_after_free             4       2                  0" in text


def test_a_failing_report_lists_each_failure_with_a_reproduction() -> None:
    failing = report(failures=[FAILURE], errors=["checks: boom"], left_out={"DELETE /records/{id}": "changes state"})
    text = failing.format()

    assert not failing.ok
    assert text.startswith("== records: FAILED")
    assert "[use_after_free] GET /records/{id} -> 200 (stateful): Resource is still available after deletion" in text
    assert "reproduce: curl -X GET http://testserver/records/a" in text
    assert "error: checks: boom" in text
    assert "DELETE /records/{id}: changes state" in text
    assert failing.failures_by_check() == Counter({"use_after_free": 1})


def test_summary_table_has_one_line_per_api() -> None:
    lines = summary_table([report(), report(api="other", failures=[FAILURE])]).splitlines()

    assert lines[0].startswith("records  ok     1/2 operations      5 examples")
    assert lines[1].endswith("failures: use_after_free 1")


def test_junit_has_a_suite_per_api_and_a_case_per_operation() -> None:
    xml = junit_xml([report(), report(api="other", failures=[FAILURE], errors=["boom"])])

    root = ET.fromstring(xml)
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == ["fuzz.records", "fuzz.other"]
    assert [case.get("name") for case in suites[0]] == ["POST /records", "GET /records/{id}"]
    assert suites[0].get("failures") == "0"
    other = {case.get("name"): case for case in suites[1]}
    assert other["GET /records/{id}"].find("failure") is not None
    assert "use_after_free" in (other["GET /records/{id}"].find("failure").text or "")  # type: ignore[union-attr]
    assert other["run"].find("error") is not None
    assert suites[1].get("failures") == "2"
