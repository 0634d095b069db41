"""``make bench``: mockserver on each state engine against Prism's and WireMock's mocks, on the same load.

    .venv/bin/python bench/run.py                       # everything (about 30 minutes)
    .venv/bin/python bench/run.py --quick               # 5 s runs, 1 round, no suites
    .venv/bin/python bench/run.py vcita-disconnect --rounds 3 --skip-extras
    .venv/bin/python bench/run.py --dry-run             # print the plan and a sample report only

For each scenario it starts, side by side on 127.0.0.1:

- ``mockserver serve`` with the memory engine (one process);
- the same again, its actors seeded in a session and every request sent through the session's
  URL (``/s/<id>/<api>/...``): what the session layer costs beside the default session;
- ``mockserver serve --state redis://...`` (one worker) and ``--workers 2`` on Redis, each with
  its own ``redis-server`` (a free loopback port, a temporary folder, no persistence); a row
  whose options this checkout's ``serve`` does not have prints why, and the run goes on;
- two Prism mocks of the vendor's spec (static examples; default logging - the baseline every
  row's ratio is taken against - and ``-v silent``);
- WireMock standalone with one stub mapping per request of the scenario, made from what the fake
  was sent and answered (same method, path, headers and JSON body matchers; same status and body).

It seeds each fake's state through the control plane, then drives each server in turn with wrk
for a fixed time, round after round, the order rotated every round. Each row reports requests/s,
p50/p99, errors, the peak resident memory of all its processes (server, workers, redis-server)
and the CPU they used. Rate limits are switched off on the fake (the load would otherwise be
answered 429 by design). Prism and WireMock are installed with npm into bench/.prism and
bench/.wiremock, and wrk with apt-get, when missing. Everything listens on 127.0.0.1 only; every
run is time bounded.
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
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.append(str(Path(__file__).resolve().parent.parent))

import httpx

from bench import extras
from bench.arguments import check_load, check_scenarios
from bench.contenders import Contender
from bench.load import LoadResult, ensure_wrk, lua_script, run_python, run_wrk
from bench.redis_server import RedisServer, find_redis_server
from bench.report import (
    MEMORY,
    MEMORY_SESSION,
    PRISM_DEFAULT,
    PRISM_SILENT,
    REDIS,
    REDIS_2,
    WIREMOCK,
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
    mockserver_command,
    prism_command,
)
from bench.wiremock import ensure_wiremock, find_java, send_cycle, stub_mappings, wiremock_command, write_mappings

OURS = MEMORY
WIREMOCK_NOTE = (
    "the standalone jar with its defaults (request journal on, unbounded; the JVM's default heap), "
    "one stub per request of the scenario made from the fake's own answers"
)
# Pause after every run, so each server starts its next run idle: requests the load generator
# wrote just before it stopped are still being served for a few milliseconds.
SETTLE_S = 0.5


_DEFAULTS = {"duration": 10.0, "warmup": 3.0, "jit_warmup": 20.0, "rounds": 3, "soak": 30.0}
_QUICK_DEFAULTS = {"duration": 5.0, "warmup": 1.0, "jit_warmup": 10.0, "rounds": 1, "soak": 10.0}


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``bench/run.py``."""
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=f"default: {' '.join(DEFAULT_SCENARIOS)}")
    parser.add_argument("--duration", type=float, help="seconds per measured run (default: 10; --quick: 5)")
    parser.add_argument("--warmup", type=float, help="seconds of unmeasured load per server (default: 3; --quick: 1)")
    parser.add_argument(
        "--jit-warmup",
        type=float,
        help="more seconds of unmeasured load for the servers on a JIT runtime, Prism (Node.js) and WireMock "
        "(the JVM), whose throughput rises while hot code is compiled (default: 20; --quick: 10)",
    )
    parser.add_argument("--rounds", type=int, help="measured runs per server (default: 3; --quick: 1)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default: 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default: 2)")
    parser.add_argument("--actors", type=int, default=512, help="independent seeded users per scenario")
    parser.add_argument("--load-generator", choices=["wrk", "python"], default="wrk")
    parser.add_argument("--skip-prism", action="store_true", help="no Prism rows (and so no baseline ratios)")
    parser.add_argument("--skip-session", action="store_true", help="no row through a session's /s/<id>/ URL")
    parser.add_argument("--skip-redis", action="store_true", help="no Redis-engine rows")
    parser.add_argument("--skip-wiremock", action="store_true", help="no WireMock row")
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
    if args.jit_warmup < 0:
        parser.error("--jit-warmup must not be negative")
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


