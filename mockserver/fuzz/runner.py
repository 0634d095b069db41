"""One Schemathesis run (every phase, every default check) over one API."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import schemathesis
from schemathesis.engine import from_schema

from ..harness.targets import SetupError, Target
from ..specs import UnknownApi, operation_changes_state
from . import auth
from .collect import Collector
from .endpoints import Endpoint, TargetError, open_endpoint
from .profiles import Profile
from .progress import ProgressCallback
from .report import ApiReport
from .setups import Known, setup_from_spec
from .spec import check_switches, links, operations


def fuzzable_apis(served: list[str]) -> list[str]:
    """The APIs a full run covers: every served fake, then the control plane."""
    return [api for api in served if api != "admin"] + ["admin"]


def build_config(
    spec: Mapping[str, Any],
    endpoint: Endpoint,
    profile: Profile,
    known: tuple[Known, ...] = (),
    left_out: Mapping[str, str] | None = None,
    listed_methods_only: bool = False,
) -> dict[str, Any]:
    """The Schemathesis configuration (in ``schemathesis.toml`` form) for one run.

    Args:
        listed_methods_only: send no method the spec does not list for a path (the coverage
            phase otherwise probes each path with the others, expecting 405s).
    """
    config: dict[str, Any] = {
        "base-url": endpoint.base_url,
        "continue-on-failure": True,
        "workers": 1,
        # Schemathesis' learning cache would carry one run's findings into the next.
        "cache": {"enabled": False},
        "generation": {
            "max-examples": profile.max_examples,
            "database": profile.database,
            # Random credentials would only be replaced by the target's; leaving them out lets a
            # credential an OpenAPI link supplies (a freshly minted token) reach the request.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"max-steps": profile.stateful_steps}},
    }
    if listed_methods_only:
        config["phases"]["coverage"] = {"unexpected-methods": []}
    if left_out and not any(start not in left_out and end not in left_out for start, end in links(spec)):
        # Schemathesis counts a stateful phase whose every link is filtered out as an error.
        config["phases"]["stateful"]["enabled"] = False
    if profile.seed is not None:
        config["seed"] = profile.seed
    entries: list[dict[str, Any]] = [
        {"include-operation-id": operation_id, "enabled": False} for operation_id in (left_out or {})
    ]
    by_operation: dict[str, dict[str, Any]] = {}
    for switch in check_switches(spec):
        by_operation.setdefault(switch.operation_id, {})[switch.check] = dict(switch.config)
    entries += [
        {"include-operation-id": operation_id, "checks": checks} for operation_id, checks in by_operation.items()
    ]
    if entries:
        config["operations"] = entries
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
    left_out: Mapping[str, str] | None = None,
    target_name: str = "fake",
    listed_methods_only: bool = False,
    progress: ProgressCallback | None = None,
) -> ApiReport:
    """Run Schemathesis over ``spec`` at ``endpoint`` and report what it found.

    Args:
        spec: the OpenAPI document.
        endpoint: where requests go (an ASGI app in process, or a base URL).
        profile: the generation budget.
        placements: operationId -> the credential it is called with.
        known: values that exist on the target, offered to the generator.
        left_out: operationId -> why it is not called at all on this target.
        target_name: shown in the report.
        listed_methods_only: send only the methods the spec lists (a real target).
        progress: called as each scenario starts (the phase, the operation).
    """
    left_out = dict(left_out or {})
    report = ApiReport(api=endpoint.api, target=target_name, profile=profile.name, seed=profile.seed)
    for operation in operations(spec):
        if operation.operation_id in left_out:
            report.left_out[operation.label] = left_out[operation.operation_id]
        else:
            report.operations[operation.label] = Counter()
    report.switches = [
        f"{switch.operation_id}: {switch.check} {describe_switch(switch.config)} - {switch.reason}"
        for switch in check_switches(spec)
    ]
    if not report.operations:
        report.skipped = "every operation is left out on this target"
        return report
    config = schemathesis.Config.from_dict(
        build_config(spec, endpoint, profile, known, left_out, listed_methods_only=listed_methods_only)
    )
    schema = schemathesis.openapi.from_dict(dict(spec), config=config)
    if endpoint.app is not None:
        schema.app = endpoint.app
    auth.install(schema, placements)
    report.seed = schema.config.seed
    operation_ids = {operation.label: operation.operation_id for operation in operations(spec)}
    collector = Collector(report, progress, operation_ids)
    started = time.perf_counter()
    with _quiet_parameter_log():
        for event in from_schema(schema).execute():
            collector.on_event(event)
    report.duration = time.perf_counter() - started
    return report


@contextmanager
def _quiet_parameter_log() -> Iterator[None]:
    # Connexion logs every undeclared query parameter at ERROR level, and a fuzzer sends
    # thousands; the fakes ignore them as the vendors do.
    logger = logging.getLogger("connexion.decorators.parameter")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def describe_switch(config: Mapping[str, Any]) -> str:
    """``off``, or what a narrowed check accepts."""
    if config.get("enabled") is False:
        return "off"
    statuses = config.get("expected-statuses")
    if statuses:
        return "accepts " + ", ".join(str(status) for status in statuses)
    return str(dict(config))


def run_api(
    api: str,
    target: Target,
    profile: Profile,
    *,
    allow_destructive: bool = False,
    progress: ProgressCallback | None = None,
) -> ApiReport:
    """Prepare ``api`` on ``target`` (provider states, tokens) and fuzz it.

    On a real target only the methods the spec lists are sent, and, without
    ``allow_destructive``, no operation whose spec says it changes state (``x-changes-state``).

    Args:
        api: an API the target serves (its spec comes from the target: ``x-fuzz-setup`` says how to prepare it).
        target: where to run.
        profile: the generation budget.
        allow_destructive: on a real target, also call operations that change state.
        progress: called as each scenario starts (the phase, the operation).

    Raises:
        TargetError: the API cannot be prepared or reached on this target.
    """
    try:
        spec = target.spec(api)
    except (SetupError, UnknownApi) as exc:
        raise TargetError(f"no fuzz set-up for {api!r}: {exc}") from None
    setup = setup_from_spec(api, f"{api}.yaml", spec)
    with open_endpoint(target, setup) as endpoint:
        assignment = auth.assign(spec, setup.credentials, endpoint.prepared.tokens)
        left_out = {
            operation_id: f"no {role} token on this target" for operation_id, role in assignment.missing.items()
        }
        if target.is_real and not allow_destructive:
            for operation in operations(spec):
                if operation_changes_state(operation.method, operation.definition):
                    left_out.setdefault(operation.operation_id, "changes state; needs --allow-destructive")
        return run_endpoint(
            spec,
            endpoint,
            profile,
            placements=assignment.placements,
            known=setup.known,
            left_out=left_out,
            target_name=target.name,
            listed_methods_only=target.is_real,
            progress=progress,
        )
