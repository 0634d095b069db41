"""What every vendor provides: the Vendor base class's own behaviour and the small data types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from mockserver.clock import Clock
from mockserver.errors import Problem, VendorError
from mockserver.interface import Call, Param, Vendor


def test_param_schema_plain_nullable_and_enum() -> None:
    assert Param("integer").schema() == {"type": "integer"}
    assert Param("string", nullable=True).schema() == {"type": ["string", "null"]}
    assert Param("string", enum=("a", "b")).schema() == {"type": "string", "enum": ["a", "b"]}
    assert Param("string", enum=("a",), nullable=True).schema() == {"type": ["string", "null"], "enum": ["a", None]}


class Bare(Vendor):
    """Only what a vendor must provide; everything else is the base class's."""

    name = "bare"
    spec_file = "unused.yaml"
    handlers: ClassVar[Mapping[str, Any]] = {}
    default_settings = {"mode": "a", "nested": {"list": [1]}}

    def new_store(self) -> dict[str, Any]:
        return {"rows": []}

    def dump(self) -> dict[str, Any]:
        return {"rows": list(self.store["rows"])}

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        return {}

    def render(self, problem: Problem, path: str) -> VendorError:
        return VendorError(problem.status, {"message": problem.message})


def _call() -> Call:
    return Call("bare", "op", "/bare/x", None, {}, {}, None, "http://h/bare", 0.0)


def test_the_default_hooks_add_nothing() -> None:
    vendor = Bare(Clock())
    assert vendor.rate_limit_keys(_call()) == {}
    assert vendor.response_headers() == {}
    assert dict(vendor.provider_states) == {}
    with pytest.raises(Problem) as raised:
        vendor.mint_token("any", {}, expired=False)
    assert (raised.value.status, raised.value.message) == (400, "bare mints no tokens")


def test_a_vendor_must_provide_its_store_auth_and_rendering() -> None:
    class Incomplete(Vendor):
        name = "incomplete"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete(Clock())  # type: ignore[abstract]


def test_settings_start_from_a_private_copy_of_the_defaults() -> None:
    first, second = Bare(Clock()), Bare(Clock())
    first.settings["nested"]["list"].append(2)
    assert second.settings == {"mode": "a", "nested": {"list": [1]}}
    assert Bare.default_settings == {"mode": "a", "nested": {"list": [1]}}


def test_reset_empties_the_store_and_restores_default_settings() -> None:
    vendor = Bare(Clock())
    vendor.store["rows"].append("r1")
    vendor.settings["mode"] = "b"
    vendor.reset()
    assert vendor.dump() == {"rows": []}
    assert vendor.settings == {"mode": "a", "nested": {"list": [1]}}


def test_snapshot_and_restore_are_deep_copies() -> None:
    vendor = Bare(Clock())
    vendor.store["rows"].append("kept")
    taken = vendor.snapshot()
    vendor.store["rows"].append("later")
    assert taken == {"rows": ["kept"]}, "a snapshot does not follow the store"
    vendor.restore(taken)
    assert vendor.dump() == {"rows": ["kept"]}
    vendor.store["rows"].append("again")
    vendor.restore(taken)
    assert vendor.dump() == {"rows": ["kept"]}, "restoring does not hand the snapshot itself to the store"


def test_the_vendor_reads_the_shared_clock() -> None:
    clock = Clock()
    vendor = Bare(clock)
    clock.advance(60)
    assert vendor.clock.offset == 60
