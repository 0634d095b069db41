"""The fakes' clock: wall time plus an offset that only moves forward, and its ISO format."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from mockserver.clock import Clock, iso


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


def test_set_offset_puts_the_clock_exactly_that_far_ahead() -> None:
    clock = Clock()
    clock.advance(10)
    clock.set_offset(86400)
    assert clock.offset == 86400
    assert clock.now() - time.time() == pytest.approx(86400, abs=1)


def test_isoformat_is_the_fake_time() -> None:
    clock = Clock()
    clock.set_offset(400 * 86400)
    shown = datetime.strptime(clock.isoformat(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(shown.timestamp() - (time.time() + 400 * 86400)) < 2
