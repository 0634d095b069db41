"""The wheel ships the specs and the contract suites inside the package, and the package finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mockserver.harness.plugin import is_contract_path

ROOT = Path(__file__).resolve().parents[2]
SEED_SKIP_REASON = "Requires CalendarSync record which can only be created via internal API or UI."


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], Path]:
    """The wheel built from this checkout, its file names, and the folder it is unpacked into."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("mockserver-*.whl")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        archive.extractall(out / "site")
    return path, names, out / "site"


def _installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m mockserver ARGS`` with the unpacked wheel first on the path (its dependencies from this venv)."""
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_wheel_ships_specs_and_finds_them_when_installed(wheel: tuple[Path, set[str], Path], tmp_path: Path) -> None:
    path, names, site = wheel
    assert {"mockserver/specs/admin.yaml", "mockserver/specs/vcita.yaml"} <= names
    assert {
        "mockserver/dashboard/templates/dashboard.html",
        "mockserver/dashboard/templates/landing.html",
        "mockserver/dashboard/static/dashboard.js",
        "mockserver/dashboard/static/dashboard.css",
    } <= names, "the dashboard ships in the wheel"
    assert any(name.endswith("entry_points.txt") for name in names)
    with zipfile.ZipFile(path) as archive:
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "mockserver = mockserver.cli:main" in entry_points
    assert "[pytest11]" in entry_points
    located = subprocess.run(
        [sys.executable, "-c", "from mockserver.specs import spec_dir; print(spec_dir())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert located.returncode == 0, located.stderr
    assert Path(located.stdout.strip()) == site / "mockserver" / "specs"
    dashboard = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mockserver.dashboard import pages; print(pages._FILES); print(sorted(pages._static_files()))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert dashboard.returncode == 0, dashboard.stderr
    where, files = dashboard.stdout.splitlines()
    assert Path(where) == site / "mockserver" / "dashboard"
    assert files == "['dashboard.css', 'dashboard.js']"


def test_wheel_ships_every_bundled_suite(wheel: tuple[Path, set[str], Path]) -> None:
    _, names, _ = wheel
    checkout = ROOT / "contracts"
    step_files = [p for p in checkout.rglob("*") if p.is_file() and is_contract_path(p)]
    expected = {f"mockserver/contracts/{p.relative_to(checkout).as_posix()}" for p in step_files}
    expected |= {
        "mockserver/contracts/targets.yaml",
        "mockserver/contracts/test_fuzz.py",
        "mockserver/contracts/FORMAT.md",
    }
    assert len(step_files) > 40
    assert expected <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_installed_command_runs_the_bundled_suites_not_the_current_folder(
    wheel: tuple[Path, set[str], Path], tmp_path: Path
) -> None:
    _, names, site = wheel
    # A user's project: its own tests and no contracts folder. They must not be what runs.
    (tmp_path / "test_users_own.py").write_text("def test_users_own():\n    pass\n", encoding="utf-8")

    listed = _installed(site, tmp_path, "contracts", "--collect-only", "-q", "-p", "no:cacheprovider")

    assert listed.returncode == 0, listed.stdout + listed.stderr
    items = [line for line in listed.stdout.splitlines() if "::" in line]
    assert not [item for item in items if "users_own" in item]
    bundled_files = {name for name in names if name.startswith("mockserver/contracts/") and name.count("/") == 3}
    step_items = [item for item in items if "test_fuzz.py" not in item]
    assert {item.split("::")[0].split("/")[-2] for item in step_items} == {"calcom", "ravan", "recall", "vcita"}
    assert len(step_items) == len([name for name in bundled_files if name.endswith((".yaml", ".md"))])
    assert len([item for item in items if "test_fuzz.py::test_schemathesis[" in item]) == 5
    # Collected from the unpacked wheel, not from this checkout, and nothing to warn about.
    assert str(ROOT) not in listed.stdout
    assert "warnings summary" not in listed.stdout

    # A page that needs the bundled targets.yaml (its vcita defaults), and seed 004, skipped
    # with its reason in the default output.
    ran = _installed(site, tmp_path, "contracts", "-p", "no:cacheprovider", "-k", "workflow_disconnect or seed")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed, 1 skipped" in ran.stdout
    assert f"disconnect_external_calendar.seed.md: {SEED_SKIP_REASON}" in ran.stdout
