"""The one target model (mockserver.harness.targets), as the step runner and the fuzz runner use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from support.stepfiles import ROOT, TARGETS, disconnect_step, step_file, write

from mockserver.fuzz.endpoints import open_endpoint
from mockserver.fuzz.setups import SETUPS
from mockserver.harness import (
    InProcessTarget,
    RealTarget,
    SetupError,
    SkipFile,
    TargetConfigError,
    UrlTarget,
    load_step_file,
    load_targets,
    make_target,
    run_step_file,
)
from mockserver.harness.templating import Scope

# What contracts/targets.yaml's production target reads, pointed at a port nothing answers on.
PRODUCTION_ENV = {
    "CALCOM_BASE_URL": "http://127.0.0.1:9/calcom",
    "CALCOM_API_KEY": "cal_test_123456",
    "CALCOM_USER_ID": "7",
    "CALCOM_CREDENTIAL_ID": "42",
    "RAVAN_BASE_URL": "http://127.0.0.1:9/ravan",
    "RAVAN_JWT": "jwt-test-123456",
    "RAVAN_ORG_ID": "org-1",
    "RAVAN_CALCOM_ACCOUNT_ID": "account-1",
    "RAVAN_AGENT_ID": "agent-1",
    "RAVAN_AGENT_NAME": "Agent 1",
}


def production(environ: dict[str, str]) -> RealTarget:
    """contracts/targets.yaml's production target, reading ``environ``."""
    config = load_targets(TARGETS)
    entry = config.targets["production"]
    return RealTarget("production", entry["apis"], config.auth, entry.get("retry"), environ=environ)


READ = {"id": "read", "method": "GET", "path": "/x", "expect": {"status": 200}}


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent: {request.method} {request.url}")


def test_targets_file_loads_and_unknown_targets_are_refused(tmp_path: Path) -> None:
    config = load_targets(TARGETS)
    assert {"fake", "local", "production"} <= set(config.targets)
    assert config.auth["recall"]["workspaceApiKey"] == "Token {token}"
    assert config.defaults["vcita"].given[0].name == "sync"
    with pytest.raises(TargetConfigError, match="unknown target 'nope'"):
        make_target("nope", config)
    broken = write(tmp_path, "targets.yaml", "targets:\n  x:\n    kind: cloud\n")
    with pytest.raises(TargetConfigError, match=r"targets.yaml:3: targets.x.kind: 'cloud' is not one of"):
        load_targets(broken)


@pytest.mark.parametrize(
    ("api", "state", "given", "values"),
    [
        ("calcom", "connected_calendar", {"user_id": 7, "credential_ids": [42]}, {"credential_id": 42}),
        (
            "ravan",
            "calcom_account",
            {"org_id": "org-1", "calcom_account_ids": ["account-1"]},
            # Only one account id is configured; the fuzz set-up's second and third ones are not offered.
            {"org_id": "org-1", "agent_id": "agent-1"},
        ),
    ],
)
def test_typed_and_list_values_reach_steps_and_fuzz_alike(
    api: str, state: str, given: dict[str, object], values: dict[str, object], tmp_path: Path
) -> None:
    target = production(PRODUCTION_ENV)
    scope = Scope()

    tokens = target.prepare(load_step_file(step_file(tmp_path, [READ], api=api, given=[{"state": state}])), scope)
    with open_endpoint(target, SETUPS[api]) as endpoint:
        prepared = endpoint.prepared

    assert scope.given[state] == given
    assert prepared.values == values
    assert prepared.tokens == tokens
    assert endpoint.base_url == f"http://127.0.0.1:9/{api}"


def test_a_value_that_is_not_of_its_type_skips_the_file_and_is_not_offered_to_the_fuzzer(tmp_path: Path) -> None:
    target = production({**PRODUCTION_ENV, "CALCOM_CREDENTIAL_ID": "forty-two"})
    path = step_file(tmp_path, [READ], api="calcom", given=[{"state": "connected_calendar"}])

    with pytest.raises(SkipFile, match="environment variable CALCOM_CREDENTIAL_ID is not a integer"):
        target.prepare(load_step_file(path), Scope())
    with open_endpoint(target, SETUPS["calcom"]) as endpoint:
        assert endpoint.prepared.values == {}


