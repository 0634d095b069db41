"""``make bench``: mockserver against Stoplight Prism's mock, on the same spec and the same load.

    .venv/bin/python bench/run.py                       # everything (about 15 minutes)
    .venv/bin/python bench/run.py --quick               # 5 s runs, 1 round, no suites
    .venv/bin/python bench/run.py vcita-disconnect --rounds 3 --skip-extras
    .venv/bin/python bench/run.py --dry-run             # print the plan and a sample report only

For each scenario it starts ``mockserver serve`` and two Prism mocks of the vendor's spec (static
examples; default logging, and ``-v silent``), seeds the fake's state through the control plane,
then drives each server in turn with wrk on 127.0.0.1 for a fixed time, round after round, with
the order rotated every round. Rate limits are switched off on the fake (the load would
otherwise be answered 429 by design). Prism is installed into bench/.prism with npm, and wrk
with apt-get, when missing. Everything listens on 127.0.0.1 only; every run is time bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench import extras
from bench.arguments import check_load, check_scenarios
from bench.load import LoadResult, ensure_wrk, lua_script, run_python, run_wrk
from bench.report import (
    ScenarioResult,
    ServerRow,
    format_extras,
    format_scenario,
    format_targets,
    run_line,
    soak_verdict,
    to_json,
)
from bench.scenarios import DEFAULT_SCENARIOS, SCENARIOS, Scenario
from bench.servers import (
    ROOT,
    Server,
    ensure_prism,
    free_port,
    memory_kib,
    mockserver_command,
    prism_command,
)

OURS = "mockserver serve"
PRISM_DEFAULT = "Prism (default logging)"
PRISM_SILENT = "Prism (-v silent)"
# Pause after every run, so each server starts its next run idle: requests the load generator
# wrote just before it stopped are still being served for a few milliseconds.
SETTLE_S = 0.5


_DEFAULTS = {"duration": 10.0, "warmup": 3.0, "rounds": 3, "soak": 30.0}
_QUICK_DEFAULTS = {"duration": 5.0, "warmup": 1.0, "rounds": 1, "soak": 10.0}


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``bench/run.py``."""
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_SCENARIOS)}")
    parser.add_argument("--duration", type=float, help="seconds per measured run (default: 10; --quick: 5)")
    parser.add_argument("--warmup", type=float, help="seconds of unmeasured load per server (default: 3; --quick: 1)")
    parser.add_argument("--rounds", type=int, help="measured runs per server (default: 3; --quick: 1)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default: 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    parser.add_argument("--actors", type=int, default=512, help="independent seeded users per scenario")
    parser.add_argument("--load-generator", choices=["wrk", "python"], default="wrk")
    parser.add_argument("--skip-prism", action="store_true", help="measure mockserver only")
    parser.add_argument("--skip-extras", action="store_true", help="no start-up, fixture, memory or suite timings")
    parser.add_argument("--skip-suites", action="store_true", help="no contract suite or Schemathesis timings")
    parser.add_argument("--startup-runs", type=int, default=5, help="process starts timed (default: 5)")
    parser.add_argument("--records", type=int, default=100_000, help="stored records for the memory measurement")
    parser.add_argument(
        "--soak", type=float, help="seconds of sustained load for the memory check (default: 30; --quick: 10)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shorter defaults (5 s runs, 1 s warm-up, 1 round, 10 s soak) and no suites",
    )
    parser.add_argument("--json", type=Path, help="also write the results here (default: bench-results/)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and a sample report, run nothing")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed and checked arguments (``--quick`` applied)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_scenarios(parser, args, DEFAULT_SCENARIOS)
    # --quick changes the defaults; a value given on the command line still wins.
    defaults = _QUICK_DEFAULTS if args.quick else _DEFAULTS
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.quick:
        args.skip_suites = True
    if args.soak < 0:
        parser.error("--soak must not be negative")
    check_load(parser, args, ("duration", "rounds", "connections", "threads", "actors", "startup_runs", "records"))
    return args


def machine_info() -> dict[str, str]:
    """What the numbers were measured on."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    except (OSError, IndexError):
        memory = "unknown"
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": memory,
        "cpu": model,
        "python": platform.python_version(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def plan_text(args: argparse.Namespace) -> str:
    """What a run with these arguments measures."""
    servers = [OURS] if args.skip_prism else [OURS, PRISM_DEFAULT, PRISM_SILENT]
    lines = [
        f"scenarios: {', '.join(args.scenarios)}",
        f"servers: {', '.join(servers)}",
        f"load: {args.load_generator}, {args.connections} connections, {args.threads} threads, "
        f"{args.warmup:g} s warm-up, {args.rounds} x {args.duration:g} s per server (order rotated each round)",
    ]
    if args.skip_extras:
        lines.append("extras: skipped")
    else:
        suites = "skipped" if args.skip_suites else "pytest contracts/, mockserver fuzz"
        lines.append(
            f"extras: start-up x{args.startup_runs}, fixture, RSS with {args.records:,} records, "
            f"{args.soak:g} s soak, suites: {suites}"
        )
    return "\n".join(lines)


def sample_report(args: argparse.Namespace) -> str:
    """The report's layout filled with made-up numbers (``--dry-run``)."""

    def runs(rps: float, p50: float, p99: float) -> list[LoadResult]:
        return [LoadResult(int(rps * args.duration), args.duration, p50, p99, p99 * 2, 0, 0)] * args.rounds

    rows = [ServerRow(OURS, True, runs(2000, 30, 45), 90 * 1024)]
    if not args.skip_prism:
        rows += [
            ServerRow(PRISM_DEFAULT, False, runs(900, 60, 160), 120 * 1024),
            ServerRow(PRISM_SILENT, False, runs(1500, 40, 90), 110 * 1024),
        ]
    result = ScenarioResult("sample", "SAMPLE (made-up numbers)", "nothing was run", _settings(args), rows)
    extras_data: dict[str, Any] = {
        "startup_s": {"apis": ["vcita"], "missing": [], "runs": [0.8], "median": 0.8, "max": 0.8},
        "soak": {
            "what": "sample",
            "interval_s": 2.0,
            "samples": [100_000] * 6,
            "journal": 1000,
            "journal_cap": 1000,
            "verdict": soak_verdict([100_000] * 6),
        },
    }
    if args.skip_extras:
        extras_data = {}
    banner = "SAMPLE REPORT: every number below is made up, to show the layout; nothing was run."
    parts = [banner, format_scenario(result), format_targets([result], extras_data)]
    if extras_data:
        parts.append(format_extras(extras_data))
    return "\n\n".join(parts)


def _settings(args: argparse.Namespace) -> str:
    return (
        f"{args.load_generator}, {args.connections} connections, {args.rounds} x {args.duration:g} s, "
        f"{args.warmup:g} s warm-up"
    )


def _log(message: str) -> None:
    print(message, flush=True)


class Bench:
    """One benchmark run."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.wrk = ensure_wrk(_log) if args.load_generator == "wrk" else None
        self.prism = None if args.skip_prism else ensure_prism(_log)

    def load(self, server: Server, scenario_cycles: Any, script: Path, seconds: float) -> LoadResult:
        """One timed run against one server, then a pause for the server to finish its backlog."""
        if self.wrk is not None:
            result = run_wrk(
                self.wrk,
                server.base_url,
                script,
                duration_s=seconds,
                connections=self.args.connections,
                threads=self.args.threads,
            )
        else:
            result = run_python(
                server.base_url, scenario_cycles, server.prefix, duration_s=seconds, connections=self.args.connections
            )
        time.sleep(SETTLE_S)
        return result

    def scenario(self, scenario: Scenario) -> ScenarioResult:
        """Every server's runs on one scenario."""
        from mockserver.admin import HttpAdmin

        args = self.args
        servers = [self._ours(scenario)]
        if self.prism is not None:
            spec = ROOT / "specs" / scenario.spec
            for name, silent in ((PRISM_DEFAULT, False), (PRISM_SILENT, True)):
                port = free_port()
                servers.append(
                    Server(name, prism_command(self.prism, spec, port, silent), port, "", self.work / f"{name}.log")
                )
        try:
            for server in servers:
                server.start()
            servers[0].wait_ready("/__admin/health")
            for server in servers[1:]:
                server.wait_ready("/")
            with HttpAdmin(servers[0].base_url) as admin:
                admin.update_settings({"rate_limits": False})
                cycles = scenario.actors(admin, args.actors)
            scripts = {}
            for server in servers:
                script = self.work / f"{scenario.key}-{server.port}.lua"
                script.write_text(lua_script(cycles, server.prefix), encoding="utf-8")
                scripts[server.name] = script
            rows = {s.name: ServerRow(s.name, s is servers[0]) for s in servers}
            if args.warmup > 0:
                for server in servers:
                    self.load(server, cycles, scripts[server.name], args.warmup)
            for round_index in range(args.rounds):
                order = servers[round_index % len(servers) :] + servers[: round_index % len(servers)]
                for server in order:
                    result = self.load(server, cycles, scripts[server.name], args.duration)
                    rows[server.name].runs.append(result)
                    _log(run_line(round_index + 1, server.name, result))
            for server in servers:
                rows[server.name].peak_rss_kib = memory_kib(server.pid).get("VmHWM")
        finally:
            for server in servers:
                server.stop()
        return ScenarioResult(
            scenario.key, scenario.title, scenario.what, _settings(args), [rows[s.name] for s in servers]
        )

    def _ours(self, scenario: Scenario) -> Server:
        port = free_port()
        return Server(OURS, mockserver_command(port), port, f"/{scenario.api}", self.work / "mockserver.log")

    def extras(self) -> dict[str, Any]:
        """Start-up, fixture, memory and suite timings."""
        args = self.args
        data: dict[str, Any] = {}
        _log("start-up (process start -> first 200 from every fake):")
        data["startup_s"] = extras.measure_startup(args.startup_runs, _log)
        _log("pytest fixture:")
        data["fixture_s"] = extras.measure_fixture(_log)
        _log("memory:")
        data["records"], data["soak"] = extras.measure_records_and_soak(
            args.records, args.soak, self.wrk, args.connections, args.threads, self.work, _log
        )
        if not args.skip_suites:
            _log("suites:")
            python = str(extras.VENV_BIN / "python")
            data["contracts"] = extras.time_command(
                [python, "-m", "pytest", "contracts/", "-q", "-p", "no:cacheprovider"],
                extras.contracts_available(),
                _log,
            )
            data["fuzz"] = extras.time_command(
                [str(extras.VENV_BIN / "mockserver"), "fuzz", "--profile", "ci", "--quiet"],
                extras.fuzz_available(),
                _log,
            )
        return data


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the report goes to stdout (and JSON to bench-results/)."""
    args = parse_args(argv)
    machine = machine_info()
    header = (
        f"machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory']} RAM, Python {machine['python']}, "
        f"load average at start {machine['load_average_at_start']}"
    )
    if args.dry_run:
        print(plan_text(args))
        print(header)
        print()
        print(sample_report(args))
        return 0
    _log(plan_text(args))
    _log(header)
    served = extras.served_apis()
    chosen = [SCENARIOS[key] for key in args.scenarios]
    for scenario in chosen:
        if scenario.api not in served:
            _log(f"{scenario.title}: n/a (not available: the {scenario.api} fake is not served)")
    chosen = [scenario for scenario in chosen if scenario.api in served]
    results: list[ScenarioResult] = []
    extras_data: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as directory:
        bench = Bench(args, Path(directory))
        for scenario in chosen:
            _log(f"\n{scenario.title}:")
            results.append(bench.scenario(scenario))
        if not args.skip_extras:
            _log("")
            extras_data = bench.extras()
    print("\n" + "=" * 100)
    print(header)
    for result in results:
        print()
        print(format_scenario(result))
    print()
    print(format_targets(results, extras_data))
    if not args.skip_extras:
        print()
        print(format_extras(extras_data))
    out = args.json or ROOT / "bench-results" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_json(results, extras_data, machine), indent=2), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