def row_names(args: argparse.Namespace) -> list[str]:
    """The rows of every scenario's table, in order."""
    names = [OURS]
    if not args.skip_session:
        names.append(MEMORY_SESSION)
    if not args.skip_redis:
        names += [REDIS, REDIS_2]
    if not args.skip_prism:
        names += [PRISM_DEFAULT, PRISM_SILENT]
    if not args.skip_wiremock:
        names.append(WIREMOCK)
    return names


def plan_text(args: argparse.Namespace) -> str:
    """What a run with these arguments measures."""
    lines = [
        f"scenarios: {', '.join(args.scenarios)}",
        f"servers: {'; '.join(row_names(args))}",
        f"load: {args.load_generator}, {args.connections} connections, {args.threads} threads, "
        f"{args.warmup:g} s warm-up (+{args.jit_warmup:g} s for Prism and WireMock), {args.rounds} x "
        f"{args.duration:g} s per server (order rotated each round)",
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


# Made-up figures per row for --dry-run: req/s, p50, p99, peak RSS MiB, CPU cores.
_SAMPLE_FIGURES = {
    MEMORY: (2000, 30, 45, 90, 1.0),
    MEMORY_SESSION: (1950, 31, 46, 90, 1.0),
    REDIS: (1200, 50, 80, 100, 1.4),
    REDIS_2: (1800, 35, 60, 190, 1.9),
    PRISM_DEFAULT: (900, 60, 160, 120, 1.0),
    PRISM_SILENT: (1500, 40, 90, 110, 1.0),
    WIREMOCK: (1100, 50, 120, 600, 1.8),
}


def sample_report(args: argparse.Namespace) -> str:
    """The report's layout filled with made-up numbers (``--dry-run``)."""

    def row(name: str) -> ServerRow:
        rps, p50, p99, mib, cores = _SAMPLE_FIGURES[name]
        runs = [LoadResult(int(rps * args.duration), args.duration, p50, p99, p99 * 2, 0, 0)] * args.rounds
        measured = args.duration * args.rounds
        made_up = ServerRow(name, name in (MEMORY, MEMORY_SESSION, REDIS, REDIS_2), runs, mib * 1024)
        made_up.cpu_s, made_up.measured_s = cores * measured, measured
        if name == REDIS_2:
            made_up.memory_parts = [("mockserver", 30 * 1024), ("python3", 75 * 1024), ("python3", 75 * 1024)]
            made_up.memory_parts.append(("redis-server", 10 * 1024))
        if name == WIREMOCK:
            made_up.note = WIREMOCK_NOTE
        if name in (REDIS, REDIS_2):
            made_up.redis = {"cpu_s": 0.2 * measured, "rss_before_kib": 8192, "rss_after_kib": 10240, "peak_kib": 10240}
        return made_up

    rows = [row(name) for name in row_names(args)]
    result = ScenarioResult(
        "sample", "SAMPLE (made-up numbers)", "nothing was run", _settings(args), rows, args.connections
    )
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
        f"{args.warmup:g} s warm-up, +{args.jit_warmup:g} s for JIT runtimes"
    )


