"""The wheel ships the specs inside the package, and the package finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_specs_and_finds_them_when_installed(tmp_path: Path) -> None:
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
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("mockserver-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {"mockserver/specs/admin.yaml", "mockserver/specs/vcita.yaml"} <= names
        assert {
            "mockserver/dashboard/templates/dashboard.html",
            "mockserver/dashboard/templates/landing.html",
            "mockserver/dashboard/static/dashboard.js",
            "mockserver/dashboard/static/dashboard.css",
        } <= names, "the dashboard ships in the wheel"
        assert any(name.endswith("entry_points.txt") for name in names)
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
        archive.extractall(tmp_path / "site")
    assert "mockserver = mockserver.cli:main" in entry_points
    assert "[pytest11]" in entry_points
    located = subprocess.run(
        [sys.executable, "-c", "from mockserver.specs import spec_dir; print(spec_dir())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert located.returncode == 0, located.stderr
    assert Path(located.stdout.strip()) == tmp_path / "site" / "mockserver" / "specs"
    dashboard = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mockserver.dashboard import pages; print(pages._FILES); print(sorted(pages._static_files()))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert dashboard.returncode == 0, dashboard.stderr
    where, files = dashboard.stdout.splitlines()
    assert Path(where) == tmp_path / "site" / "mockserver" / "dashboard"
    assert files == "['dashboard.css', 'dashboard.js']"
