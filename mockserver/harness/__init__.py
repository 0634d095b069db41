"""The contract harness: step files (YAML or seed-style Markdown) run against a target.

* Loading: :func:`load_step_file` checks a file against ``step-file.schema.json`` and answers a
  :class:`StepFile`, or raises :class:`StepFileError` with the path, line and problem.
* Targets: :func:`load_targets` reads ``contracts/targets.yaml``; :func:`make_target` builds a
  :class:`FakeTarget`, :class:`UrlTarget` or :class:`RealTarget`.
* Running: :func:`run_step_file` answers a :class:`FileReport`, or raises :class:`StepFailure`
  (a failed step) or :class:`SkipFile`.
* pytest: ``mockserver.harness.plugin`` (loaded automatically) collects ``contracts/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import StepFileError, load_step_file, step_file_schema
    from .model import Given, Step, StepFile
    from .report import FileReport, StepRecord
    from .runner import RunOptions, StepFailure, run_step_file
    from .targets import (
        FakeTarget,
        InProcessTarget,
        RealTarget,
        SetupError,
        SkipFile,
        Target,
        TargetConfigError,
        TargetsConfig,
        UrlTarget,
        load_targets,
        make_target,
    )

# Each public name and the submodule that defines it. They are imported on first use: the pytest
# plugin is loaded into every pytest run of a project that installs the harness, and the runner
# alone (openapi-core, Schemathesis' configuration) took about 0.9 s to import.
_EXPORTS = {
    "StepFileError": "loader",
    "load_step_file": "loader",
    "step_file_schema": "loader",
    "Given": "model",
    "Step": "model",
    "StepFile": "model",
    "FileReport": "report",
    "StepRecord": "report",
    "RunOptions": "runner",
    "StepFailure": "runner",
    "run_step_file": "runner",
    "FakeTarget": "targets",
    "InProcessTarget": "targets",
    "RealTarget": "targets",
    "SetupError": "targets",
    "SkipFile": "targets",
    "Target": "targets",
    "TargetConfigError": "targets",
    "TargetsConfig": "targets",
    "UrlTarget": "targets",
    "load_targets": "targets",
    "make_target": "targets",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "FakeTarget",
    "FileReport",
    "Given",
    "InProcessTarget",
    "RealTarget",
    "RunOptions",
    "SetupError",
    "SkipFile",
    "Step",
    "StepFailure",
    "StepFile",
    "StepFileError",
    "StepRecord",
    "Target",
    "TargetConfigError",
    "TargetsConfig",
    "UrlTarget",
    "load_step_file",
    "load_targets",
    "make_target",
    "run_step_file",
    "step_file_schema",
]
