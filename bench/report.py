"""Turning measurements into the printed report (and its JSON twin). No I/O, no timing here."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .load import LoadResult

NOT_AVAILABLE = "n/a (not available)"

# Row names. The first three are this project's server; PRISM_DEFAULT is the baseline every row's
# ratio is taken against.
MEMORY = "mockserver memory, 1 worker"
MEMORY_SESSION = "mockserver memory, /s/<id>/"
"""The memory engine again, every request sent through a session's URL (``/s/<id>/<api>/...``)."""
REDIS = "mockserver Redis, 1 worker"
REDIS_2 = "mockserver Redis, 2 workers"
PRISM_DEFAULT = "Prism (default logging)"
PRISM_SILENT = "Prism (-v silent)"
WIREMOCK = "WireMock 3.13 standalone"
BASELINE = PRISM_DEFAULT

# The targets the report reads against (they are never asserted anywhere).
TARGET_VS_PRISM_DEFAULT = 2.0
TARGET_VS_PRISM_SILENT = 1.2
TARGET_REDIS_2_VS_PRISM_DEFAULT = 1.5
TARGET_P99_MS = 50.0
TARGET_P99_CONNECTIONS = 64
TARGET_STARTUP_S = 1.0


@dataclass
class ServerRow:
    """One server's runs on one scenario, and what its processes cost meanwhile."""

    name: str
    ours: bool
    runs: list[LoadResult] = field(default_factory=list)
    peak_rss_kib: int | None = None  # the peaks (VmHWM) of every process of the row, added up
    unavailable: str | None = None  # why the row was not measured
    cpu_s: float = 0.0  # CPU time of every process of the row during the measured runs
    measured_s: float = 0.0  # wall time of the measured runs
    memory_parts: list[tuple[str, int]] = field(default_factory=list)  # (process, peak KiB) when several
    redis: dict[str, float] | None = None  # redis-server's cpu_s, rss_before_kib, rss_after_kib, peak_kib
    note: str | None = None  # how the server was run, printed under the table

    @property
    def rps(self) -> float:
        """Median requests per second over the runs."""
        return statistics.median(r.rps for r in self.runs) if self.runs else 0.0

    @property
    def p50_ms(self) -> float:
        """Median over the runs of each run's median latency."""
        return statistics.median(r.p50_ms for r in self.runs) if self.runs else 0.0

    @property
    def p99_ms(self) -> float:
        """Median over the runs of each run's 99th percentile."""
        return statistics.median(r.p99_ms for r in self.runs) if self.runs else 0.0

    @property
    def worst_p99_ms(self) -> float:
        """The highest 99th percentile of any run."""
        return max((r.p99_ms for r in self.runs), default=0.0)

    @property
    def non_2xx(self) -> int:
        """Non-2xx answers, all runs together."""
        return sum(r.non_2xx for r in self.runs)

    @property
    def socket_errors(self) -> int:
        """Connect/read/write errors and timeouts, all runs together."""
        return sum(r.socket_errors for r in self.runs)

    @property
    def cores(self) -> float | None:
        """CPU seconds per wall second while measured (1.0 = one core busy), None before any run."""
        return self.cpu_s / self.measured_s if self.measured_s > 0 else None


def rps_ratio(row: ServerRow, base: ServerRow) -> float | None:
    """``row``'s median requests/s over ``base``'s (None when either was not measured)."""
    return row.rps / base.rps if row.runs and base.rps else None


def round_ratios(row: ServerRow, base: ServerRow) -> list[float]:
    """``row`` over ``base``, round by round (both ran in every round)."""
    return [a.rps / b.rps for a, b in zip(row.runs, base.runs, strict=False) if b.rps]


@dataclass
class ScenarioResult:
    """Every server's runs on one scenario, plus how the runs were made."""

    key: str
    title: str
    what: str
    settings: str
    rows: list[ServerRow]
    connections: int = TARGET_P99_CONNECTIONS

    @property
    def ours(self) -> ServerRow:
        """Our first row (the memory engine in ``make bench``)."""
        return next(row for row in self.rows if row.ours)

    def row(self, name: str) -> ServerRow | None:
        """The row called ``name``, if the run had one."""
        return next((row for row in self.rows if row.name == name), None)

    def ratio(self, other: ServerRow) -> float | None:
        """Our median requests/s over ``other``'s."""
        return rps_ratio(self.ours, other)

    def round_ratios(self, other: ServerRow) -> list[float]:
        """Ours over ``other``'s, round by round."""
        return round_ratios(self.ours, other)


