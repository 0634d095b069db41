"""The guard that makes a skipped Redis or browser test fail the run where real parts are required."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

SUITE = """
import pytest

@pytest.mark.redis
def test_needs_redis():
    pytest.skip("install Redis 7: apt-get install -y redis-server")

@pytest.mark.browser
def test_needs_a_browser():
    pytest.skip("install Debian's chromium")

def test_plain():
    pytest.skip("an ordinary skip")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeini("[pytest]\nmarkers =\n    redis: r\n    browser: b\n")
    pytester.makepyfile(test_suite=SUITE)
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the subprocess imports support.real_parts
    return pytester


def test_skips_fail_the_run_where_real_parts_are_required(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKSERVER_REQUIRE_REAL_PARTS", "1")
    result = suite.runpytest_subprocess("-p", "support.real_parts")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*2 tests that need Redis or a browser were skipped*", "*test_needs_redis*"])


def test_skips_are_only_skips_elsewhere(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKSERVER_REQUIRE_REAL_PARTS", raising=False)
    result = suite.runpytest_subprocess("-p", "support.real_parts")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=3)
