"""The benchmark harness's pure parts: arguments, the wrk script and its result line, the report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest

from bench import profile_served, run
from bench.load import LoadResult, _lua_string, lua_script, parse_wrk_output
from bench.report import (
    TARGET_P99_CONNECTIONS,
    TARGET_P99_MS,
    TARGET_REDIS_2_VS_PRISM_DEFAULT,
    TARGET_STARTUP_S,
    TARGET_VS_PRISM_DEFAULT,
    TARGET_VS_PRISM_SILENT,
    ScenarioResult,
    ServerRow,
    format_scenario,
    format_targets,
    soak_verdict,
    to_json,
)
from bench.scenarios import DEFAULT_SCENARIOS, Request

ROOT = Path(__file__).resolve().parents[2]

# -- bench/run.py --dry-run ---------------------------------------------------------------------


def test_dry_run_prints_the_plan_and_a_sample_labelled_as_made_up(tmp_path: Path) -> None:
    # An empty PATH: no wrk, npm, node or apt-get to reach for, so any attempt to install or run
    # them would fail the run; --json must not be written either, since nothing is measured.
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--dry-run", "--json", str(out)],
        cwd=ROOT,
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert completed.returncode == 0, completed.stderr
    stdout = completed.stdout
    lines = stdout.splitlines()
    assert lines[0] == f"scenarios: {', '.join(DEFAULT_SCENARIOS)}"
    assert lines[1] == (
        f"servers: {run.OURS}; {run.MEMORY_SESSION}; {run.REDIS}; {run.REDIS_2}; {run.PRISM_DEFAULT}; "
        f"{run.PRISM_SILENT}; {run.WIREMOCK}"
    )
    assert lines[2].startswith(
        "load: wrk, 64 connections, 2 threads, 3 s warm-up (+20 s for Prism and WireMock), 3 x 10 s per server"
    )
    assert lines[3].startswith("extras: start-up x5")
    assert lines[4].startswith("machine: ")
    assert lines[5] == ""
    assert lines[6] == "SAMPLE REPORT: every number below is made up, to show the layout; nothing was run."
    assert lines[8].startswith("SAMPLE (made-up numbers)  [")
    assert "measured: nothing was run" in lines
    assert "Targets (read from the numbers above; nothing here is asserted):" in lines
    assert "Other measurements:" in lines
    # Every scenario line of the targets names the sample, not a real scenario: the two ratios of
    # the memory engine, its figures and those through a session, Redis with 2 workers against Prism,
    # p99 and errors of each of our rows.
    scenario_targets = [line for line in lines if line.startswith("  SAMPLE (made-up numbers): ")]
    assert len(scenario_targets) == 13
    table = stdout[stdout.index("SAMPLE (made-up numbers)  [") : stdout.index("measured: nothing was run")]
    for name in (run.OURS, run.MEMORY_SESSION, run.REDIS, run.REDIS_2, run.PRISM_DEFAULT, run.PRISM_SILENT):
        assert f"\n{name} " in table
    assert any(line.startswith("  SAMPLE (made-up numbers): through /s/<id>/ (figures only): ") for line in lines)
    assert "round 1:" not in stdout
    assert not out.exists()


def test_dry_run_without_extras_shows_no_sample_extras() -> None:
    stdout = subprocess.run(
        [sys.executable, "bench/run.py", "--dry-run", "--skip-extras"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert "extras: skipped" in stdout
    assert "Other measurements:" not in stdout
    assert "all fakes answer 200 after start" not in stdout


class _Forbidden:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("--dry-run must not build a benchmark run")


def test_dry_run_installs_starts_and_measures_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("--dry-run must not install, start or measure anything")

    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def popen(command: Any, *args: Any, **kwargs: Any) -> Any:
        started.append(list(command))
        if list(command)[:1] != ["free"]:
            raise AssertionError(f"--dry-run started {command}")
        return real_popen(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(run, "Bench", _Forbidden)
    for name in ("ensure_wrk", "ensure_prism", "ensure_wiremock", "find_redis_server", "run_wrk", "run_python"):
        monkeypatch.setattr(run, name, forbidden)
    monkeypatch.setattr(run.Server, "start", forbidden)
    monkeypatch.setattr(run.extras, "served_apis", forbidden)

    assert run.main(["--dry-run", "--skip-prism", "--skip-wiremock", "--json", str(tmp_path / "r.json")]) == 0

    stdout = capsys.readouterr().out
    assert all(command[:1] == ["free"] for command in started)
    assert not (tmp_path / "r.json").exists()
    assert f"servers: {run.OURS}; {run.MEMORY_SESSION}; {run.REDIS}; {run.REDIS_2}\n" in stdout
    table = stdout[stdout.index("SAMPLE (made-up numbers)") : stdout.index("measured: nothing was run")]
    assert run.OURS in table
    assert "\nPrism" not in table
    assert "WireMock" not in table
    assert "n/a (no baseline row)" in table


# -- parse_args ----------------------------------------------------------------------------------


def test_defaults_measure_every_default_scenario() -> None:
    args = run.parse_args([])
    assert args.scenarios == list(DEFAULT_SCENARIOS)
    assert (args.duration, args.warmup, args.rounds, args.soak, args.skip_suites) == (10.0, 3.0, 3, 30.0, False)
    assert args.jit_warmup == 20.0
    assert not (args.skip_prism or args.skip_redis or args.skip_wiremock)


def test_quick_applies_its_settings() -> None:
    args = run.parse_args(["--quick", "vcita-disable"])
    assert (args.duration, args.warmup, args.rounds, args.soak, args.skip_suites) == (5.0, 1.0, 1, 10.0, True)
    assert args.jit_warmup == 10.0
    assert args.scenarios == ["vcita-disable"]
    assert (args.connections, args.threads, args.actors) == (64, 2, 512)


def _rejected(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        run.parse_args(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err


def test_an_unknown_scenario_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    err = _rejected(["vcita-disable", "vcita-nope"], capsys)
    assert "unknown scenario 'vcita-nope'; known: vcita-disconnect, vcita-disable" in err


@pytest.mark.parametrize("name", ["duration", "rounds", "connections", "threads", "actors"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_non_positive_sizes_are_rejected(name: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = _rejected([f"--{name}={value}"], capsys)
    assert f"error: --{name} must be positive" in err


def test_fewer_actors_than_connections_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    err = _rejected(["--actors", "63", "--connections", "64"], capsys)
    assert "error: --actors must be at least --connections" in err


@pytest.mark.parametrize("name", ["startup-runs", "records"])
def test_non_positive_extras_sizes_are_rejected(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert f"error: --{name} must be positive" in _rejected([f"--{name}=0"], capsys)


@pytest.mark.parametrize("name", ["warmup", "soak", "jit-warmup"])
def test_negative_durations_are_rejected_and_zero_is_accepted(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert f"error: --{name} must not be negative" in _rejected([f"--{name}=-1"], capsys)
    assert getattr(run.parse_args([f"--{name}=0"]), name.replace("-", "_")) == 0


def test_more_threads_than_connections_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    err = _rejected(["--threads", "9", "--connections", "8", "--actors", "8"], capsys)
    assert "error: --threads must not exceed --connections" in err


def test_values_given_with_quick_win_over_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    args = run.parse_args(["--quick", "--duration", "3", "--rounds", "4"])
    assert (args.duration, args.rounds, args.warmup, args.soak, args.skip_suites) == (3.0, 4, 1.0, 10.0, True)
    assert "error: --duration must be positive" in _rejected(["--quick", "--duration=-1"], capsys)


def test_as_many_actors_as_connections_is_accepted() -> None:
    args = run.parse_args(["--actors", "8", "--connections", "8", "--threads", "1"])
    assert (args.actors, args.connections, args.threads) == (8, 8, 1)


# -- the wrk script ------------------------------------------------------------------------------

_LUA_LITERAL = r'"(?:[^"\\]|\\[0-9]{3})*"'


def _lua_bytes(literal: str) -> bytes:
    """The bytes a Lua string literal made of plain characters and ``\\ddd`` escapes stands for."""
    assert literal[0] == literal[-1] == '"'
    parts = re.split(r"\\([0-9]{3})", literal[1:-1])
    out = bytearray()
    for index, part in enumerate(parts):
        if index % 2:
            out.append(int(part))
        else:
            assert "\\" not in part and '"' not in part, literal
            out += part.encode("ascii")
    return bytes(out)


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "C:\\temp\\new",
        '\\"',
        "caf\u00e9 \u2603 \U0001f600",
        "line\nbreak\ttab\r\x00\x7f",
        '"1',  # an escape followed by a digit: Lua reads at most three digits
        b"\x00\xff\xfe raw \x80",
        bytes(range(256)),
        "",
    ],
)
def test_lua_string_is_printable_ascii_holding_exactly_the_bytes(value: str | bytes) -> None:
    literal = _lua_string(value)
    assert re.fullmatch(_LUA_LITERAL, literal)
    assert all(32 <= ord(char) < 127 for char in literal)
    expected = value.encode() if isinstance(value, str) else value
    assert _lua_bytes(literal) == expected


def test_lua_string_escapes_quotes_and_backslashes_as_decimal_bytes() -> None:
    assert _lua_string('a"b\\c') == '"a\\034b\\092c"'
    assert _lua_string("\u00e9") == '"\\195\\169"'
    assert _lua_string("plain /v2/calendars?x=1") == '"plain /v2/calendars?x=1"'


_CYCLES = [
    (
        Request("POST", "/platform/v1/x", {"Content-Type": "application/json", "X-Q": 'a"b'}, b'{"n":"\xc3\xa9\\"}'),
        Request("PUT", "/business/disconnect", {"Authorization": "Bearer t\u00f6k"}, b"{}"),
    ),
    (Request("GET", "/v2/calendars?limit=1", {}),),
]


def _actors_table_values(script: str) -> list[bytes | None]:
    table = script[script.index("local all_actors = ") : script.index("\nlocal counter")]
    return [None if token == "nil" else _lua_bytes(token) for token in re.findall(_LUA_LITERAL + r"|\bnil\b", table)]


@pytest.mark.parametrize("prefix", ["/vcita", ""])
def test_lua_script_holds_every_request_below_the_prefix(prefix: str) -> None:
    script = lua_script(_CYCLES, prefix)
    assert "-- generated by bench/load.py: 2 actors" in script
    expected: list[bytes | None] = []
    for cycle in _CYCLES:
        for request in cycle:
            expected += [request.method.encode(), (prefix + request.path).encode()]
            for key, value in request.headers.items():
                expected += [key.encode(), value.encode()]
            expected.append(request.body or None)
    assert _actors_table_values(script) == expected
    table = script[script.index("local all_actors = ") : script.index("\nlocal counter")]
    # One line per actor, each a table of its requests.
    assert len(table.split("},\n{")) == len(_CYCLES)


def test_lua_script_without_prefix_keeps_paths_as_they_are() -> None:
    values = _actors_table_values(lua_script(_CYCLES, ""))
    assert b"/v2/calendars?limit=1" in values
    assert not any(v is not None and v.startswith(b"/vcita") for v in values)


# -- the script's request order, run in a real Lua interpreter ---------------------------------


class _WrkThread:
    """What wrk's ``setup(thread)`` receives: ``thread:set`` makes a global in the thread's state."""

    def __init__(self, lua: Any) -> None:
        self.lua = lua

    def set(self, name: str, value: Any) -> None:
        self.lua.globals()[name] = value


def _wrk_threads(script: str, count: int) -> list[Any]:
    """Lua states set up and initialised the way wrk does it for ``count`` threads."""
    lupa = pytest.importorskip("lupa")
    stub = "wrk = {format = function(method, path, headers, body) return method .. ' ' .. path end}"
    main = lupa.LuaRuntime()
    main.execute(stub)
    main.execute(script)
    states = []
    for _ in range(count):
        state = lupa.LuaRuntime()
        state.execute(stub)
        state.execute(script)
        # setup() runs in wrk's main state, once per thread, before the thread's init().
        main.globals().setup(_WrkThread(state))
        state.globals().init(state.table(str(count)))
        states.append(state)
    return states


def test_wrk_script_gives_each_thread_its_own_actors_in_cycle_order() -> None:
    cycles = [(Request("POST", f"/a{i}/connect"), Request("PUT", f"/a{i}/disconnect")) for i in range(4)]
    first, second = _wrk_threads(lua_script(cycles, "/p"), 2)
    # wrk calls request() once per thread to check the script and never sends that request;
    # it must not use up an actor's step (an actor that lost its connect would get a 422).
    assert first.globals().request() == "POST /p/a0/connect"
    sent = [first.globals().request() for _ in range(6)]
    assert sent == [
        "POST /p/a0/connect",
        "POST /p/a2/connect",
        "PUT /p/a0/disconnect",
        "PUT /p/a2/disconnect",
        "POST /p/a0/connect",
        "POST /p/a2/connect",
    ]
    assert second.globals().request() == "POST /p/a1/connect"
    assert [second.globals().request() for _ in range(3)] == [
        "POST /p/a1/connect",
        "POST /p/a3/connect",
        "PUT /p/a1/disconnect",
    ]


# -- the BENCH_RESULT line -----------------------------------------------------------------------

# What wrk 4 printed for a rate-limited 1 s run, with a socket-error line added.
WRK_STDOUT = (
    "Running 1s test @ http://127.0.0.1:41621\n"
    "  2 threads and 8 connections\n"
    "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
    "    Latency     5.09ms    4.07ms  35.18ms   94.04%\n"
    "    Req/Sec     0.90k   135.50     1.05k    60.00%\n"
    "  1797 requests in 1.00s, 339.91KB read\n"
    "  Socket errors: connect 1, read 2, write 3, timeout 4\n"
    "  Non-2xx or 3xx responses: 1664\n"
    "Requests/sec:   1793.37\n"
    "Transfer/sec:    339.22KB\n"
    'BENCH_RESULT {"requests": 1797, "duration_us": 1002025, "p50_us": 3951, "p99_us": 26279, '
    '"max_us": 35184, "status": 1664, "connect": 1, "read": 2, "write": 3, "timeout": 4}\n'
)


def test_parse_wrk_output_reads_the_result_line() -> None:
    result = parse_wrk_output(WRK_STDOUT)
    assert result.requests == 1797
    assert result.duration_s == pytest.approx(1.002025)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == pytest.approx((3.951, 26.279, 35.184))
    assert result.non_2xx == 1664
    assert result.socket_errors == 1 + 2 + 3 + 4
    assert result.rps == pytest.approx(1797 / 1.002025)


def _lua_format_call(script: str) -> tuple[str, list[str]]:
    """The format string and argument expressions of the ``string.format`` in ``done()``."""
    done = script[script.index("function done(") :]
    call = done[done.index("string.format(") + len("string.format(") :]
    format_part, _, args_part = call.partition("summary.requests")
    pieces = re.findall(r'"((?:[^"\\]|\\.)*)"', format_part)
    unescaped = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), "".join(pieces))
    args = ("summary.requests" + args_part[: args_part.index("))")]).split(",")
    return unescaped, [arg.strip() for arg in args]


def test_the_line_the_generated_done_prints_parses_back() -> None:
    fmt, args = _lua_format_call(lua_script(_CYCLES, "/vcita"))
    values = {
        "summary.requests": 52_345,
        "summary.duration": 10_001_234,
        "latency:percentile(50)": 1_800,
        "latency:percentile(99)": 9_100,
        "latency.max": 250_000,
        "e.status": 7,
        "e.connect": 1,
        "e.read": 20,
        "e.write": 300,
        "e.timeout": 4_000,
    }
    assert sorted(args) == sorted(values)
    line = fmt % tuple(values[arg] for arg in args)  # Lua's %d formats as C's (and Python's)
    assert line.startswith("BENCH_RESULT {") and line.endswith("}\n")
    result = parse_wrk_output("Running 10s test @ http://127.0.0.1:1\n" + line + "\n")
    assert astuple(result) == pytest.approx((52_345, 10.001234, 1.8, 9.1, 250.0, 7, 4_321))


def test_parse_wrk_output_without_the_line_says_so_and_shows_the_output() -> None:
    stdout = WRK_STDOUT.replace("BENCH_RESULT", "RESULT")
    with pytest.raises(ValueError, match="wrk printed no result line") as raised:
        parse_wrk_output(stdout)
    assert "Transfer/sec:    339.22KB" in str(raised.value)


def test_parse_wrk_output_only_reads_a_whole_line() -> None:
    indented = WRK_STDOUT.replace("BENCH_RESULT", "  BENCH_RESULT")
    with pytest.raises(ValueError, match="wrk printed no result line"):
        parse_wrk_output(indented)


def test_parse_wrk_output_with_a_partial_line_fails_rather_than_reading_zeros() -> None:
    with pytest.raises(ValueError, match=r"unreadable result line \(KeyError\('p50_us'\)\)") as missing:
        parse_wrk_output('Running 1s test\nBENCH_RESULT {"requests": 10, "duration_us": 1000000}\n')
    assert "Running 1s test" in str(missing.value), "wrk's output is shown"
    with pytest.raises(ValueError, match="wrk printed no result line"):
        parse_wrk_output('BENCH_RESULT {"requests": 10, "duration_us": \n')
    with pytest.raises(ValueError, match="unreadable result line"):
        parse_wrk_output('BENCH_RESULT {"requests": 10, "duration_us": }\n')


# -- the report's targets ------------------------------------------------------------------------


def _run(rps: float, p99_ms: float = 10.0, non_2xx: int = 0, socket_errors: int = 0) -> LoadResult:
    return LoadResult(round(rps * 10), 10.0, p99_ms / 2, p99_ms, p99_ms * 2, non_2xx, socket_errors)


def _result(
    ours: list[LoadResult],
    default: list[LoadResult],
    silent: list[LoadResult],
    *more: ServerRow,
    connections: int = 64,
) -> ScenarioResult:
    rows = [
        ServerRow(run.OURS, True, ours),
        *more,
        ServerRow(run.PRISM_DEFAULT, False, default),
        ServerRow(run.PRISM_SILENT, False, silent),
    ]
    return ScenarioResult("s", "Scenario", "what", "settings", rows, connections)


def _verdict(text: str, fragment: str) -> str:
    [line] = [line for line in text.splitlines() if fragment in line]
    return line.rsplit("): ", 1)[1]


def test_the_target_constants_are_the_documented_ones() -> None:
    assert (TARGET_VS_PRISM_DEFAULT, TARGET_VS_PRISM_SILENT, TARGET_P99_MS, TARGET_STARTUP_S) == (2.0, 1.2, 50.0, 1.0)
    assert (TARGET_REDIS_2_VS_PRISM_DEFAULT, TARGET_P99_CONNECTIONS) == (1.5, 64)


@pytest.mark.parametrize(
    ("ours", "prism", "verdict"),
    [(2000, 1000, "PASS"), (3000, 1000, "PASS"), (1990, 1000, "FAIL"), (900, 1000, "FAIL")],
)
def test_ratio_target_against_prism_default_logging(ours: float, prism: float, verdict: str) -> None:
    text = format_targets([_result([_run(ours)], [_run(prism)], [_run(1)])], {})
    assert _verdict(text, f"{run.OURS} / {run.PRISM_DEFAULT}") == verdict
    assert f"{run.OURS} / {run.PRISM_DEFAULT} {ours / prism:.2f}x (target >= 2.0x)" in text


@pytest.mark.parametrize(
    ("ours", "prism", "verdict"),
    [(1200, 1000, "PASS"), (2000, 1000, "PASS"), (1190, 1000, "FAIL"), (1000, 1000, "FAIL")],
)
def test_ratio_target_against_prism_silent(ours: float, prism: float, verdict: str) -> None:
    text = format_targets([_result([_run(ours)], [_run(1)], [_run(prism)])], {})
    assert _verdict(text, f"{run.OURS} / {run.PRISM_SILENT}") == verdict
    assert f"{run.OURS} / {run.PRISM_SILENT} {ours / prism:.2f}x (target >= 1.2x)" in text


def test_each_prism_row_gets_its_own_target() -> None:
    # 1.5x is enough against the silent mock and not against the default one.
    text = format_targets([_result([_run(1500)], [_run(1000)], [_run(1000)])], {})
    assert _verdict(text, f"{run.OURS} / {run.PRISM_DEFAULT}") == "FAIL"
    assert _verdict(text, f"{run.OURS} / {run.PRISM_SILENT}") == "PASS"


def test_the_ratio_is_of_median_requests_per_second() -> None:
    ours = [_run(1000), _run(3000), _run(2000)]
    prism = [_run(1000), _run(5000), _run(900)]
    text = format_targets([_result(ours, prism, prism)], {})
    assert f"{run.OURS} / {run.PRISM_DEFAULT} 2.00x" in text
    assert _verdict(text, f"{run.OURS} / {run.PRISM_DEFAULT}") == "PASS"


@pytest.mark.parametrize(
    ("redis_2", "prism", "verdict"),
    [(1500, 1000, "PASS"), (2500, 1000, "PASS"), (1490, 1000, "FAIL"), (900, 1000, "FAIL")],
)
def test_redis_with_two_workers_against_prism_default_logging(redis_2: float, prism: float, verdict: str) -> None:
    # The memory engine's own ratio (10x here) does not count for the Redis target.
    row = ServerRow(run.REDIS_2, True, [_run(redis_2)])
    text = format_targets([_result([_run(10 * prism)], [_run(prism)], [_run(prism)], row)], {})
    assert _verdict(text, f"{run.REDIS_2} / {run.PRISM_DEFAULT}") == verdict
    assert f"{run.REDIS_2} / {run.PRISM_DEFAULT} {redis_2 / prism:.2f}x (target >= 1.5x)" in text


def test_rows_not_available_have_no_verdict_and_keep_their_reason_in_the_table() -> None:
    missing = ServerRow(run.REDIS_2, True, unavailable="mockserver: error: unrecognized arguments: --workers 2")
    result = _result([_run(3000)], [_run(1000)], [_run(1000)], missing)
    text = format_targets([result], {})
    assert _verdict(text, f"{run.REDIS_2} / {run.PRISM_DEFAULT}") == "n/a (row not available)"
    assert _verdict(text, f"{run.REDIS_2} p99") == "n/a (row not available)"
    assert _verdict(text, f"{run.REDIS_2} errors") == "n/a (row not available)"
    table = format_scenario(result)
    assert f"{run.REDIS_2}   not available: mockserver: error: unrecognized arguments: --workers 2" in table


def test_the_memory_engine_figures_are_printed_without_a_verdict() -> None:
    ours = ServerRow(run.OURS, True, [_run(6000, p99_ms=20.0)], peak_rss_kib=68 * 1024)
    text = format_targets([ScenarioResult("s", "Scenario", "what", "settings", [ours])], {})
    [line] = [line for line in text.splitlines() if "memory engine unchanged" in line]
    assert line.endswith("6,000 req/s, p50 10.0 ms, p99 20.0 ms, peak RSS 68 MiB")
    assert "PASS" not in line and "FAIL" not in line


@pytest.mark.parametrize(
    ("p99s", "verdict"),
    [
        ([50.0], "PASS"),
        ([12.0, 49.9, 50.0], "PASS"),
        ([50.1], "FAIL"),
        ([10.0, 80.0, 10.0], "FAIL"),  # the worst run counts, not the median
    ],
)
def test_p99_target(p99s: list[float], verdict: str) -> None:
    ours = [_run(1000, p99) for p99 in p99s]
    text = format_targets([_result(ours, [_run(100)], [_run(100)])], {})
    assert _verdict(text, f"{run.OURS} p99") == verdict
    assert f"worst run {max(p99s):.1f} ms at 64 connections (target <= 50 ms at 64 connections)" in text


def test_p99_target_applies_to_every_engine_row_and_not_to_the_others() -> None:
    redis = ServerRow(run.REDIS, True, [_run(1000, 80.0)])
    redis_2 = ServerRow(run.REDIS_2, True, [_run(1000, 30.0)])
    wiremock = ServerRow(run.WIREMOCK, False, [_run(1000, 900.0)])
    text = format_targets([_result([_run(1000, 20.0)], [_run(100)], [_run(100)], redis, redis_2, wiremock)], {})
    assert _verdict(text, f"{run.OURS} p99") == "PASS"
    assert _verdict(text, f"{run.REDIS} p99") == "FAIL"
    assert _verdict(text, f"{run.REDIS_2} p99") == "PASS"
    assert f"{run.WIREMOCK} p99" not in text


def test_p99_target_is_not_judged_at_another_number_of_connections() -> None:
    text = format_targets([_result([_run(1000, 20.0)], [_run(100)], [_run(100)], connections=32)], {})
    assert _verdict(text, f"{run.OURS} p99") == "n/a (measured at 32 connections)"


@pytest.mark.parametrize(
    ("runs", "verdict"),
    [
        ([_run(1000), _run(1000)], "PASS"),
        ([_run(1000), _run(1000, non_2xx=1)], "FAIL"),
        ([_run(1000, socket_errors=1), _run(1000)], "FAIL"),
    ],
)
def test_zero_errors_target(runs: list[LoadResult], verdict: str) -> None:
    text = format_targets([_result(runs, [_run(100)], [_run(100)])], {})
    assert _verdict(text, f"{run.OURS} errors") == verdict
    redis = ServerRow(run.REDIS, True, runs)
    text = format_targets([_result([_run(1000)], [_run(100)], [_run(100)], redis)], {})
    assert _verdict(text, f"{run.REDIS} errors") == verdict


def test_errors_on_prism_do_not_count_against_ours() -> None:
    text = format_targets([_result([_run(1000)], [_run(100, non_2xx=5)], [_run(100, socket_errors=5)])], {})
    assert _verdict(text, f"{run.OURS} errors") == "PASS"


def test_targets_without_runs_are_not_available() -> None:
    text = format_targets([_result([], [], [])], {})
    assert _verdict(text, f"{run.OURS} / {run.PRISM_DEFAULT}") == "n/a"
    assert _verdict(text, f"{run.OURS} / {run.PRISM_SILENT}") == "n/a"
    assert _verdict(text, f"{run.OURS} p99") == "n/a"
    assert _verdict(text, f"{run.OURS} errors") == "n/a"


@pytest.mark.parametrize(("worst", "verdict"), [(0.4, "PASS"), (1.0, "PASS"), (1.01, "FAIL")])
def test_startup_target(worst: float, verdict: str) -> None:
    text = format_targets([], {"startup_s": {"max": worst}})
    assert _verdict(text, "all fakes answer 200 after start") == verdict


def test_no_startup_or_soak_line_without_those_measurements() -> None:
    assert format_targets([], {}).splitlines() == ["Targets (read from the numbers above; nothing here is asserted):"]


def test_soak_verdict() -> None:
    assert soak_verdict([100_000] * 2) == "too few samples"
    assert soak_verdict([100_000] * 6).startswith("bounded (flat)")
    assert soak_verdict([100_000, 100_000, 100_000, 100_000, 110_000, 120_000]).startswith("STILL GROWING")


# -- the report's table ----------------------------------------------------------------------------


def _table_line(table: str, name: str) -> str:
    [line] = [line for line in table.splitlines() if line.startswith(name + " ")]
    return line


def test_every_row_is_compared_with_prism_default_logging_round_by_round() -> None:
    wiremock = ServerRow(run.WIREMOCK, False, [_run(500), _run(1500), _run(1000)])
    result = _result([_run(3000), _run(2000), _run(4000)], [_run(1000), _run(1000), _run(2000)], [], wiremock)
    table = format_scenario(result)
    assert "req/s vs Prism (default logging) (per round)" in table.splitlines()[1]
    assert _table_line(table, run.OURS).endswith("  3.00x (2.00-3.00)")  # medians 3000 / 1000
    assert _table_line(table, run.WIREMOCK).endswith("  1.00x (0.50-1.50)")
    assert _table_line(table, run.PRISM_DEFAULT).endswith("  1.00x (baseline)")
    assert _table_line(table, run.PRISM_SILENT).endswith("  n/a")


def test_without_prism_the_table_says_there_is_no_baseline() -> None:
    table = format_scenario(ScenarioResult("s", "Scenario", "what", "settings", [ServerRow(run.OURS, True, [_run(1)])]))
    assert _table_line(table, run.OURS).endswith("  n/a (no baseline row)")


def test_the_table_shows_cpu_per_measured_second_and_where_a_rows_memory_went() -> None:
    row = ServerRow(run.REDIS_2, True, [_run(1000)], peak_rss_kib=(30 + 70 + 72 + 9) * 1024)
    row.cpu_s, row.measured_s = 15.0, 10.0
    row.memory_parts = [("mockserver", 30 * 1024), ("python3", 70 * 1024), ("python3", 72 * 1024)]
    row.memory_parts.append(("redis-server", 9 * 1024))
    row.redis = {"cpu_s": 2.5, "rss_before_kib": 8 * 1024, "rss_after_kib": 9 * 1024, "peak_kib": 9 * 1024}
    table = format_scenario(_result([_run(1000)], [_run(500)], [_run(500)], row))
    assert "   181 MiB  1.50  2.00x" in _table_line(table, run.REDIS_2)
    assert (
        f"  {run.REDIS_2}: peak RSS MiB = mockserver 30 + python3 70 + python3 72 + redis-server 9; "
        "redis-server CPU 2.5 s of the row's 15.0 s in 10 s measured; "
        "redis-server RSS 8 MiB before the load, 9 MiB after, peak 9 MiB"
    ) in table.splitlines()


def test_to_json_carries_the_ratios_the_costs_and_every_run() -> None:
    missing = ServerRow(run.REDIS, True, unavailable="no such option")
    data = to_json([_result([_run(2000)], [_run(1000)], [_run(1600)], missing)], {}, {"nproc": "2"})
    data = json.loads(json.dumps(data))
    assert data["baseline"] == run.PRISM_DEFAULT
    servers = data["scenarios"][0]["servers"]
    assert [s["ratio_ours_over_this"] for s in servers] == [None, None, 2.0, 1.25]
    assert [s["ratio_over_baseline"] for s in servers] == [2.0, None, 1.0, 1.6]
    assert [s["unavailable"] for s in servers] == [None, "no such option", None, None]
    assert servers[0]["runs"][0]["rps"] == 2000.0


# -- bench/profile_served.py: samples grouped by layer ---------------------------------------------

_SERVING_ROOT = "<module> (mockserver:6);serve_forever (mockserver/server.py:98);BaseEventLoop._run_once (asyncio/base_events.py:1922)"


def test_layer_shares_take_the_innermost_layer_of_the_serving_thread_only() -> None:
    folded = "\n".join(
        [
            # the vendor handler called through the security layer: the handler's layer
            f"{_SERVING_ROOT};SecurityOperation.__call__ (connexion/middleware/security.py:111);"
            "disconnect (mockserver/vendors/vcita/handlers.py:52) 6",
            # the security layer itself
            f"{_SERVING_ROOT};SecurityOperation.__call__ (connexion/middleware/security.py:111) 3",
            # the event loop with nothing of ours on the stack
            f"{_SERVING_ROOT} 1",
            # an idle worker thread is not counted
            "Thread._bootstrap (threading.py:1002);Condition.wait (threading.py:327) 50",
            "not a sample line",
        ]
    )
    total, shares = profile_served.layer_shares(folded)
    assert total == 10
    assert shares == [
        ("vendor handler (state change, reply)", 0.6),
        ("auth: security handler and credential check", 0.3),
        ("asyncio event loop and socket transport", 0.1),
    ]


def test_a_frame_of_no_layer_is_other() -> None:
    assert profile_served.layer_of(["main (somewhere.py:1)"]) == "other"
    assert profile_served.layer_shares("") == (0, [])
