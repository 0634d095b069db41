"""``mockserver contracts`` as a user runs it: a real process, in a project folder of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.serve import free_port
from support.stepfiles import disconnect_step, step_text

PASSING = step_text(
    [disconnect_step("qa@example.com", expect={"status": 200, "body": {"data": {"enabled": False}}})],
    name="my disconnect",
    given=[{"state": "calendar_sync", "params": {"account": "qa@example.com"}}],
)


def contracts(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``mockserver contracts ARGS`` run in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "contracts", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_explicit_paths_are_collected_in_any_folder(tmp_path: Path) -> None:
    (tmp_path / "my-suites" / "vcita").mkdir(parents=True)
    (tmp_path / "my-suites" / "vcita" / "disconnect.yaml").write_text(PASSING, encoding="utf-8")
    (tmp_path / "test_users_own.py").write_text("def test_users_own():\n    pass\n", encoding="utf-8")

    ran = contracts(tmp_path, "my-suites/")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "my-suites/vcita/disconnect.yaml ." in ran.stdout
    assert "1 passed" in ran.stdout
    # A file named on the command line is collected too; only what was named runs.
    ran = contracts(tmp_path, "my-suites/vcita/disconnect.yaml", "test_users_own.py")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout


def test_plain_pytest_still_collects_step_files_only_below_a_contracts_folder(pytester: pytest.Pytester) -> None:
    pytester.mkdir("my-suites")
    (pytester.path / "my-suites" / "disconnect.yaml").write_text(PASSING, encoding="utf-8")
    assert pytester.runpytest("my-suites").ret == pytest.ExitCode.NO_TESTS_COLLECTED
    pytester.runpytest("my-suites", "--step-files-anywhere").assert_outcomes(passed=1)


def test_an_unreachable_target_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    ran = contracts(tmp_path, "--target", url)

    assert ran.returncode == 2
    assert ran.stdout == ""
    assert ran.stderr.splitlines() == [
        f"mockserver contracts: no mockserver answers at {url}: [Errno 111] Connection refused"
    ]


def test_an_unreachable_named_target_is_one_line_and_exit_2(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    # `local` is a url target of the bundled targets.yaml; MOCKSERVER_URL moves it.
    ran = contracts(tmp_path, "--target", "local", "-k", "vcita", env={"MOCKSERVER_URL": url})

    assert ran.returncode == 2
    assert ran.stderr.splitlines() == [
        f"mockserver contracts: no mockserver answers at {url}: [Errno 111] Connection refused"
    ]


def test_without_the_harness_extra_it_says_what_to_install(tmp_path: Path) -> None:
    # openapi-core stands for the extra's packages: marked missing before anything imports it.
    script = (
        "import sys; sys.modules['openapi_core'] = None; from mockserver.cli import main; sys.exit(main(['contracts']))"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert ran.returncode == 2
    assert ran.stderr.startswith("mockserver contracts needs the harness extra (pip install 'mockserver[harness]'): ")
    assert len(ran.stderr.splitlines()) == 1
