"""Turning Schemathesis' engine events into an :class:`~mockserver.fuzz.report.ApiReport`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from schemathesis.engine import Status, events
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.engine.run import PhaseName

from .progress import ProgressCallback, Step
from .report import MAX_SHOWN, ApiReport, CheckTally, FailureDetail

_PRIORITY = {Status.SKIP: 0, Status.SUCCESS: 1, Status.INTERRUPTED: 2, Status.FAILURE: 3, Status.ERROR: 4}


class Collector:
    """Feeds engine events into a report, and tells ``progress`` which scenario starts.

    Args:
        report: filled in as events arrive.
        progress: called as each scenario starts.
        operation_ids: ``METHOD /path`` -> operationId, for the progress lines.
    """

    def __init__(
        self,
        report: ApiReport,
        progress: ProgressCallback | None = None,
        operation_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.report = report
        self.progress = progress
        self.operation_ids = dict(operation_ids or {})
        self._seen: set[tuple[str, str, str]] = set()
        self._phases: dict[str, Status] = {}
        self._started: dict[str, set[str]] = {}
        self._scenarios = 0

    def on_event(self, event: events.EngineEvent) -> None:
        """Take one event."""
        report = self.report
        if isinstance(event, events.ScenarioStarted):
            if self.progress is not None and event.phase is not PhaseName.AUTH_BOOTSTRAP:
                self.progress(self._step(event))
        elif isinstance(event, events.PhaseStarted) and event.payload is not None:
            report.links = max(report.links, event.payload.transitions_total)
        elif isinstance(event, events.PhaseFinished):
            name = event.phase.name.value
            # Fuzzing and stateful phases can run more than once; keep the most telling outcome.
            previous = self._phases.get(name)
            if previous is None or _PRIORITY[event.status] >= _PRIORITY[previous]:
                self._phases[name] = event.status
                reason = event.phase.skip_reason
                shown = event.status.value
                if event.status == Status.SKIP and reason is not None:
                    shown = f"skipped ({reason.value})"
                report.phases[name] = shown
        elif isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            if event.phase == PhaseName.STATEFUL_TESTING and event.recorder.cases:
                report.stateful_scenarios += 1
            self._scenario(event.phase.value, event.recorder)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {type(event.exception).__name__}: {event.exception}")
        elif isinstance(event, events.EngineFinished):
            report.duration = event.running_time
            for failure in event.failures:
                self._add_failure("after_run", "run", failure, None, "")

    def _step(self, event: events.ScenarioStarted) -> Step:
        phase = event.phase.value
        label = event.label or ""
        if event.phase == PhaseName.STATEFUL_TESTING or not label:
            self._scenarios += 1
            return Step(self.report.api, phase, self._scenarios, 0)
        started = self._started.setdefault(phase, set())
        started.add(label)
        total = max(len(self.report.operations), len(started))
        return Step(self.report.api, phase, len(started), total, self.operation_ids.get(label, ""), label)

    def _scenario(self, phase: str, recorder: ScenarioRecorder) -> None:
        report = self.report
        for case_id, node in recorder.cases.items():
            label = node.value.operation.label
            report.operations.setdefault(label, Counter())[phase] += 1
            response = recorder.find_response(case_id=case_id)
            if response is not None:
                report.statuses.setdefault(label, Counter())[response.status_code] += 1
        for case_id, checks in recorder.checks.items():
            for check in checks:
                tally = report.checks.setdefault(check.name, CheckTally())
                if check.status == Status.SUCCESS:
                    tally.passed += 1
                elif check.status == Status.ERROR:
                    tally.errored += 1
                elif check.status == Status.FAILURE and check.failure_info is not None:
                    tally.failed += 1
                    failure = check.failure_info.failure
                    owner = recorder.cases.get(failure.case_id or case_id)
                    response = recorder.find_response(case_id=failure.case_id or case_id)
                    label = owner.value.operation.label if owner is not None else (failure.operation or "?")
                    self._add_failure(check.name, label, failure, response, check.failure_info.code_sample, phase)

    def _add_failure(
        self, check: str, operation: str, failure: Any, response: Any, reproduce: str, phase: str = "run"
    ) -> None:
        key = (check, operation, str(failure.title))
        if key in self._seen:
            return
        self._seen.add(key)
        body = ""
        status = None
        if response is not None:
            status = response.status_code
            body = response.text[:MAX_SHOWN] if response.content else ""
        self.report.failures.append(
            FailureDetail(
                check=check,
                operation=operation,
                phase=phase,
                title=str(failure.title),
                message=str(failure.message),
                status=status,
                response=body,
                reproduce=" ".join(reproduce.split()) if reproduce else "",
            )
        )
