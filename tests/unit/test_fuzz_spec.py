"""Reading specs for the fuzz runner: check switches, credentials per operation, the run config."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from mockserver.fuzz.auth import Placement, assign, placement
from mockserver.fuzz.endpoints import Endpoint, Prepared
from mockserver.fuzz.profiles import CI, DEEP, PROFILES
from mockserver.fuzz.runner import build_config, describe_switch
from mockserver.fuzz.setups import SETUPS, Credential, Known
from mockserver.fuzz.spec import InvalidSwitch, check_switches, header_parameters, links, operations
from mockserver.specs import load_spec

KNOWN_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
}


def spec_with(definition: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "paths": {"/things": {"post": definition}}, **extra}


def test_a_switch_keeps_schemathesis_config_and_its_reason() -> None:
    spec = spec_with(
        {
            "operationId": "makeThing",
            "x-fuzz-checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "422"], "reason": "  the vendor says 422 "}
            },
        }
    )

    [switch] = check_switches(spec)

    assert switch.operation_id == "makeThing"
    assert switch.check == "positive_data_acceptance"
    assert switch.config == {"expected-statuses": ["2xx", "422"]}
    assert switch.reason == "the vendor says 422"
    assert describe_switch(switch.config) == "accepts 2xx, 422"
    assert describe_switch({"enabled": False}) == "off"


@pytest.mark.parametrize(
    "entry",
    [{"positive_data_acceptance": {"enabled": False}}, {"positive_data_acceptance": {"enabled": False, "reason": " "}}],
)
def test_a_switch_without_a_reason_is_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(InvalidSwitch, match=r"makeThing: x-fuzz-checks.positive_data_acceptance needs a reason"):
        check_switches(spec_with({"operationId": "makeThing", "x-fuzz-checks": entry}))


def test_switches_must_be_a_mapping() -> None:
    with pytest.raises(InvalidSwitch, match="must be a mapping"):
        check_switches(spec_with({"operationId": "makeThing", "x-fuzz-checks": ["ignored_auth"]}))


@pytest.mark.parametrize("spec_file", sorted({setup.spec_file for setup in SETUPS.values()}))
def test_every_bundled_switch_names_a_default_check_and_gives_a_reason(spec_file: str) -> None:
    for switch in check_switches(load_spec(spec_file)):
        assert switch.check in KNOWN_CHECKS
        assert set(switch.config) <= {"enabled", "expected-statuses"}
        assert len(switch.reason) > 20


@pytest.mark.parametrize("spec_file", sorted({setup.spec_file for setup in SETUPS.values()}))
def test_every_link_targets_an_operation_of_its_spec(spec_file: str) -> None:
    spec = load_spec(spec_file)
    ids = {operation.operation_id for operation in operations(spec)}
    for operation in operations(spec):
        for response in (operation.definition.get("responses") or {}).values():
            for link in (response.get("links") or {}).values():
                assert link["operationId"] in ids


def test_vcita_sends_the_admin_token_to_the_platform_endpoint_and_staff_tokens_elsewhere() -> None:
    spec = load_spec("vcita.yaml")

    result = assign(spec, SETUPS["vcita"].credentials, {"admin": "A", "staff": "S"})

    assert result.placements["createCalendarSync"] == Placement("Authorization", "Bearer A", linkable=True)
    for operation_id in ("connectExternalCalendar", "disconnectExternalCalendar", "disableExternalCalendar"):
        assert result.placements[operation_id].value == "Bearer S"
    assert result.missing == {}


def test_recall_prefixes_the_workspace_key_and_lets_links_supply_calendar_tokens() -> None:
    spec = load_spec("recall.yaml")

    result = assign(spec, SETUPS["recall"].credentials, {"workspace": "K", "calendar": "T"})

    assert result.placements["calendar_authenticate_create"] == Placement("Authorization", "Token K", linkable=True)
    assert result.placements["calendar_user_retrieve"] == Placement("x-recallcalendarauthtoken", "T", linkable=True)


def test_calcom_authorization_is_also_a_declared_parameter_so_it_is_always_overwritten() -> None:
    spec = load_spec("calcom.yaml")
    [disconnect] = [op for op in operations(spec) if op.operation_id == "CalendarsController_deleteCalendarCredentials"]

    result = assign(spec, SETUPS["calcom"].credentials, {"api_key": "cal_x"})

    assert "authorization" in header_parameters(spec, disconnect)
    assert result.placements[disconnect.operation_id] == Placement("Authorization", "Bearer cal_x", linkable=False)
    # The save and fake consent routes take no credentials.
    assert "CalendarsController_save" not in result.placements
    assert "FakeOAuth_consent" not in result.placements


def test_operations_whose_token_the_target_lacks_are_reported() -> None:
    spec = load_spec("vcita.yaml")

    result = assign(spec, SETUPS["vcita"].credentials, {"staff": "S"})

    assert result.missing == {"createCalendarSync": "admin"}
    assert "createCalendarSync" not in result.placements


def test_an_unknown_scheme_is_a_set_up_error() -> None:
    with pytest.raises(ValueError, match="unknown security scheme 'nope'"):
        assign(load_spec("vcita.yaml"), [Credential("x", "nope", "a.b")], {"x": "t"})


@pytest.mark.parametrize(
    ("scheme", "wire"),
    [
        ({"type": "http", "scheme": "bearer"}, Placement("Authorization", "Bearer tok")),
        ({"type": "http", "scheme": "Basic"}, Placement("Authorization", "Basic dTpw")),
        ({"type": "apiKey", "in": "header", "name": "X-Key"}, Placement("X-Key", "tok")),
    ],
)
def test_placement_per_scheme(scheme: dict[str, Any], wire: Placement) -> None:
    token = "u:p" if scheme.get("scheme") == "Basic" else "tok"
    assert placement(scheme, token) == wire


def test_a_query_api_key_is_not_supported() -> None:
    with pytest.raises(ValueError, match="unsupported security scheme"):
        placement({"type": "apiKey", "in": "query", "name": "key"}, "tok")


def test_build_config_for_a_prepared_fake() -> None:
    spec = load_spec("vcita.yaml")
    endpoint = Endpoint("vcita", "http://testserver/vcita", Prepared(values={"staff_uid": "s1"}))

    config = build_config(spec, endpoint, CI, SETUPS["vcita"].known, {"createCalendarSync": "no admin token"})

    assert config["base-url"] == "http://testserver/vcita"
    assert config["seed"] == CI.seed
    assert config["generation"]["max-examples"] == CI.max_examples
    assert config["generation"]["database"] == "none"
    assert config["generation"]["with-security-parameters"] is False
    assert config["phases"] == {"stateful": {"max-steps": CI.stateful_steps}}
    assert config["cache"] == {"enabled": False}
    assert config["operations"][0] == {"include-operation-id": "createCalendarSync", "enabled": False}
    switched = {entry["include-operation-id"] for entry in config["operations"][1:]}
    assert switched == {
        "connectExternalCalendar",
        "disconnectExternalCalendar",
        "disableExternalCalendar",
        "createCalendarSync",
    }
    assert config["dictionaries"] == {"staff_uid": {"values": ["s1"]}}
    assert config["parameters"] == {"body.staff_uid": {"dictionary": "staff_uid", "probability": 0.5}}


def test_build_config_leaves_out_known_values_the_target_does_not_have() -> None:
    endpoint = Endpoint("vcita", "https://api.vcita.biz", Prepared())
    known = (Known("staff_uid", "sync.staff_uid", ("body.staff_uid",)),)

    config = build_config(spec_with({"operationId": "x"}), endpoint, DEEP, known)

    assert "seed" not in config
    assert "dictionaries" not in config
    assert "parameters" not in config
    assert "operations" not in config


def test_build_config_sends_only_listed_methods_when_asked() -> None:
    endpoint = Endpoint("vcita", "https://api.vcita.biz", Prepared())

    config = build_config(spec_with({"operationId": "x"}), endpoint, CI, listed_methods_only=True)

    # Schemathesis' coverage phase probes every path with the methods its spec does not list;
    # an empty list turns that off (phases.coverage.unexpected-methods).
    assert config["phases"]["coverage"] == {"unexpected-methods": []}
    assert "coverage" not in build_config(spec_with({"operationId": "x"}), endpoint, CI)["phases"]


def test_links_are_read_by_operation_id() -> None:
    assert ("calendar_authenticate_create", "calendar_user_retrieve") in links(load_spec("recall.yaml"))
    assert ("AssignAgentCalcomAccount", "GetAgentCalcomInfo") in links(load_spec("ravan.yaml"))


def test_the_stateful_phase_is_off_when_no_link_joins_two_operations_that_run() -> None:
    spec = load_spec("recall.yaml")
    endpoint = Endpoint("recall", "https://us-east-1.recall.ai", Prepared())
    writes = {"calendar_authenticate_create", "calendar_user_update", "calendar_user_destroy"}

    # Authenticate links to every other operation; left out, no link is left to walk.
    without_links = build_config(spec, endpoint, CI, left_out=dict.fromkeys(writes, "changes state"))
    with_links = build_config(spec, endpoint, CI, left_out={"calendar_user_destroy": "changes state"})

    assert without_links["phases"]["stateful"]["enabled"] is False
    assert "enabled" not in with_links["phases"]["stateful"]
    assert "enabled" not in build_config(spec, endpoint, CI)["phases"]["stateful"]


def test_profiles() -> None:
    assert set(PROFILES) == {"ci", "deep"}
    assert CI.seed is not None
    assert DEEP.max_examples > CI.max_examples
    assert DEEP.stateful_steps > CI.stateful_steps
    changed = CI.with_overrides(max_examples=3, seed=9)
    assert (changed.max_examples, changed.seed, changed.name) == (3, 9, "ci")
    assert CI.with_overrides() == CI


def test_the_fuzz_command_registers_without_loading_schemathesis() -> None:
    code = (
        "import argparse, sys\n"
        "from mockserver.fuzz.cli import register\n"
        "register(argparse.ArgumentParser().add_subparsers())\n"
        "assert 'schemathesis' not in sys.modules, 'schemathesis was imported'\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr


def test_the_package_exports_on_first_use() -> None:
    import mockserver.fuzz as fuzz

    assert fuzz.run_api.__module__ == "mockserver.fuzz.runner"
    assert set(fuzz.__all__) >= {"run_api", "run_endpoint", "PROFILES", "SETUPS", "resolve_target"}
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = fuzz.nope
