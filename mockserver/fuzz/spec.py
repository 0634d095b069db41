"""What the runner reads from a spec: operations, security schemes and per-operation check switches.

A spec can document a vendor behaviour that a default Schemathesis check would call a bug, and
narrow or turn off that one check for that one operation, with the reason beside it::

    x-fuzz-checks:
      positive_data_acceptance:
        expected-statuses: ['2xx', '401', '404', '422']
        reason: vcita answers a valid body about a staff member without a sync with 422.

Everything except ``reason`` is Schemathesis' own check configuration (``enabled: false``,
``expected-statuses``); a switch without a reason is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..specs import Operation, operations, resolve_ref

__all__ = ["CheckSwitch", "InvalidSwitch", "check_switches", "header_parameters", "links", "operations"]

CHECKS_EXTENSION = "x-fuzz-checks"


@dataclass(frozen=True)
class CheckSwitch:
    """A check narrowed or turned off for one operation."""

    operation_id: str
    check: str
    config: Mapping[str, Any]
    reason: str


class InvalidSwitch(ValueError):
    """An ``x-fuzz-checks`` entry the runner cannot use."""


def links(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every OpenAPI link by operationId: ``(from, to)``."""
    found = []
    for operation in operations(spec):
        for response in (operation.definition.get("responses") or {}).values():
            for link in (resolve_ref(spec, response).get("links") or {}).values():
                target = resolve_ref(spec, link).get("operationId")
                if target:
                    found.append((operation.operation_id, str(target)))
    return found


def header_parameters(spec: Mapping[str, Any], operation: Operation) -> set[str]:
    """The lower-cased names of the header parameters an operation declares (path-level too)."""
    item = (spec.get("paths") or {}).get(operation.path) or {}
    names = set()
    for parameter in [*(item.get("parameters") or []), *(operation.definition.get("parameters") or [])]:
        resolved = resolve_ref(spec, parameter)
        if resolved.get("in") == "header" and "name" in resolved:
            names.add(str(resolved["name"]).lower())
    return names


def check_switches(spec: Mapping[str, Any]) -> list[CheckSwitch]:
    """Every ``x-fuzz-checks`` entry of the spec; raises :class:`InvalidSwitch` for a bad one."""
    switches = []
    for operation in operations(spec):
        entries = operation.definition.get(CHECKS_EXTENSION) or {}
        if not isinstance(entries, Mapping):
            raise InvalidSwitch(f"{operation.operation_id}: {CHECKS_EXTENSION} must be a mapping")
        for check, entry in entries.items():
            if not isinstance(entry, Mapping) or not str(entry.get("reason", "")).strip():
                raise InvalidSwitch(f"{operation.operation_id}: {CHECKS_EXTENSION}.{check} needs a reason")
            config = {key: value for key, value in entry.items() if key != "reason"}
            switches.append(CheckSwitch(operation.operation_id, str(check), config, str(entry["reason"]).strip()))
    return switches
