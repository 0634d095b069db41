"""Fuzz targets and set-ups: what each API is prepared with, on a fake and on a real target."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mockserver.app import build_app
from mockserver.fuzz.profiles import PROFILES
from mockserver.fuzz.report import ApiReport, CheckTally, FailureDetail, junit_xml, summary_table
from mockserver.fuzz.runner import fuzzable_apis, run_api
from mockserver.fuzz.setups import SETUPS, FuzzSetup, Given, Known
from mockserver.fuzz.targets import (
    FakeTarget,
    RealTarget,
    ServerTarget,
    TargetError,
    from_contract_target,
    lookup,
    prepare_with_admin,
    resolve_target,
)
from mockserver.harness.targets import RealTarget as HarnessRealTarget
from mockserver.vendors import ALL_VENDORS


def test_every_served_fake_has_a_fuzz_set_up() -> None:
    assert {vendor.name for vendor in ALL_VENDORS} <= set(SETUPS)
    assert fuzzable_apis([vendor.name for vendor in ALL_VENDORS])[-1] == "admin"


@pytest.mark.parametrize("api", [vendor.name for vendor in ALL_VENDORS])
def test_each_set_up_prepares_its_fake(api: str) -> None:
    setup = SETUPS[api]
    app = build_app(validate_responses=True)

    prepared = prepare_with_admin(setup, app.admin)

    assert set(prepared.tokens) == {credential.role for credential in setup.credentials}
    assert all(isinstance(token, str) and token for token in prepared.tokens.values())
    assert set(prepared.values) == {known.name for known in setup.known}
    assert app.admin.settings()["rate_limits"] is False


def test_a_later_provider_state_can_use_an_earlier_answer() -> None:
    setup = FuzzSetup(
        "vcita",
        "vcita.yaml",
        "/vcita",
        given=(Given("staff", "staff"), Given("sync", "calendar_sync", {"staff_uid": "{{staff.staff_uid}}"})),
        known=(Known("staff_uid", "staff.staff_uid", ("body.staff_uid",)),),
    )
    app = build_app()

    prepared = prepare_with_admin(setup, app.admin)

    [sync] = app.admin.state("vcita")["vcita"]["calendar_syncs"]
    assert sync["staff_uid"] == prepared.values["staff_uid"]


def test_a_reference_to_a_missing_answer_is_a_target_error() -> None:
    setup = FuzzSetup("vcita", "vcita.yaml", "/vcita", given=(Given("s", "staff", {"business_uid": "{{nope.id}}"}),))

    with pytest.raises(TargetError, match=r"an earlier provider state answered no 'nope\.id'"):
        prepare_with_admin(setup, build_app().admin)


def test_a_refused_provider_state_is_a_target_error() -> None:
    setup = FuzzSetup("vcita", "vcita.yaml", "/vcita", given=(Given("s", "staff", {"bogus": 1}),))

    with pytest.raises(TargetError, match="vcita: preparing the fake failed"):
        prepare_with_admin(setup, build_app().admin)


def test_lookup_descends_into_mappings_and_lists() -> None:
    data = {"a": {"ids": [10, 11]}}

    assert lookup(data, "a.ids.1") == 11
    with pytest.raises(KeyError):
        lookup(data, "a.ids.2")
    with pytest.raises(KeyError):
        lookup(data, "a.missing")


def test_the_control_plane_is_prepared_with_nothing() -> None:
    prepared = prepare_with_admin(SETUPS["admin"], build_app().admin)
    assert (prepared.tokens, prepared.values) == ({}, {})


def production(environ: dict[str, str]) -> RealTarget:
    apis = {
        "vcita": {
            "url": "https://api.vcita.biz",
            "tokens": {"staff": "VCITA_STAFF_TOKEN", "admin": "VCITA_ADMIN_TOKEN"},
            "given": {"calendar_sync": {"staff_uid": {"env": "VCITA_STAFF_UID"}, "provider": "google_v3"}},
        }
    }
    return RealTarget(HarnessRealTarget("production", apis, environ=environ))


def test_a_real_target_reads_tokens_and_known_ids_from_the_environment() -> None:
    target = production({"VCITA_STAFF_TOKEN": "st", "VCITA_STAFF_UID": "u1"})

    with target.endpoint(SETUPS["vcita"]) as endpoint:
        assert endpoint.base_url == "https://api.vcita.biz"
        assert endpoint.prepared.tokens == {"staff": "st"}
        assert endpoint.prepared.values == {"staff_uid": "u1"}
        assert endpoint.app is None


def test_a_real_target_skips_the_control_plane_and_apis_it_has_no_url_for() -> None:
    target = production({})

    assert target.is_real
    assert target.skip_reason(SETUPS["admin"]) == "admin exists only on the fakes"
    assert target.skip_reason(SETUPS["recall"]) == "target production has no base URL for recall"
    assert target.skip_reason(SETUPS["vcita"]) is None
    assert target.served_apis() == ["vcita"]


def test_resolve_target(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "targets:\n"
        "  prod:\n    kind: real\n    apis:\n      vcita: {url: 'https://api.vcita.biz'}\n"
        "  mine:\n    kind: url\n    url: http://127.0.0.1:9\n"
        "  local-fake:\n    kind: fake\n",
        encoding="utf-8",
    )

    assert isinstance(resolve_target("fake"), FakeTarget)
    assert isinstance(resolve_target("local-fake", targets), FakeTarget)
    server = resolve_target("http://127.0.0.1:9/", targets)
    assert isinstance(server, ServerTarget)
    assert server.url == "http://127.0.0.1:9"
    named = resolve_target("mine", targets)
    assert isinstance(named, ServerTarget)
    assert (named.name, named.url) == ("mine", "http://127.0.0.1:9")
    real = resolve_target("prod", targets)
    assert isinstance(real, RealTarget)
    assert real.name == "prod"
    with pytest.raises(TargetError, match="unknown target 'nope'; known: fake, local, local-fake, mine, prod"):
        resolve_target("nope", targets)


def test_resolve_target_reports_a_broken_targets_file(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("targets:\n  prod: {kind: moon}\n", encoding="utf-8")

    with pytest.raises(TargetError, match=r"targets\.yaml"):
        resolve_target("prod", targets)


def test_a_harness_fake_target_is_fuzzed_in_process() -> None:
    class Fake:
        kind = "fake"
        name = "fake"

    assert isinstance(from_contract_target(Fake()), FakeTarget)  # type: ignore[arg-type]


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


def test_a_real_target_leaves_out_what_changes_state_or_lacks_a_token() -> None:
    result = run_api("vcita", production({"VCITA_STAFF_TOKEN": "st"}), PROFILES["ci"])

    assert result.skipped == "every operation is left out on this target"
    assert result.examples == 0
    assert result.left_out == {
        "PUT /business/scheduling/v1/external_calendar_items/connect": "changes state; needs --allow-destructive",
        "PUT /business/scheduling/v1/external_calendar_items/disconnect": "changes state; needs --allow-destructive",
        "PUT /business/scheduling/v1/external_calendar_items/disable": "changes state; needs --allow-destructive",
        "POST /platform/v1/scheduling/calendar_syncs": "no admin token on this target",
    }
    assert result.format().startswith("== vcita: SKIPPED: every operation is left out on this target")
    assert summary_table([result]).startswith("vcita    skip")
