"""One Schemathesis run per API against the contract target (``--target``, default: the fakes).

    pytest contracts/ [--target NAME|URL] [--allow-destructive]
    MOCKSERVER_FUZZ_PROFILE=deep pytest contracts/test_fuzz.py     # the deeper profile

Each run covers every operation with positive and negative data and walks the spec's OpenAPI
links in the stateful phase, under every default Schemathesis check. The per-API report
(operations and examples exercised, failures per check) is attached to the test: pytest shows
it for a failure, and for a pass with ``-rP``; one summary line per API (verdict, operations,
examples, time, failures per check) is printed at the end of every run.
"""

from __future__ import annotations

import os

import pytest

from mockserver.fuzz import PROFILES, SETUPS, TargetError, fuzzable_apis, run_api, summary_table
from mockserver.fuzz.endpoints import skip_reason
from mockserver.harness import RunOptions, Target
from mockserver.harness.plugin import FUZZ_SUMMARY
from mockserver.vendors import ALL_VENDORS

APIS = fuzzable_apis([vendor.name for vendor in ALL_VENDORS])
PROFILE_VARIABLE = "MOCKSERVER_FUZZ_PROFILE"


@pytest.fixture(scope="module")
def fuzz_target(contract_target: Target) -> Target:
    """The contract target, unless several workers share it."""
    if contract_target.shared:
        pytest.skip(
            f"fuzzing resets the API it runs on; not run while several workers share target {contract_target.name!r}"
        )
    return contract_target


@pytest.mark.parametrize("api", APIS)
def test_schemathesis(
    api: str, fuzz_target: Target, contract_run_options: RunOptions, request: pytest.FixtureRequest
) -> None:
    setup = SETUPS.get(api)
    assert setup is not None, f"{api} is served but has no fuzz set-up in mockserver/fuzz/setups.py"
    reason = skip_reason(fuzz_target, setup)
    if reason is not None:
        pytest.skip(reason)
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    if name not in PROFILES:
        raise pytest.UsageError(f"{PROFILE_VARIABLE}={name!r}; known profiles: {', '.join(PROFILES)}")
    try:
        report = run_api(api, fuzz_target, PROFILES[name], allow_destructive=contract_run_options.allow_destructive)
    except TargetError as exc:
        if fuzz_target.is_real:
            pytest.skip(str(exc))
        raise
    request.node.add_report_section("call", "schemathesis", report.format())
    request.node.user_properties.append((FUZZ_SUMMARY, summary_table([report])))
    if report.skipped is not None:
        pytest.skip(f"{api}: {report.skipped}")
    assert report.ok, report.format()