def _log(message: str) -> None:
    print(message, flush=True)


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class Bench:
    """One benchmark run."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.wrk = ensure_wrk(_log) if args.load_generator == "wrk" else None
        self.prism = None if args.skip_prism else ensure_prism(_log)
        # Redis and WireMock rows that cannot run here say why in their row instead.
        self.redis_server: str | None = None
        self.redis_missing = ""
        if not args.skip_redis:
            self.redis_server = find_redis_server()
            if self.redis_server is None:
                self.redis_missing = "redis-server is not installed (Debian: apt-get install redis-server)"
        self.java: str | None = None
        self.wiremock_jar: Path | None = None
        self.wiremock_missing = ""
        if not args.skip_wiremock:
            self.java = find_java()
            if self.java is None:
                self.wiremock_missing = "java is not installed (Debian: apt-get install openjdk-17-jre-headless)"
            else:
                try:
                    self.wiremock_jar = ensure_wiremock(_log)
                except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
                    self.wiremock_missing = f"WireMock could not be installed: {_why(exc)}"

    def load(self, contender: Contender, seconds: float) -> LoadResult:
        """One timed run against one server."""
        server = contender.server
        assert server is not None
        if self.wrk is not None:
            assert contender.script is not None
            return run_wrk(
                self.wrk,
                server.base_url,
                contender.script,
                duration_s=seconds,
                connections=self.args.connections,
                threads=self.args.threads,
            )
        return run_python(
            server.base_url, contender.cycles, server.prefix, duration_s=seconds, connections=self.args.connections
        )

    def contenders(self, scenario: Scenario) -> list[Contender]:
        """Every row of the scenario, not started yet (WireMock's server comes once its stubs exist)."""
        args = self.args
        rows = [self._ours(scenario, OURS)]
        if not args.skip_session:
            rows.append(self._ours(scenario, MEMORY_SESSION))
        if not args.skip_redis:
            rows += [self._ours(scenario, REDIS), self._ours(scenario, REDIS_2, "--workers", "2")]
        if self.prism is not None:
            spec = ROOT / "specs" / scenario.spec
            for name, silent in ((PRISM_DEFAULT, False), (PRISM_SILENT, True)):
                port = free_port()
                command = prism_command(self.prism, spec, port, silent)
                server = Server(name, command, port, "", self._log_path(name))
                rows.append(Contender(ServerRow(name, False), server, jit=True))
        if not args.skip_wiremock:
            row = ServerRow(WIREMOCK, False, unavailable=self.wiremock_missing or None, note=WIREMOCK_NOTE)
            rows.append(Contender(row, jit=True))
        return rows

    def _log_path(self, name: str) -> Path:
        return self.work / ("".join(c if c.isalnum() else "-" for c in name) + ".log")

    def _ours(self, scenario: Scenario, name: str, *options: str) -> Contender:
        port = free_port()
        row = ServerRow(name, True)
        redis = None
        extra: list[str] = []
        if name not in (OURS, MEMORY_SESSION):
            if self.redis_server is None:
                row.unavailable = self.redis_missing
                return Contender(row)
            redis = RedisServer(self.redis_server)
            extra = ["--state", redis.url, *options]
        server = Server(name, mockserver_command(port, *extra), port, f"/{scenario.api}", self._log_path(name))
        return Contender(row, server, redis)

    def scenario(self, scenario: Scenario) -> ScenarioResult:
        """Every row's runs on one scenario."""
        args = self.args
        contenders = self.contenders(scenario)
        ours = [c for c in contenders if c.row.ours]
        memory = ours[0]
        wiremock = next((c for c in contenders if c.name == WIREMOCK), None)
        try:
            for contender in contenders:
                contender.start()
            for contender in contenders:
                contender.wait_ready("/__admin/health" if contender.row.ours else "/")
                if contender.row.unavailable is not None:
                    _log(f"  {contender.name}: not available: {contender.row.unavailable}")
            if not memory.available:
                raise RuntimeError(f"{memory.name} did not start: {memory.row.unavailable}")
            for contender in ours:
                self._seed(scenario, contender)
            if not memory.available:
                raise RuntimeError(f"{memory.name} could not be seeded: {memory.row.unavailable}")
            if wiremock is not None and wiremock.row.unavailable is None:
                self._start_wiremock(scenario, memory, wiremock)
            for contender in contenders:
                if contender.available and not contender.row.ours:
                    contender.cycles = memory.cycles
                if contender.available and contender.server is not None:
                    contender.script = self.work / f"{scenario.key}-{contender.server.port}.lua"
                    contender.script.write_text(lua_script(contender.cycles, contender.server.prefix), encoding="utf-8")
            measured = [c for c in contenders if c.available]
            for contender in measured:
                contender.before_load()
            for contender in measured:
                seconds = args.warmup + (args.jit_warmup if contender.jit else 0.0)
                if seconds > 0:
                    self.load(contender, seconds)
                    time.sleep(SETTLE_S)
            for round_index in range(args.rounds):
                shift = round_index % len(measured)
                for contender in measured[shift:] + measured[:shift]:
                    result = contender.measure(partial(self.load, contender, args.duration))
                    time.sleep(SETTLE_S)
                    _log(run_line(round_index + 1, contender.name, result))
            for contender in measured:
                contender.after_load()
        finally:
            for contender in contenders:
                contender.stop()
        return ScenarioResult(
            scenario.key,
            scenario.title,
            scenario.what,
            _settings(args),
            [c.row for c in contenders],
            args.connections,
        )

    def _seed(self, scenario: Scenario, contender: Contender) -> None:
        """Switch rate limits off and seed the scenario's actors on one of our servers."""
        from mockserver.admin import HttpAdmin
        from mockserver.errors import AdminError

        if not contender.available:
            return
        assert contender.server is not None
        server = contender.server
        try:
            base_url = server.base_url
            token = None
            if contender.name == MEMORY_SESSION:
                with HttpAdmin(server.base_url) as root:
                    session = root.create_session(name="bench")
                base_url, token = f"{server.base_url}/s/{session['id']}", session["token"]
                server.prefix = f"/s/{session['id']}{server.prefix}"
            with HttpAdmin(base_url, token=token) as admin:
                admin.update_settings({"rate_limits": False})
                contender.cycles = scenario.actors(admin, self.args.actors)
        except (AdminError, httpx.HTTPError) as exc:
            contender.give_up(f"seeding through the control plane failed: {_why(exc)}")
            _log(f"  {contender.name}: not available: {contender.row.unavailable}")

    def _start_wiremock(self, scenario: Scenario, memory: Contender, wiremock: Contender) -> None:
        """Stubs from what the fake answers one more actor of the scenario; then start WireMock and check them."""
        from mockserver.admin import HttpAdmin

        assert memory.server is not None and self.java is not None and self.wiremock_jar is not None
        with HttpAdmin(memory.server.base_url) as admin:
            probe = scenario.actors(admin, 1)[0]
        answers = send_cycle(memory.server.base_url + memory.server.prefix, probe)
        try:
            mappings = stub_mappings([*memory.cycles, probe], answers)
        except ValueError as exc:
            wiremock.give_up(f"no stub for this scenario: {exc}")
            return
        root = self.work / f"wiremock-{scenario.key}"
        write_mappings(root, mappings)
        port = free_port()
        wiremock.server = Server(
            WIREMOCK, wiremock_command(self.java, self.wiremock_jar, port, root), port, "", self._log_path(WIREMOCK)
        )
        wiremock.start()
        wiremock.wait_ready("/__admin/health")
        if not wiremock.available:
            _log(f"  {WIREMOCK}: not available: {wiremock.row.unavailable}")
            return
        stubbed = send_cycle(wiremock.server.base_url, probe)
        for step, (fake, stub) in enumerate(zip(answers, stubbed, strict=True)):
            if (stub.status, stub.body) != (fake.status, fake.body):
                wiremock.give_up(
                    f"its stub answered step {step + 1} with {stub.status} {stub.body[:200]!r}, "
                    f"the fake with {fake.status}"
                )
                _log(f"  {WIREMOCK}: not available: {wiremock.row.unavailable}")
                return

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
