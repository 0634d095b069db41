"""Served throughput of the working tree against an earlier revision, on the same load.

    .venv/bin/python bench/compare.py HEAD~1                          # default scenarios
    .venv/bin/python bench/compare.py fa81f1f calcom-calendars --rounds 6

The package and specs of REVISION are taken out of git (``git archive``) into a temporary
folder; both versions are started as ``python -m mockserver serve`` with the same Python and the
same installed libraries, each one's state seeded with the scenario's actors, and driven with wrk
on 127.0.0.1 in alternating runs (the order swaps every round). It prints every run, then per
scenario the median requests/s, p50 and p99 of each version and the working tree's ratio over
the revision (with the per-round range). This is how a change's effect on served throughput is
measured: on a shared machine the spread between runs is larger than most single changes, so
only runs of both versions taken close together in time are compared. Every run is time bounded.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.arguments import check_load, check_scenarios
from bench.load import LoadResult, ensure_wrk, lua_script, run_wrk
from bench.report import ScenarioResult, ServerRow, run_line
from bench.scenarios import SCENARIOS, Scenario
from bench.servers import ROOT, Server, free_port

DEFAULT_COMPARED = ("vcita-disconnect", "calcom-calendars", "recall-disconnect")
SETTLE_S = 0.5


@dataclass
class Version:
    """One version of the package under test: where its code is, and its runs."""

    pythonpath: Path
    row: ServerRow


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``bench/compare.py``."""
    parser = argparse.ArgumentParser(
        prog="bench/compare.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision", help="the git revision to compare the working tree with (HEAD~1, a sha, a tag)")
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_COMPARED)}")
    parser.add_argument("--rounds", type=int, default=4, help="measured runs per version (default: 4)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run (default: 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load per version")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default: 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    parser.add_argument("--actors", type=int, default=512, help="independent seeded users per version")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed and checked arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_scenarios(parser, args, DEFAULT_COMPARED)
    check_load(parser, args, ("rounds", "duration", "connections", "threads", "actors"))
    return args


def export_revision(revision: str, into: Path) -> str:
    """Write REVISION's ``mockserver/`` and ``specs/`` below ``into``; answers its short sha."""
    resolved = subprocess.run(
        ["git", "rev-parse", "--short", "--verify", f"{revision}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if resolved.returncode != 0:
        raise SystemExit(f"bench/compare.py: {revision!r} is not a commit of this repository")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "mockserver", "specs"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return resolved.stdout.strip()


def package_location(pythonpath: Path) -> Path:
    """Where ``import mockserver`` finds the package when started as the servers are."""
    found = subprocess.run(
        [sys.executable, "-P", "-c", "import mockserver; print(mockserver.__file__)"],
        env={**os.environ, "PYTHONPATH": str(pythonpath)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(found.stdout.strip()).resolve().parent


def ratio_line(scenario_title: str, base: ServerRow, head: ServerRow) -> str:
    """The summary of one scenario: both medians and the working tree's ratio over the revision."""
    result = ScenarioResult("", scenario_title, "", "", [head, base])
    rounds = result.round_ratios(base)
    spread = f" (per round {min(rounds):.2f}-{max(rounds):.2f})" if len(rounds) > 1 else ""

    def figures(row: ServerRow) -> str:
        errors = row.non_2xx + row.socket_errors
        return f"{row.name} {row.rps:,.0f} req/s, p50 {row.p50_ms:.1f} ms, p99 {row.p99_ms:.1f} ms, errors {errors}"

    return f"{scenario_title}: {figures(base)} | {figures(head)} | ratio {result.ratio(base) or 0:.2f}x{spread}"


def compare(args: argparse.Namespace, scenario: Scenario, versions: list[Version], work: Path) -> None:
    """Alternating runs of every version on one scenario; each version's runs are appended to it."""
    from mockserver.admin import HttpAdmin

    wrk = ensure_wrk(print)
    servers: list[tuple[Version, Server, Path]] = []
    try:
        for index, version in enumerate(versions):
            port = free_port()
            # -P: no current folder on sys.path, so PYTHONPATH alone decides which package runs.
            command = [sys.executable, "-P", "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", str(port)]
            server = Server(
                version.row.name,
                command,
                port,
                f"/{scenario.api}",
                work / f"server-{index}.log",
                env={"PYTHONPATH": str(version.pythonpath)},
            )
            server.start()
            server.wait_ready("/__admin/health")
            with HttpAdmin(server.base_url) as admin:
                admin.update_settings({"rate_limits": False})
                cycles = scenario.actors(admin, args.actors)
            script = work / f"{scenario.key}-{index}.lua"
            script.write_text(lua_script(cycles, server.prefix), encoding="utf-8")
            servers.append((version, server, script))

        def run(server: Server, script: Path, seconds: float) -> LoadResult:
            result = run_wrk(
                wrk, server.base_url, script, duration_s=seconds, connections=args.connections, threads=args.threads
            )
            time.sleep(SETTLE_S)
            return result

        if args.warmup > 0:
            for _, server, script in servers:
                run(server, script, args.warmup)
        for round_index in range(args.rounds):
            order = servers if round_index % 2 == 0 else servers[::-1]
            for version, server, script in order:
                result = run(server, script, args.duration)
                version.row.runs.append(result)
                print(run_line(round_index + 1, version.row.name, result), flush=True)
    finally:
        for _, server, _ in servers:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; the report goes to stdout."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mockserver-compare-") as directory:
        work = Path(directory)
        sha = export_revision(args.revision, work / "base")
        for where in (work / "base", ROOT):
            if package_location(where) != (where / "mockserver").resolve():
                raise SystemExit(f"bench/compare.py: the package under {where} is not the one that would run")
        print(
            f"{args.revision} ({sha}) against the working tree: wrk, {args.connections} connections, "
            f"{args.rounds} x {args.duration:g} s per version, alternating, {args.warmup:g} s warm-up",
            flush=True,
        )
        summaries = []
        for scenario in (SCENARIOS[key] for key in args.scenarios):
            print(f"\n{scenario.title}:", flush=True)
            base = Version(work / "base", ServerRow(sha, ours=False))
            head = Version(ROOT, ServerRow("working tree", ours=True))
            compare(args, scenario, [base, head], work)
            summaries.append(ratio_line(scenario.title, base.row, head.row))
    print("\n" + "\n".join(summaries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
