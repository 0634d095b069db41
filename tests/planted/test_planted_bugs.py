"""The fuzz runner against the planted-bug catalogue: a green run must mean something."""

from __future__ import annotations

import pytest
from planted_catalog import CATALOG, SPEC, TOKEN, Planted, RecordsApp

from mockserver.fuzz.auth import Placement
from mockserver.fuzz.endpoints import Endpoint, Prepared
from mockserver.fuzz.profiles import Profile
from mockserver.fuzz.report import ApiReport
from mockserver.fuzz.runner import run_endpoint

PROFILE = Profile(name="planted", max_examples=10, stateful_steps=5, seed=1, database="none")
CREDENTIALS = {
    operation_id: Placement("Authorization", f"Bearer {TOKEN}")
    for operation_id in ("createRecord", "getRecord", "deleteRecord")
}
DEFAULT_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
    "unsupported_method",
    "missing_required_header",
}


def fuzz(app: RecordsApp) -> ApiReport:
    endpoint = Endpoint("records", "http://testserver", Prepared(), app=app)
    return run_endpoint(SPEC, endpoint, PROFILE, placements=CREDENTIALS)


def test_the_correct_app_passes_every_default_check() -> None:
    report = fuzz(RecordsApp())

    assert report.ok, report.format()
    assert report.exercised == 3
    assert report.links == 3
    assert report.stateful_scenarios > 0
    assert {name for name, tally in report.checks.items() if tally.passed} >= DEFAULT_CHECKS
    assert report.statuses["POST /records"][201] > 0
    assert report.statuses["DELETE /records/{id}"][204] > 0


@pytest.mark.parametrize("planted", CATALOG, ids=lambda planted: planted.app.__name__)
def test_each_planted_bug_is_reported_by_its_check(planted: Planted) -> None:
    report = fuzz(planted.app())

    assert not report.ok
    found = {(failure.check, failure.operation) for failure in report.failures}
    assert (planted.check, planted.operation) in found, report.format()
    assert report.checks[planted.check].failed > 0
    text = report.format()
    assert "FAILED" in text
    assert f"[{planted.check}] {planted.operation}" in text
