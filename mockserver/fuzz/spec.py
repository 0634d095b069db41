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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CHECKS_EXTENSION = "x-fuzz-checks"


@dataclass(frozen=True)
class SpecOperation:
    """One operation of a spec."""

    method: str
    path: str
    operation_id: str
    security: tuple[Mapping[str, Any], ...]
    definition: Mapping[str, Any]

    @property
    def label(self) -> str:
        """Schemathesis' name for it: ``PUT /path``."""
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class CheckSwitch:
    """A check narrowed or turned off for one operation."""

    operation_id: str
    check: str
    config: Mapping[str, Any]
    reason: str


class InvalidSwitch(ValueError):
    """An ``x-fuzz-checks`` entry the runner cannot use."""


def operations(spec: Mapping[str, Any]) -> Iterator[SpecOperation]:
    """Every operation, in spec order."""
    default_security = tuple(spec.get("security") or ())
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            definition = item.get(method)
            if not isinstance(definition, Mapping):
                continue
            security = definition.get("security")
            yield SpecOperation(
                method=method,
                path=path,
                operation_id=str(definition.get("operationId") or f"{method} {path}"),
                security=tuple(security) if security is not None else default_security,
                definition=definition,
            )


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


def header_parameters(spec: Mapping[str, Any], operation: SpecOperation) -> set[str]:
    """The lower-cased names of the header parameters an operation declares (path-level too)."""
    item = (spec.get("paths") or {}).get(operation.path) or {}
    names = set()
    for parameter in [*(item.get("parameters") or []), *(operation.definition.get("parameters") or [])]:
        resolved = resolve_ref(spec, parameter)
        if resolved.get("in") == "header" and "name" in resolved:
            names.add(str(resolved["name"]).lower())
    return names


def resolve_ref(spec: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    """``node``, or what its local ``$ref`` points at."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 20:
        target: Any = spec
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node = target
        seen += 1
    return node if isinstance(node, Mapping) else {}


def security_schemes(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``components.securitySchemes`` by name."""
    return dict((spec.get("components") or {}).get("securitySchemes") or {})


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
