"""The runtime: settings (checked whole before any applies), rate limits, reset, snapshot/restore."""

from __future__ import annotations

from typing import Any

import pytest
from support.asgi import tiny_vendor

from mockserver.errors import Problem
from mockserver.interface import Call
from mockserver.runtime import Runtime
from mockserver.specs import UnknownApi
from mockserver.vendors.vcita import VcitaVendor


@pytest.fixture
def runtime() -> Runtime:
    return Runtime([tiny_vendor(), VcitaVendor], journal_cap=50)


def _call(api: str, token: str = "t1") -> Call:
    return Call(api, "op", f"/{api}/x", None, {}, {}, {"token": token}, f"http://h/{api}", 0.0)


def _observed(runtime: Runtime) -> dict[str, Any]:
    """Everything the runtime shows through its public interface."""
    return {
        "dumps": {name: vendor.dump() for name, vendor in runtime.vendors.items()},
        "settings": runtime.settings(),
        "clock": runtime.clock.offset,
        "journal": runtime.journal.entries(),
        "faults": [fault.to_dict() for fault in runtime.faults.list()],
        "counters": runtime.limiter.snapshot(),
    }


# -- lookup -------------------------------------------------------------------------------------------
def test_vendors_are_found_by_name_and_by_path(runtime: Runtime) -> None:
    assert list(runtime.vendors) == ["tiny", "vcita"]
    assert runtime.vendor("vcita").name == "vcita"
    assert runtime.vendor_for_path("/tiny/v1/notes/a") is runtime.vendor("tiny")
    assert runtime.vendor_for_path("/tinyx/v1") is None
    assert runtime.vendor_for_path("/__admin/health") is None
    assert runtime.vendor_for_path("") is None
    with pytest.raises(UnknownApi, match="unknown api 'nope'; served: tiny, vcita"):
        runtime.vendor("nope")
    assert runtime.operation_ids("tiny") == ["getNote", "putNote", "deleteNote"]


# -- settings -----------------------------------------------------------------------------------------
def test_settings_show_every_switch_and_limit(runtime: Runtime) -> None:
    assert runtime.settings() == {
        "rate_limits": True,
        "journal_cap": 50,
        "journal_max_bytes": 32 * 1024 * 1024,
        "apis": {
            "tiny": {"shout": False, "rate_limits": {"token": {"limit": 50, "window_seconds": 1.0}}},
            "vcita": {
                "error_envelope": "status_error",
                "disconnect_result": "clear",
                "rate_limits": {"token": {"limit": 8, "window_seconds": 1.0}},
            },
        },
    }


def test_a_partial_limit_keeps_the_other_field(runtime: Runtime) -> None:
    runtime.update_settings({"apis": {"tiny": {"rate_limits": {"token": {"limit": 2}}}}})
    assert runtime.settings()["apis"]["tiny"]["rate_limits"]["token"] == {"limit": 2, "window_seconds": 1.0}
    runtime.update_settings({"apis": {"tiny": {"rate_limits": {"token": {"window_seconds": 30}}}}})
    assert runtime.settings()["apis"]["tiny"]["rate_limits"]["token"] == {"limit": 2, "window_seconds": 30.0}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"tiny": {"shout": "yes"}}, "apis.tiny.shout: 'yes' is not of type 'boolean'"),
        ({"tiny": {"whisper": True}}, "apis.tiny: Additional properties are not allowed"),
        ({"tiny": {"rate_limits": {"nope": {"limit": 1}}}}, "apis.tiny.rate_limits: Additional properties"),
        ({"tiny": {"rate_limits": {"token": {"limit": 0}}}}, "apis.tiny.rate_limits.token.limit: 0 is less than"),
        ({"vcita": {"error_envelope": "xml"}}, "apis.vcita.error_envelope: 'xml' is not one of"),
    ],
)
def test_a_bad_patch_changes_nothing_at_all(runtime: Runtime, bad: dict[str, Any], message: str) -> None:
    before = runtime.settings()
    # Valid changes first, then the bad one: all of the patch is checked before any of it applies.
    patch = {"rate_limits": False, "journal_cap": 3, "apis": {"tiny": {"shout": True}, **bad}}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        runtime.update_settings(patch)
    assert runtime.settings() == before
    assert runtime.journal.cap == 50


@pytest.mark.parametrize("bad", [10, 2**33, "lots", True, 1.5])
def test_a_bad_journal_byte_cap_changes_nothing(runtime: Runtime, bad: Any) -> None:
    before = runtime.settings()
    with pytest.raises(ValueError, match="journal_max_bytes: must be a whole number of bytes"):
        runtime.update_settings({"journal_cap": 3, "journal_max_bytes": bad})
    assert runtime.settings() == before


def test_an_unknown_api_in_a_patch_changes_nothing(runtime: Runtime) -> None:
    before = runtime.settings()
    with pytest.raises(UnknownApi):
        runtime.update_settings({"rate_limits": False, "apis": {"tiny": {"shout": True}, "nope": {}}})
    assert runtime.settings() == before


def test_a_good_patch_applies_whole(runtime: Runtime) -> None:
    shown = runtime.update_settings(
        {"rate_limits": False, "journal_cap": 3, "apis": {"tiny": {"shout": True}, "vcita": {}}}
    )
    assert shown == runtime.settings()
    assert (shown["rate_limits"], shown["journal_cap"], shown["apis"]["tiny"]["shout"]) == (False, 3, True)
    assert runtime.vendor("tiny").settings == {"shout": True}
    assert runtime.journal.cap == 3


