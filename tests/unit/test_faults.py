"""Injected faults: newest wins, ``times`` counts down, ``ratio`` draws, snapshots restore."""

from __future__ import annotations

from mockserver.faults import FaultStore


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


def test_hits_are_counted_and_shown() -> None:
    faults = FaultStore()
    fault = faults.add("x", "op", delay_ms=5)
    faults.take("x", "op")
    faults.take("x", "op")
    assert faults.list()[0].to_dict() == {
        "id": fault.id,
        "api": "x",
        "operation_id": "op",
        "status": None,
        "delay_ms": 5,
        "times": None,
        "ratio": 1.0,
        "hits": 2,
    }


def test_restore_repeats_the_same_ratio_draws_and_ids() -> None:
    faults = FaultStore(seed=7)
    faults.add("x", "op", status=500, ratio=0.5, times=100)
    taken = faults.snapshot()
    first = [faults.take("x", "op") is not None for _ in range(40)]
    later = faults.add("x", "other", status=500).id
    faults.restore(taken)
    assert [f.operation_id for f in faults.list()] == ["op"]
    assert faults.list()[0].times == 100
    assert [faults.take("x", "op") is not None for _ in range(40)] == first
    assert faults.add("x", "other", status=500).id == later