def run_line(round_number: int, name: str, result: LoadResult) -> str:
    """The progress line printed after one measured run."""
    return (
        f"  round {round_number}: {name:<24} {result.rps:8,.0f} req/s  "
        f"p99 {result.p99_ms:7.1f} ms  non-2xx {result.non_2xx}  socket errors {result.socket_errors}"
    )


def _mib(kib: float | None) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "n/a"


def _ratio_text(row: ServerRow, base: ServerRow | None) -> str:
    if base is None:
        return "n/a (no baseline row)"
    if row is base:
        return "1.00x (baseline)"
    ratio = rps_ratio(row, base)
    if ratio is None:
        return "n/a"
    rounds = round_ratios(row, base)
    spread = f" ({min(rounds):.2f}-{max(rounds):.2f})" if len(rounds) > 1 else ""
    return f"{ratio:.2f}x{spread}"


_NAME_WIDTH = 29


def format_scenario(result: ScenarioResult) -> str:
    """One scenario's table: every row, its cost, and its ratio over the baseline (Prism, default logging)."""
    base = result.row(BASELINE)
    if base is not None and not base.runs:
        base = None
    header = (
        f"{'server':<{_NAME_WIDTH}} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
        f"{'sock err':>8} {'peak RSS':>9} {'CPU':>5}  req/s vs {BASELINE} (per round)"
    )
    lines = [f"{result.title}  [{result.settings}]", header, "-" * len(header)]
    notes = []
    for row in result.rows:
        if row.unavailable is not None:
            lines.append(f"{row.name:<{_NAME_WIDTH}} not available: {row.unavailable}")
            continue
        cores = "n/a" if row.cores is None else f"{row.cores:.2f}"
        lines.append(
            f"{row.name:<{_NAME_WIDTH}} {row.rps:>8,.0f} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} {row.non_2xx:>7} "
            f"{row.socket_errors:>8} {_mib(row.peak_rss_kib):>9} {cores:>5}  {_ratio_text(row, base)}"
        )
        note = _cost_note(row)
        if note:
            notes.append(f"  {row.name}: {note}")
    lines.append(f"measured: {result.what}")
    lines.append(
        "peak RSS: the peaks of every process of the row added up; CPU: CPU seconds of those processes "
        "per second of measured load (1.00 = one core)"
    )
    lines.extend(notes)
    return "\n".join(lines)


def _cost_note(row: ServerRow) -> str:
    """Where a row's memory and CPU went, when it is more than one process."""
    parts = [row.note] if row.note else []
    if len(row.memory_parts) > 1:
        shown = " + ".join(f"{name} {kib / 1024:.0f}" for name, kib in row.memory_parts)
        parts.append(f"peak RSS MiB = {shown}")
    if row.redis is not None:
        redis = row.redis
        share = f" of the row's {row.cpu_s:.1f} s" if row.cpu_s else ""
        parts.append(
            f"redis-server CPU {redis['cpu_s']:.1f} s{share} in {row.measured_s:.0f} s measured; "
            f"redis-server RSS {_mib(redis['rss_before_kib'])} before the load, "
            f"{_mib(redis['rss_after_kib'])} after, peak {_mib(redis['peak_kib'])}"
        )
    return "; ".join(parts)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def _ratio_target(result: ScenarioResult, row: ServerRow, base: ServerRow | None, target: float) -> str:
    ratio = None if base is None else rps_ratio(row, base)
    shown = "n/a" if ratio is None else f"{ratio:.2f}x"
    verdict = _verdict(None if ratio is None else ratio >= target)
    if row.unavailable is not None:
        verdict = "n/a (row not available)"
    base_name = BASELINE if base is None else base.name
    return f"  {result.title}: {row.name} / {base_name} {shown} (target >= {target}x): {verdict}"


