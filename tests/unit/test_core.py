"""Generic machinery without sockets: clock, journal, faults, rate limits, routes, validation."""

from __future__ import annotations

import pytest
from jsonschema import Draft4Validator

from mockserver.clock import Clock, iso
from mockserver.errors import Problem
from mockserver.faults import FaultStore
from mockserver.journal import Journal
from mockserver.ratelimit import Limit, RateLimiter, retry_after_header
from mockserver.specs import Routes, load_spec, operation_ids, spec_dir
from mockserver.validation import FieldAwareJSONBodyValidator, describe


def test_clock_advances_and_resets() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= 3600
    assert clock.offset == 3600
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert clock.offset == 0


def test_iso_has_milliseconds_and_z() -> None:
    assert iso(0) == "1970-01-01T00:00:00.000Z"
    assert iso(1.5) == "1970-01-01T00:00:01.500Z"


def test_journal_is_capped_newest_first_and_filterable() -> None:
    journal = Journal(cap=3)
    for n in range(5):
        journal.record({"api": "a" if n % 2 else "b", "n": n})
    assert [e["n"] for e in journal.entries()] == [4, 3, 2]
    assert [e["n"] for e in journal.entries(api="a")] == [3]
    assert [e["n"] for e in journal.entries(limit=1)] == [4]
    assert journal.entries()[0]["id"] == 5
    journal.set_cap(2)
    assert [e["n"] for e in journal.entries()] == [4, 3]
    assert journal.clear("a") == 1
    assert journal.clear() == 1
    assert len(journal) == 0


def test_journal_reads_epoch_times_as_iso_and_hands_out_copies() -> None:
    journal = Journal()
    journal.record({"api": "a", "time": 1.5})
    journal.record({"api": "a", "time": "2026-01-01T00:00:00.000Z"})
    assert [e["time"] for e in journal.entries()] == ["2026-01-01T00:00:00.000Z", "1970-01-01T00:00:01.500Z"]
    journal.entries()[0]["api"] = "changed"
    assert journal.entries()[0]["api"] == "a"


def test_fault_times_counts_down_and_newest_wins() -> None:
    faults = FaultStore()
    faults.add("vcita", "op", status=500)
    faults.add("vcita", "op", status=503, times=2)
    assert faults.take("vcita", "op").status == 503  # type: ignore[union-attr]
    assert faults.take("vcita", "op").status == 503  # type: ignore[union-attr]
    assert faults.take("vcita", "op").status == 500  # type: ignore[union-attr]
    assert faults.take("vcita", "other") is None
    assert faults.take("ravan", "op") is None
    assert faults.clear("ravan") == 0
    assert faults.clear("vcita") == 1
    assert faults.take("vcita", "op") is None


def test_fault_ratio_zero_never_applies_and_one_always_does() -> None:
    faults = FaultStore(seed=1)
    faults.add("x", "op", status=500, ratio=0.0)
    assert all(faults.take("x", "op") is None for _ in range(50))
    faults.clear()
    faults.add("x", "op", status=500, ratio=1.0)
    assert all(faults.take("x", "op") is not None for _ in range(50))


def test_rate_limiter_window_and_reset_by_clock() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    limit = Limit(3, 60.0)
    assert [limiter.hit("a", "key", "t1", limit) for _ in range(3)] == [None, None, None]
    wait = limiter.hit("a", "key", "t1", limit)
    assert wait is not None and 0 < wait <= 60
    assert limiter.hit("a", "key", "t2", limit) is None  # another key has its own counter
    clock.advance(60)
    assert limiter.hit("a", "key", "t1", limit) is None


def test_rate_limiter_counters_are_bounded() -> None:
    limiter = RateLimiter(Clock(), max_counters=100)
    for n in range(1000):
        limiter.hit("a", "key", f"token-{n}", Limit(1, 1.0))
    assert len(limiter) == 100


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert retry_after_header(0.01) == "1"
    assert retry_after_header(1.2) == "2"


def test_route_table_matches_templates() -> None:
    table = Routes({"paths": {"/a/{id}/b": {"get": {}, "put": {}}, "/a/x/b": {"post": {}}}})
    assert table.allowed("/a/7/b") == ["GET", "PUT"]
    assert table.allowed("/a/x/b") == ["GET", "PUT", "POST"]
    assert table.allowed("/nope") == []


def test_bundled_specs_are_found_and_copied() -> None:
    assert (spec_dir() / "admin.yaml").is_file()
    spec = load_spec("vcita.yaml")
    spec["paths"].clear()
    assert load_spec("vcita.yaml")["paths"], "load_spec must hand out copies"
    assert "disconnectExternalCalendar" in operation_ids(load_spec("vcita.yaml"))


SCHEMA = {
    "type": "object",
    "required": ["staff_uid", "calendar_sync"],
    "additionalProperties": False,
    "properties": {
        "staff_uid": {"type": "string", "minLength": 1},
        "calendar_sync": {
            "type": "object",
            "required": ["provider"],
            "properties": {"provider": {"type": "string", "enum": ["google_v3"]}},
        },
    },
}


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"calendar_sync": {"provider": "google_v3"}}, "staff_uid", "missing"),
        ({"staff_uid": "s", "calendar_sync": {}}, "calendar_sync.provider", "missing"),
        ({"staff_uid": 5, "calendar_sync": {"provider": "google_v3"}}, "staff_uid", "invalid"),
        ({"staff_uid": "", "calendar_sync": {"provider": "google_v3"}}, "staff_uid", "invalid"),
        ({"staff_uid": "s", "calendar_sync": {"provider": "x"}}, "calendar_sync.provider", "invalid"),
        ({"staff_uid": "s", "calendar_sync": {"provider": "google_v3"}, "zzz": 1}, "zzz", "unknown"),
        ([], "body", "invalid"),
    ],
)
def test_describe_names_the_field_and_reason(body: object, field: str, reason: str) -> None:
    errors = list(Draft4Validator(SCHEMA).iter_errors(body))
    assert errors
    problems = [describe(e) for e in errors]
    assert any(p.field == field and p.reason == reason for p in problems), problems
    assert all(p.status == 422 and p.kind == "invalid_body" for p in problems)


def test_field_aware_validator_rejects_empty_and_accepts_valid() -> None:
    validator = FieldAwareJSONBodyValidator(
        schema=SCHEMA, required=True, nullable=False, encoding="utf-8", strict_validation=False
    )
    with pytest.raises(Problem) as raised:
        validator._validate(None)
    assert (raised.value.status, raised.value.field, raised.value.reason) == (400, "body", "missing")
    good = {"staff_uid": "s", "calendar_sync": {"provider": "google_v3"}}
    assert validator._validate(good) == good
