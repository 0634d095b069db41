"""The contract harness: step files (YAML or seed-style Markdown) run against a target.

* Loading: :func:`load_step_file` checks a file against ``step-file.schema.json`` and answers a
  :class:`StepFile`, or raises :class:`StepFileError` with the path, line and problem.
* Targets: :func:`load_targets` reads ``contracts/targets.yaml``; :func:`make_target` builds a
  :class:`FakeTarget`, :class:`UrlTarget` or :class:`RealTarget`.
* Running: :func:`run_step_file` answers a :class:`FileReport`, or raises :class:`StepFailure`
  (a failed step) or :class:`SkipFile`.
* pytest: ``mockserver.harness.plugin`` (loaded automatically) collects ``contracts/``.
"""

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
