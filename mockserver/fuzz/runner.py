"""One Schemathesis run (every phase, every default check) over one API."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import schemathesis
from schemathesis.engine import from_schema

from ..specs import load_spec
from . import auth
from .collect import Collector
from .profiles import Profile
from .report import ApiReport
from .setups import SETUPS, Known
from .spec import check_switches, operations
from .targets import Endpoint, FuzzTarget, TargetError


def fuzzable_apis(served: list[str]) -> list[str]:
    """The APIs a full run covers: every served fake, then the control plane."""
    return [api for api in served if api != "admin"] + ["admin"]


def build_config(
    spec: Mapping[str, Any], endpoint: Endpoint, profile: Profile, known: tuple[Known, ...]
) -> dict[str, Any]:
    """The Schemathesis configuration (in ``schemathesis.toml`` form) for one run."""
    config: dict[str, Any] = {
        "base-url": endpoint.base_url,
        "continue-on-failure": True,
        "workers": 1,
        # Schemathesis' learning cache would carry one run's findings into the next.
        "cache": {"enabled": False},
        "generation": {"max-examples": profile.max_examples, "database": profile.database},
        "phases": {"stateful": {"max-steps": profile.stateful_steps}},
    }
    if profile.seed is not None:
        config["seed"] = profile.seed
    by_operation: dict[str, dict[str, Any]] = {}
    for switch in check_switches(spec):
        by_operation.setdefault(switch.operation_id, {})[switch.check] = dict(switch.config)
    if by_operation:
        config["operations"] = [
            {"include-operation-id": operation_id, "checks": checks} for operation_id, checks in by_operation.items()
        ]
    values = endpoint.prepared.values
    offered = [item for item in known if item.name in values]
    if offered:
        config["dictionaries"] = {item.name: {"values": [values[item.name]]} for item in offered}
        config["parameters"] = {
            field: {"dictionary": item.name, "probability": item.probability}
            for item in offered
            for field in item.fields
        }
    return config


def run_endpoint(
    spec: Mapping[str, Any],
    endpoint: Endpoint,
    profile: Profile,
    *,
    placements: Mapping[str, auth.Placement],
    known: tuple[Known, ...] = (),
    target_name: str = "fake",
) -> ApiReport:
    """Run Schemathesis over ``spec`` at ``endpoint`` and report what it found."""
    report = ApiReport(api=endpoint.api, target=target_name, profile=profile.name, seed=profile.seed)
    for operation in operations(spec):
        report.operations[operation.label] = Counter()
    report.switches = [
        f"{switch.operation_id}: {switch.check} {dict(switch.config)} - {switch.reason}"
        for switch in check_switches(spec)
    ]
    config = schemathesis.Config.from_dict(build_config(spec, endpoint, profile, known))
    schema = schemathesis.openapi.from_dict(dict(spec), config=config)
    if endpoint.app is not None:
        schema.app = endpoint.app
    auth.install(schema, placements)
    report.seed = schema.config.seed
    collector = Collector(report)
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        collector.on_event(event)
    report.duration = time.perf_counter() - started
    return report


def run_api(api: str, target: FuzzTarget, profile: Profile) -> ApiReport:
    """Prepare ``api`` on ``target`` (provider states, tokens) and fuzz it.

    Raises:
        TargetError: the API cannot be prepared or reached on this target.
    """
    setup = SETUPS.get(api)
    if setup is None:
        raise TargetError(f"no fuzz set-up for {api!r}; known: {', '.join(SETUPS)}")
    spec = load_spec(setup.spec_file)
    with target.endpoint(setup) as endpoint:
        try:
            placements = auth.assign(spec, setup.credentials, endpoint.prepared.tokens)
        except auth.MissingCredential as exc:
            raise TargetError(f"{api}: no {exc.args[0]} token on target {target.name}") from None
        return run_endpoint(spec, endpoint, profile, placements=placements, known=setup.known, target_name=target.name)
