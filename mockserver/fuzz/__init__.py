"""Property-based contract runs: Schemathesis over every bundled spec, against a fake or a real target."""

from .profiles import PROFILES, Profile
from .report import ApiReport, junit_xml, summary_table
from .runner import fuzzable_apis, run_api, run_endpoint
from .setups import SETUPS, FuzzSetup
from .targets import FakeTarget, FuzzTarget, RealTarget, ServerTarget, TargetError, resolve_target

__all__ = [
    "PROFILES",
    "SETUPS",
    "ApiReport",
    "FakeTarget",
    "FuzzSetup",
    "FuzzTarget",
    "Profile",
    "RealTarget",
    "ServerTarget",
    "TargetError",
    "fuzzable_apis",
    "junit_xml",
    "resolve_target",
    "run_api",
    "run_endpoint",
    "summary_table",
]
