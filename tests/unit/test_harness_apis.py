"""The bundled specs as the harness and fuzz see them: what each operation does to state."""

from __future__ import annotations

import pytest
from support.operations import DECLARED

from mockserver.fuzz.spec import operations
from mockserver.harness.apis import changes_state, find_operation, known_apis, spec_for
from mockserver.specs import CHANGES_STATE, CONTROL_PLANE_API, operation_changes_state

VENDOR_APIS = [api for api in known_apis() if api != CONTROL_PLANE_API]


def test_every_vendor_spec_is_checked() -> None:
    assert {"vcita", "recall", "calcom", "ravan"} <= set(VENDOR_APIS)


@pytest.mark.parametrize("api", VENDOR_APIS)
def test_every_vendor_operation_declares_whether_it_changes_state(api: str) -> None:
    # Real-target safety rests on this: a vendor operation that does not say is a gap, not a guess.
    undeclared = [
        operation.label
        for operation in operations(spec_for(api))
        if not isinstance(operation.definition.get(CHANGES_STATE), bool)
    ]
    assert undeclared == [], f"{api}: add `{CHANGES_STATE}: true|false` to {undeclared}"


@pytest.mark.parametrize(("api", "method", "path", "expected"), DECLARED)
def test_what_a_vendor_operation_does_decides(api: str, method: str, path: str, expected: bool) -> None:
    operation = find_operation(api, method, path)
    assert operation is not None
    assert operation.changes_state is expected
    assert changes_state(api, method, path) is expected


def test_without_a_declaration_the_method_decides() -> None:
    assert operation_changes_state("get", {}) is False
    assert operation_changes_state("HEAD", {}) is False
    assert operation_changes_state("post", {}) is True
    assert operation_changes_state("post", {CHANGES_STATE: False}) is False
    assert operation_changes_state("get", {CHANGES_STATE: True}) is True
    # The control plane's spec declares nothing; it never runs on a real target.
    assert changes_state(CONTROL_PLANE_API, "GET", "/state") is False
    assert changes_state(CONTROL_PLANE_API, "POST", "/reset") is True


def test_a_request_the_spec_does_not_list_counts_as_changing_state() -> None:
    assert changes_state("recall", "GET", "/api/v1/calendar/user/disconnect/") is True
    assert changes_state("vcita", "GET", "/nowhere") is True
