"""What one run found, per API: operations and examples exercised, and each check's failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_SHOWN = 200  # characters of a response body kept in a failure


@dataclass
class CheckTally:
    """How often one check passed and failed."""

    passed: int = 0
    failed: int = 0
    errored: int = 0


@dataclass(frozen=True)
class FailureDetail:
    """One distinct failure: a check, an operation, and a request that shows it."""

    check: str
    operation: str
    phase: str
    title: str
    message: str
    status: int | None
    response: str
    reproduce: str

    def describe(self) -> str:
        """A few lines for a terminal or a JUnit failure."""
        status = f" -> {self.status}" if self.status is not None else ""
        lines = [f"[{self.check}] {self.operation}{status} ({self.phase}): {self.title}"]
        lines += [f"    {line}" for line in self.message.splitlines() if line.strip()]
        if self.response:
            lines.append(f"    response: {self.response}")
        if self.reproduce:
            lines.append(f"    reproduce: {self.reproduce}")
        return "\n".join(lines)


@dataclass
class ApiReport:
    """The outcome of one Schemathesis run over one API."""

    api: str
    target: str
    profile: str
    seed: int | None
    operations: dict[str, Counter[str]] = field(default_factory=dict)
    """Operation label -> examples sent, by phase."""
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    """Operation label -> responses received, by status code."""
    checks: dict[str, CheckTally] = field(default_factory=dict)
    failures: list[FailureDetail] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)
    links: int = 0
    stateful_scenarios: int = 0
    left_out: dict[str, str] = field(default_factory=dict)
    """Operations not called on this target, and why."""
    switches: list[str] = field(default_factory=list)
    """Checks the spec narrows or turns off, as ``operation: check (reason)``."""
    duration: float = 0.0
    skipped: str | None = None
    """Why nothing was sent (every operation left out on this target)."""

    @property
    def ok(self) -> bool:
        """No check failed and nothing errored."""
        return not self.failures and not self.errors

    @property
    def examples(self) -> int:
        """Every request sent."""
        return sum(sum(counts.values()) for counts in self.operations.values())

    @property
    def exercised(self) -> int:
        """Operations that received at least one request."""
        return sum(1 for counts in self.operations.values() if sum(counts.values()))

    def failures_by_check(self) -> Counter[str]:
        """Distinct failures per check."""
        return Counter(failure.check for failure in self.failures)

    def format(self, *, details: bool = True) -> str:
        """The report as text: a header, one line per operation, one per check, then failures."""
        seed = "random" if self.seed is None else str(self.seed)
        verdict = "PASSED" if self.ok else "FAILED"
        if self.skipped is not None:
            verdict = f"SKIPPED: {self.skipped}"
        lines = [
            f"== {self.api}: {verdict} (target {self.target}, profile {self.profile}, seed {seed}, "
            f"{self.duration:.1f}s)",
            f"   {self.exercised}/{len(self.operations)} operations, {self.examples} examples, "
            f"{self.links} links, {self.stateful_scenarios} stateful scenarios",
            "   phases: " + ", ".join(f"{name} {status}" for name, status in self.phases.items()),
        ]
        width = max((len(label) for label in self.operations), default=10)
        lines.append(f"   {'operation':<{width}}  examples  by phase / by status")
        for label, counts in self.operations.items():
            phases = " ".join(f"{phase}={count}" for phase, count in sorted(counts.items()))
            statuses = " ".join(f"{status}={count}" for status, count in sorted(self.statuses.get(label, {}).items()))
            lines.append(f"   {label:<{width}}  {sum(counts.values()):>8}  {phases} / {statuses}")
        distinct = self.failures_by_check()
        check_width = max((len(name) for name in self.checks), default=10)
        lines.append(f"   {'check':<{check_width}}    passed  failed  distinct failures")
        for name, tally in sorted(self.checks.items()):
            errored = f"  ({tally.errored} errored)" if tally.errored else ""
            lines.append(
                f"   {name:<{check_width}}  {tally.passed:>8}  {tally.failed:>6}  {distinct.get(name, 0):>17}{errored}"
            )
        if self.left_out:
            lines.append("   left out on this target:")
            lines += [f"     {label}: {reason}" for label, reason in self.left_out.items()]
        if self.switches:
            lines.append("   narrowed by the spec:")
            lines += [f"     {switch}" for switch in self.switches]
        if details:
            for failure in self.failures:
                lines.append("   " + failure.describe().replace("\n", "\n   "))
        lines += [f"   error: {error}" for error in self.errors]
        return "\n".join(lines)


def summary_table(reports: Iterable[ApiReport]) -> str:
    """One line per API: verdict, operations, examples and failures per check."""
    lines = []
    for report in reports:
        failed = ", ".join(f"{check} {count}" for check, count in sorted(report.failures_by_check().items()))
        verdict = "ok" if report.ok else "FAILED"
        if report.skipped is not None:
            verdict = "skip"
        lines.append(
            f"{report.api:<8} {verdict:<6} {report.exercised}/{len(report.operations)} operations "
            f"{report.examples:>6} examples {report.duration:6.1f}s"
            + (f"  failures: {failed}" if failed else "")
            + (f"  errors: {len(report.errors)}" if report.errors else "")
        )
    return "\n".join(lines)


def junit_xml(reports: Iterable[ApiReport]) -> str:
    """JUnit XML: one test suite per API, one test case per operation (plus one for run errors)."""
    root = ET.Element("testsuites", name="mockserver fuzz")
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=f"fuzz.{report.api}", time=f"{report.duration:.3f}")
        cases = 0
        failed = 0
        for label in report.operations:
            case = ET.SubElement(suite, "testcase", classname=f"fuzz.{report.api}", name=label)
            cases += 1
            found = [failure for failure in report.failures if failure.operation == label]
            if found:
                failed += 1
                problem = ET.SubElement(
                    case, "failure", message=f"{len(found)} failure(s): " + ", ".join(f.check for f in found)
                )
                problem.text = "\n\n".join(failure.describe() for failure in found)
        others = [failure for failure in report.failures if failure.operation not in report.operations]
        if report.errors or others:
            case = ET.SubElement(suite, "testcase", classname=f"fuzz.{report.api}", name="run")
            cases += 1
            failed += 1
            problem = ET.SubElement(case, "error" if report.errors else "failure", message="run-level problems")
            problem.text = "\n".join(report.errors + [failure.describe() for failure in others])
        suite.set("tests", str(cases))
        suite.set("failures", str(failed))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