def format_targets(results: Sequence[ScenarioResult], extras: dict[str, Any]) -> str:
    """The targets, read from the measurements (never asserted)."""
    lines = ["Targets (read from the numbers above; nothing here is asserted):"]
    for result in results:
        ours = result.ours
        default, silent = result.row(PRISM_DEFAULT), result.row(PRISM_SILENT)
        if default is not None:
            lines.append(_ratio_target(result, ours, default, TARGET_VS_PRISM_DEFAULT))
        if silent is not None:
            lines.append(_ratio_target(result, ours, silent, TARGET_VS_PRISM_SILENT))
        if ours.name == MEMORY and ours.runs:
            lines.append(
                f"  {result.title}: memory engine unchanged (figures only, compare with an earlier run): "
                f"{ours.rps:,.0f} req/s, p50 {ours.p50_ms:.1f} ms, p99 {ours.p99_ms:.1f} ms, "
                f"peak RSS {_mib(ours.peak_rss_kib)}"
            )
        in_session = result.row(MEMORY_SESSION)
        if in_session is not None:
            lines.append(_session_line(result, in_session))
        redis_2 = result.row(REDIS_2)
        if redis_2 is not None:
            lines.append(_ratio_target(result, redis_2, default, TARGET_REDIS_2_VS_PRISM_DEFAULT))
        for row in (row for row in result.rows if row.ours):
            lines.extend(_row_targets(result, row))
    startup = extras.get("startup_s")
    if isinstance(startup, dict) and startup.get("max") is not None:
        lines.append(
            f"  all fakes answer 200 after start: worst {startup['max']:.2f} s "
            f"(target <= {TARGET_STARTUP_S:.1f} s): {_verdict(startup['max'] <= TARGET_STARTUP_S)}"
        )
    soak = extras.get("soak")
    if isinstance(soak, dict) and soak.get("samples"):
        lines.append(f"  memory under sustained load: {soak['verdict']}")
    return "\n".join(lines)


def _session_line(result: ScenarioResult, row: ServerRow) -> str:
    """A request through ``/s/<id>/`` beside the default session's, measured in the same run."""
    default = result.row(MEMORY)
    if row.unavailable is not None or not row.runs or default is None or not default.runs:
        return f"  {result.title}: through /s/<id>/: n/a"
    ratio = rps_ratio(row, default)
    share = "" if ratio is None else f" = {ratio:.0%} of"
    return (
        f"  {result.title}: through /s/<id>/ (figures only): {row.rps:,.0f} req/s, p50 {row.p50_ms:.1f} ms, "
        f"p99 {row.p99_ms:.1f} ms{share} the default session's {default.rps:,.0f} req/s (same run)"
    )


def _row_targets(result: ScenarioResult, row: ServerRow) -> list[str]:
    """The p99 and zero-errors lines of one of our rows."""
    if row.unavailable is not None or not row.runs:
        why = "n/a (row not available)" if row.unavailable is not None else "n/a"
        return [
            f"  {result.title}: {row.name} p99 (target <= {TARGET_P99_MS:.0f} ms at "
            f"{TARGET_P99_CONNECTIONS} connections): {why}",
            f"  {result.title}: {row.name} errors (target 0): {why}",
        ]
    if result.connections == TARGET_P99_CONNECTIONS:
        p99_verdict = _verdict(row.worst_p99_ms <= TARGET_P99_MS)
    else:
        p99_verdict = f"n/a (measured at {result.connections} connections)"
    errors = row.non_2xx + row.socket_errors
    return [
        f"  {result.title}: {row.name} p99 worst run {row.worst_p99_ms:.1f} ms at {result.connections} connections "
        f"(target <= {TARGET_P99_MS:.0f} ms at {TARGET_P99_CONNECTIONS} connections): {p99_verdict}",
        f"  {result.title}: {row.name} errors {row.non_2xx} non-2xx, {row.socket_errors} socket "
        f"(target 0): {_verdict(errors == 0)}",
    ]


def _seconds(value: Any) -> str:
    return NOT_AVAILABLE if value is None else f"{value:.2f} s"


