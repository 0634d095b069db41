"""Property-based contract runs: Schemathesis over every bundled spec, against a fake or a real target.

* :func:`run_api` prepares one API on a target (a :class:`mockserver.harness.Target`: provider
  states and tokens on a fake, environment variables on a real target) and runs every
  Schemathesis phase and default check over it.
* :func:`run_endpoint` does the same for any spec and ASGI app or base URL.
* :data:`PROFILES`: ``ci`` (bounded, fixed seed) and ``deep``.
* ``mockserver fuzz`` (:mod:`mockserver.fuzz.cli`) and ``contracts/test_fuzz.py`` run it.

Names are imported on first use, so ``mockserver --help`` does not load Schemathesis.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PROFILES": "profiles",
    "Profile": "profiles",
    "ApiReport": "report",
    "junit_xml": "report",
    "summary_table": "report",
    "fuzzable_apis": "runner",
    "run_api": "runner",
    "run_endpoint": "runner",
    "SETUPS": "setups",
    "FuzzSetup": "setups",
    "TargetError": "endpoints",
    "resolve_target": "endpoints",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