# -- rate limits --------------------------------------------------------------------------------------
def test_rate_limits_count_per_key_and_answer_429_with_retry_after(runtime: Runtime) -> None:
    tiny = runtime.vendor("tiny")
    runtime.update_settings({"apis": {"tiny": {"rate_limits": {"token": {"limit": 2, "window_seconds": 60}}}}})
    runtime.check_rate_limits(tiny, _call("tiny"))
    runtime.check_rate_limits(tiny, _call("tiny"))
    with pytest.raises(Problem) as raised:
        runtime.check_rate_limits(tiny, _call("tiny"))
    assert (raised.value.status, raised.value.kind) == (429, "rate_limited")
    assert 1 <= int(raised.value.headers["Retry-After"]) <= 60
    runtime.check_rate_limits(tiny, _call("tiny", token="t2"))  # another token, another counter
    runtime.update_settings({"rate_limits": False})
    runtime.check_rate_limits(tiny, _call("tiny"))  # switched off: never refused


# -- reset --------------------------------------------------------------------------------------------
def _dirty(runtime: Runtime) -> None:
    """Some of every kind of state, for both APIs."""
    runtime.vendor("tiny").store.add_note("a note")
    runtime.vendor("vcita").provider_states["staff"].apply({})
    runtime.update_settings(
        {
            "rate_limits": False,
            "journal_cap": 20,
            "journal_max_bytes": 100_000,
            "apis": {
                "tiny": {"shout": True, "rate_limits": {"token": {"limit": 3}}},
                "vcita": {"error_envelope": "success_false", "rate_limits": {"token": {"limit": 4}}},
            },
        }
    )
    runtime.clock.advance(100)
    for api in ("tiny", "vcita"):
        runtime.journal.record({"api": api, "path": f"/{api}/x"})
        runtime.faults.add(api, "op", status=500)
        runtime.limiter.hit(api, "token", "t1", runtime.limit_for(runtime.vendor(api), "token"))  # type: ignore[arg-type]


def test_reset_of_one_api_leaves_the_other_and_the_shared_state(runtime: Runtime) -> None:
    _dirty(runtime)
    vcita_before = runtime.vendor("vcita").dump()
    assert runtime.reset("tiny") == ["tiny"]
    assert runtime.vendor("tiny").dump()["notes"] == []
    settings = runtime.settings()
    assert settings["apis"]["tiny"] == {"shout": False, "rate_limits": {"token": {"limit": 50, "window_seconds": 1.0}}}
    assert settings["apis"]["vcita"]["error_envelope"] == "success_false"
    assert settings["apis"]["vcita"]["rate_limits"]["token"]["limit"] == 4
    assert runtime.vendor("vcita").dump() == vcita_before
    assert [e["api"] for e in runtime.journal.entries()] == ["vcita"]
    assert [f.api for f in runtime.faults.list()] == ["vcita"]
    assert [key[0] for key, _ in runtime.limiter.snapshot()] == ["vcita"]
    # Shared by every API: left alone.
    assert (runtime.clock.offset, settings["rate_limits"], settings["journal_cap"]) == (100, False, 20)


def test_reset_of_everything_also_resets_the_shared_state(runtime: Runtime) -> None:
    _dirty(runtime)
    assert runtime.reset() == ["tiny", "vcita"]
    assert _observed(runtime) == _observed(Runtime([tiny_vendor(), VcitaVendor], journal_cap=50))
    assert runtime.vendor("vcita").dump() == {"businesses": [], "staff": [], "calendar_syncs": [], "tokens": []}


def test_reset_of_an_unknown_api_is_refused_before_anything_changes(runtime: Runtime) -> None:
    _dirty(runtime)
    before = _observed(runtime)
    with pytest.raises(UnknownApi):
        runtime.reset("nope")
    assert _observed(runtime) == before


# -- snapshot / restore -------------------------------------------------------------------------------
def test_restore_brings_back_every_kind_of_state(runtime: Runtime) -> None:
    _dirty(runtime)
    taken = runtime.snapshot()
    before = _observed(runtime)
    # Change every kind of state.
    runtime.vendor("tiny").store.add_note("after the snapshot")
    runtime.vendor("vcita").provider_states["staff"].apply({})
    runtime.update_settings(
        {
            "rate_limits": True,
            "journal_max_bytes": 50_000,
            "apis": {"tiny": {"shout": False, "rate_limits": {"token": {"limit": 9}}}},
        }
    )
    runtime.clock.advance(50)
    runtime.journal.record({"api": "tiny", "path": "/tiny/later"})
    runtime.faults.add("vcita", "later", status=503)
    runtime.limiter.hit("tiny", "token", "t2", runtime.limit_for(runtime.vendor("tiny"), "token"))  # type: ignore[arg-type]
    assert _observed(runtime) != before
    runtime.restore(taken)
    assert _observed(runtime) == before
    assert runtime.clock.offset == 100
    # The snapshot is still good for another restore: nothing restored shares it.
    runtime.vendor("tiny").store.add_note("again")
    runtime.vendor("tiny").settings["shout"] = False
    runtime.restore(taken)
    assert _observed(runtime) == before


def test_a_snapshot_does_not_follow_later_changes(runtime: Runtime) -> None:
    taken = runtime.snapshot()
    runtime.vendor("tiny").store.add_note("later")
    runtime.vendor("tiny").settings["shout"] = True
    runtime.restore(taken)
    assert runtime.vendor("tiny").dump()["notes"] == []
    assert runtime.vendor("tiny").settings == {"shout": False}
