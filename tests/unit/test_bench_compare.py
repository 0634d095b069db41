"""bench/compare.py: arguments, taking a revision out of git, which package each version runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench import compare
from bench.load import LoadResult
from bench.report import ServerRow, run_line

ROOT = Path(__file__).resolve().parents[2]


def _run(rps: float, p50: float = 10.0, p99: float = 20.0, non_2xx: int = 0) -> LoadResult:
    return LoadResult(int(rps * 10), 10.0, p50, p99, p99, non_2xx, 0)


def test_defaults() -> None:
    args = compare.parse_args(["HEAD~1"])
    assert args.revision == "HEAD~1"
    assert args.scenarios == list(compare.DEFAULT_COMPARED)
    assert (args.rounds, args.duration, args.warmup, args.connections) == (4, 8.0, 2.0, 64)


def test_an_unknown_scenario_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        compare.parse_args(["HEAD", "no-such-scenario"])
    assert exited.value.code == 2
    assert "unknown scenario 'no-such-scenario'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["rounds", "duration", "connections", "threads", "actors"])
def test_non_positive_sizes_are_rejected(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        compare.parse_args(["HEAD", f"--{name}", "0"])
    assert f"--{name} must be positive" in capsys.readouterr().err


def test_fewer_actors_than_connections_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        compare.parse_args(["HEAD", "--actors", "10", "--connections", "64"])
    assert "--actors must be at least --connections" in capsys.readouterr().err


def test_export_revision_writes_the_package_and_specs_of_that_commit(tmp_path: Path) -> None:
    sha = compare.export_revision("HEAD", tmp_path)
    expected = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert sha == expected
    committed = subprocess.run(
        ["git", "show", "HEAD:mockserver/__init__.py"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    assert (tmp_path / "mockserver" / "__init__.py").read_bytes() == committed
    assert (tmp_path / "specs" / "vcita.yaml").is_file()
    assert not (tmp_path / "tests").exists()


def test_an_unknown_revision_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="'no-such-rev' is not a commit of this repository"):
        compare.export_revision("no-such-rev", tmp_path)


def test_each_version_imports_the_package_from_its_own_folder(tmp_path: Path) -> None:
    # The check main() makes before measuring: an exported revision must shadow the installed
    # working tree, and the working tree must be found under its own folder.
    compare.export_revision("HEAD", tmp_path)
    assert compare.package_location(tmp_path) == (tmp_path / "mockserver").resolve()
    assert compare.package_location(ROOT) == (ROOT / "mockserver").resolve()


def test_ratio_line_reports_medians_and_the_per_round_range() -> None:
    base = ServerRow("abc1234", False, [_run(1000), _run(1100), _run(900)])
    head = ServerRow("working tree", True, [_run(1300), _run(1320), _run(1170, non_2xx=2)])
    line = compare.ratio_line("vcita disconnect (PUT)", base, head)
    assert line.startswith("vcita disconnect (PUT): abc1234 1,000 req/s, p50 10.0 ms, p99 20.0 ms, errors 0 | ")
    assert "working tree 1,300 req/s, p50 10.0 ms, p99 20.0 ms, errors 2" in line
    assert line.endswith("ratio 1.30x (per round 1.20-1.30)")


def test_run_line_shows_rate_p99_and_errors() -> None:
    line = run_line(2, "working tree", LoadResult(12_345, 10.0, 5.0, 31.25, 40.0, 1, 2))
    assert line == "  round 2: working tree                1,234 req/s  p99    31.2 ms  non-2xx 1  socket errors 2"