def test_a_real_target_reads_tokens_from_the_environment() -> None:
    target = production({"RECALL_API_KEY": "key-123456"})

    assert target.tokens("recall") == (
        {"workspace": "key-123456"},
        {"calendar": "RECALL_CALENDAR_TOKEN"},
    )
    assert target.served_apis() == ["vcita", "recall", "calcom", "ravan"]
    assert target.is_real


def test_a_real_target_skips_what_it_cannot_satisfy(tmp_path: Path) -> None:
    apis = {"vcita": {"url": "http://127.0.0.1:9/vcita", "tokens": {"staff": "STAFF_TOKEN_X"}}}
    target = RealTarget("real-test", apis, environ={})
    client = httpx.Client(transport=httpx.MockTransport(never))
    given = [{"state": "calendar_sync"}]
    cases = [
        (step_file(tmp_path, [disconnect_step()], given=given), "cannot satisfy given 'calendar_sync'"),
        (step_file(tmp_path, [disconnect_step()], settings={"rate_limits": True}), "has no control plane"),
        (step_file(tmp_path, [disconnect_step(api="admin")]), "needs a control plane"),
        (step_file(tmp_path, [disconnect_step()]), "environment variable STAFF_TOKEN_X, which is not set"),
    ]
    for path, reason in cases:
        with pytest.raises(SkipFile, match=reason):
            run_step_file(load_step_file(path), target, client=client)


def test_production_target_without_credentials_skips_every_suite_file() -> None:
    from mockserver.harness.plugin import is_contract_path

    target = production({key: value for key, value in PRODUCTION_ENV.items() if key.endswith("_BASE_URL")})
    client = httpx.Client(transport=httpx.MockTransport(never))
    files = [path for path in sorted((ROOT / "contracts").rglob("*")) if path.is_file() and is_contract_path(path)]
    assert len(files) >= 24
    for path in files:
        with pytest.raises(SkipFile):
            run_step_file(load_step_file(path), target, client=client)


def test_control_plane_targets_answer_what_they_serve() -> None:
    assert InProcessTarget("fake").served_apis() == ["vcita", "recall", "calcom", "ravan"]
    with pytest.raises(SetupError, match=r"no mockserver answers at http://127\.0\.0\.1:9"):
        UrlTarget("dead", "http://127.0.0.1:9").served_apis()


def test_shared_server_skips_only_files_that_change_shared_state(tmp_path: Path) -> None:
    from mockserver.harness.targets import _changes_shared_state

    def admin_step(method: str, path: str) -> dict[str, object]:
        return {
            "id": f"{method}{path}".replace("/", "_"),
            "api": "admin",
            "method": method,
            "path": path,
            "expect": {"status": 200},
        }

    def changes(*steps: dict[str, object], **extra: Any) -> bool:
        return _changes_shared_state(load_step_file(step_file(tmp_path, list(steps), **extra)))

    assert not changes(disconnect_step())
    assert not changes(admin_step("GET", "/state"), admin_step("POST", "/tokens"), admin_step("POST", "/states"))
    assert changes(disconnect_step(), settings={"rate_limits": True})
    assert changes(admin_step("POST", "/faults"))
    assert changes(admin_step("POST", "/clock"))
    assert changes(admin_step("DELETE", "/requests"))


@pytest.mark.parametrize(
    ("url", "server", "session"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", None),
        ("http://127.0.0.1:8080/s/3f2a9c0d1b4e5f60", "http://127.0.0.1:8080", "3f2a9c0d1b4e5f60"),
        ("http://fake.internal/s/abc/", "http://fake.internal", "abc"),
        ("http://127.0.0.1:8080/s/abc/vcita", "http://127.0.0.1:8080/s/abc/vcita", None),
    ],
)
def test_a_url_target_knows_a_session_url(url: str, server: str, session: str | None) -> None:
    target = UrlTarget("t", url)
    assert (target.server_url, target.session_id) == (server, session)
    assert not target.owns_session
    # A session the URL names is used as it is: nothing is created, nothing deleted on close.
    if session is not None:
        assert target.open_session("unused") == session
    target.close()
