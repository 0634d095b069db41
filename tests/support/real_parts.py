"""Tests that need a real part (Redis, a browser) are never skipped where they must run.

``make test`` (and so CI) sets ``MOCKSERVER_REQUIRE_REAL_PARTS=1``; a test marked ``redis`` or
``browser`` that was skipped then fails the run, naming it. A test using the ``redis_server``
fixture is marked ``redis`` here.
"""

from __future__ import annotations

import os

import pytest

REAL_PARTS_ENV = "MOCKSERVER_REQUIRE_REAL_PARTS"
_REAL_PARTS = ("redis", "browser")
_skipped: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and any(part in report.keywords for part in _REAL_PARTS):
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # With xdist the controller sees every worker's reports; a worker says nothing itself.
    if os.environ.get(REAL_PARTS_ENV) and _skipped and not hasattr(session.config, "workerinput"):
        shown = "\n  ".join(_skipped[:10])
        print(f"\n{len(_skipped)} tests that need Redis or a browser were skipped (they must run here):\n  {shown}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