def format_extras(extras: dict[str, Any]) -> str:
    """Startup, fixture, memory and suite timings."""
    lines = ["Other measurements:"]
    startup = extras.get("startup_s")
    if isinstance(startup, dict) and startup.get("runs"):
        runs = ", ".join(f"{s:.2f}" for s in startup["runs"])
        lines.append(
            f"  process start -> first 200 from every fake ({', '.join(startup['apis'])}): "
            f"median {startup['median']:.2f} s, worst {startup['max']:.2f} s (runs: {runs})"
        )
        if startup.get("bytecode"):
            lines.append(f"    package bytecode: {startup['bytecode']}")
        if startup.get("missing"):
            lines.append(f"    no probe for: {', '.join(startup['missing'])}")
    else:
        lines.append(f"  process start -> first 200 from every fake: {NOT_AVAILABLE}")
    fixture = extras.get("fixture_s")
    if isinstance(fixture, dict):
        lines.append(
            f"  pytest fixture (fake_server) ready: setup {fixture['setup']:.2f} s; "
            f"whole one-test pytest run {fixture['total']:.2f} s"
        )
    else:
        lines.append(f"  pytest fixture (fake_server) ready: {NOT_AVAILABLE}")
    records = extras.get("records")
    if isinstance(records, dict):
        lines.append(
            f"  RSS with {records['count']:,} stored records ({records['what']}): "
            f"{_mib(records['rss_kib'])} (empty: {_mib(records['empty_rss_kib'])}; seeding took {records['seed_s']:.1f} s)"
        )
    else:
        lines.append(f"  RSS with 100,000 stored records: {NOT_AVAILABLE}")
    soak = extras.get("soak")
    if isinstance(soak, dict) and soak.get("samples"):
        samples = soak["samples"]
        shown = ", ".join(f"{kib / 1024:.0f}" for kib in samples)
        lines.append(
            f"  sustained load ({soak['what']}): RSS MiB every {soak['interval_s']:.0f} s: {shown}; "
            f"journal {soak['journal']} entries (cap {soak['journal_cap']})"
        )
    else:
        lines.append(f"  memory under sustained load: {NOT_AVAILABLE}")
    lines.append(f"  contract suites (pytest contracts/): {_timed(extras.get('contracts'))}")
    lines.append(f"  Schemathesis CI profile (mockserver fuzz): {_timed(extras.get('fuzz'))}")
    return "\n".join(lines)


def _timed(value: Any) -> str:
    if not isinstance(value, dict):
        return NOT_AVAILABLE
    status = "passed" if value["returncode"] == 0 else f"exit code {value['returncode']}"
    return f"{value['seconds']:.1f} s wall ({status}; {value['command']})"


def soak_verdict(samples: Sequence[int], tolerance: float = 0.05) -> str:
    """Whether RSS levelled off: the last third grows less than ``tolerance`` over the middle third."""
    if len(samples) < 3:
        return "too few samples"
    third = len(samples) // 3
    middle = max(samples[third : 2 * third] or samples[:1])
    last = max(samples[2 * third :])
    growth = (last - middle) / middle if middle else 0.0
    shape = "bounded (flat)" if growth < tolerance else "STILL GROWING"
    return (
        f"{shape}: peak of the last third {last / 1024:.0f} MiB vs middle third {middle / 1024:.0f} MiB ({growth:+.1%})"
    )


def to_json(results: Sequence[ScenarioResult], extras: dict[str, Any], machine: dict[str, str]) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    return {
        "machine": machine,
        "baseline": BASELINE,
        "scenarios": [
            {
                "key": r.key,
                "title": r.title,
                "what": r.what,
                "settings": r.settings,
                "servers": [
                    {
                        "name": row.name,
                        "rps": round(row.rps, 1),
                        "p50_ms": round(row.p50_ms, 2),
                        "p99_ms": round(row.p99_ms, 2),
                        "non_2xx": row.non_2xx,
                        "socket_errors": row.socket_errors,
                        "peak_rss_kib": row.peak_rss_kib,
                        "memory_parts_kib": row.memory_parts,
                        "cpu_s": round(row.cpu_s, 2),
                        "measured_s": round(row.measured_s, 2),
                        "redis": row.redis,
                        "unavailable": row.unavailable,
                        "ratio_over_baseline": _baseline_ratio(r, row),
                        "ratio_ours_over_this": None if row.ours else r.ratio(row),
                        "runs": [run.to_dict() for run in row.runs],
                    }
                    for row in r.rows
                ],
            }
            for r in results
        ],
        "extras": extras,
    }


def _baseline_ratio(result: ScenarioResult, row: ServerRow) -> float | None:
    base = result.row(BASELINE)
    return None if base is None else rps_ratio(row, base)
