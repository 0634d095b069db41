"""Turning measurements into the printed report (and its JSON twin). No I/O, no timing here."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .load import LoadResult

NOT_AVAILABLE = "n/a (not available)"

# The targets the report reads against (they are never asserted anywhere).
TARGET_VS_PRISM_DEFAULT = 2.0
TARGET_VS_PRISM_SILENT = 1.2
TARGET_P99_MS = 50.0
TARGET_STARTUP_S = 1.0


@dataclass
class ServerRow:
    """One server's runs on one scenario."""

    name: str
    ours: bool
    runs: list[LoadResult] = field(default_factory=list)
    peak_rss_kib: int | None = None

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


@dataclass
class ScenarioResult:
    """Every server's runs on one scenario, plus how the runs were made."""

    key: str
    title: str
    what: str
    settings: str
    rows: list[ServerRow]

    @property
    def ours(self) -> ServerRow:
        """Our server's row."""
        return next(row for row in self.rows if row.ours)

    def ratio(self, other: ServerRow) -> float | None:
        """Our median requests/s over ``other``'s."""
        return self.ours.rps / other.rps if other.rps else None

    def round_ratios(self, other: ServerRow) -> list[float]:
        """Ours over ``other``'s, round by round (runs of the same round are back to back)."""
        return [a.rps / b.rps for a, b in zip(self.ours.runs, other.runs, strict=False) if b.rps]


def run_line(round_number: int, name: str, result: LoadResult) -> str:
    """The progress line printed after one measured run."""
    return (
        f"  round {round_number}: {name:<24} {result.rps:8,.0f} req/s  "
        f"p99 {result.p99_ms:7.1f} ms  non-2xx {result.non_2xx}  socket errors {result.socket_errors}"
    )


def _mib(kib: int | None) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else "n/a"


def _ratio_text(result: ScenarioResult, row: ServerRow) -> str:
    if row.ours:
        return "-"
    ratio = result.ratio(row)
    if ratio is None:
        return "n/a"
    rounds = result.round_ratios(row)
    spread = f" ({min(rounds):.2f}-{max(rounds):.2f})" if len(rounds) > 1 else ""
    return f"{ratio:.2f}x{spread}"


def format_scenario(result: ScenarioResult) -> str:
    """One scenario's table."""
    header = (
        f"{'server':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'sock err':>8} {'peak RSS':>9}  ours/this (per round)"
    )
    lines = [f"{result.title}  [{result.settings}]", header, "-" * len(header)]
    for row in result.rows:
        lines.append(
            f"{row.name:<26} {row.rps:>8,.0f} {row.p50_ms:>8.1f} {row.p99_ms:>8.1f} {row.non_2xx:>8} "
            f"{row.socket_errors:>8} {_mib(row.peak_rss_kib):>9}  {_ratio_text(result, row)}"
        )
    lines.append(f"measured: {result.what}")
    return "\n".join(lines)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def format_targets(results: Sequence[ScenarioResult], extras: dict[str, Any]) -> str:
    """The targets, read from the measurements (never asserted)."""
    lines = ["Targets (read from the numbers above; nothing here is asserted):"]
    for result in results:
        ours = result.ours
        for row in result.rows:
            if row.ours:
                continue
            target = TARGET_VS_PRISM_SILENT if "silent" in row.name else TARGET_VS_PRISM_DEFAULT
            ratio = result.ratio(row)
            ok = None if ratio is None else ratio >= target
            shown = "n/a" if ratio is None else f"{ratio:.2f}x"
            lines.append(f"  {result.title}: ours/{row.name} {shown} (target >= {target}x): {_verdict(ok)}")
        lines.append(
            f"  {result.title}: our p99 {ours.p99_ms:.1f} ms, worst run {ours.worst_p99_ms:.1f} ms "
            f"(target <= {TARGET_P99_MS:.0f} ms): {_verdict(ours.worst_p99_ms <= TARGET_P99_MS if ours.runs else None)}"
        )
        errors = ours.non_2xx + ours.socket_errors
        lines.append(
            f"  {result.title}: our errors {ours.non_2xx} non-2xx, {ours.socket_errors} socket "
            f"(target 0): {_verdict(errors == 0 if ours.runs else None)}"
        )
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
