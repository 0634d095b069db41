"""What happened in one run of a step file, and its text form for pytest and JUnit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .model import Step, StepFile
from .redaction import Redactor

BODY_EXCERPT = 400

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
NOT_RUN = "not run"


@dataclass
class StepRecord:
    """One step's outcome."""

    step: Step
    outcome: str = NOT_RUN
    request_line: str = ""
    status: int | None = None
    body_excerpt: str = ""
    failures: list[str] = field(default_factory=list)
    note: str = ""

    def fail(self, message: str) -> None:
        """Add a failed expectation."""
        self.failures.append(message)
        self.outcome = FAILED


@dataclass
class FileReport:
    """The outcome of one step file against one target."""

    step_file: StepFile
    target: str
    records: list[StepRecord] = field(default_factory=list)
    setup_error: str | None = None
    given_lines: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[StepRecord]:
        """The records of failed steps."""
        return [record for record in self.records if record.outcome == FAILED]

    @property
    def ok(self) -> bool:
        """No setup error and no failed step."""
        return self.setup_error is None and not self.failed

    def headline(self) -> str:
        """One line naming the (first) failing step and its first failed expectation."""
        if self.setup_error is not None:
            return f"set-up failed: {self.setup_error}"
        failed = self.failed
        if not failed:
            return "all steps passed"
        first = failed[0]
        more = f" (and {len(failed) - 1} more failed step(s))" if len(failed) > 1 else ""
        return f"step '{first.step.id}' failed: {first.failures[0]}{more}"

    def render(self, redactor: Redactor) -> str:
        """The report as text, with every known secret masked."""
        name = self.step_file.path.name
        lines = [
            self.headline(),
            f"contract {self.step_file.name!r} ({shown_path(self.step_file.path)}) against target {self.target!r}",
        ]
        lines.extend(f"  given {line}" for line in self.given_lines)
        for record in self.records:
            step = record.step
            where = f"{name}:{step.line}"
            label = {PASSED: "ok", FAILED: "FAILED", SKIPPED: "skipped", NOT_RUN: "not run"}[record.outcome]
            kind = "finally " if step.always else ""
            if record.request_line:
                status = record.status if record.status is not None else "no response"
                lines.append(f"  {label:<8}{kind}step '{step.id}' ({where}): {record.request_line} -> {status}")
            else:
                lines.append(f"  {label:<8}{kind}step '{step.id}' ({where})")
            if record.note:
                lines.append(f"          {record.note}")
            if record.outcome == FAILED:
                if record.body_excerpt:
                    lines.append(f"          body: {record.body_excerpt}")
                lines.extend(f"          - {failure}" for failure in record.failures)
        if self.setup_error is not None:
            lines.append(f"  set-up: {self.setup_error}")
        return redactor.text("\n".join(lines))


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def excerpt(text: str, limit: int = BODY_EXCERPT) -> str:
    """The start of a body, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
