"""The bundled specs as the harness sees them: API names, operations and security schemes."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..specs import load_spec, spec_dir

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Methods that change nothing by HTTP's own definition; what an operation the spec does not mark
# may do is judged by them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHANGES_STATE = "x-changes-state"


class UnknownApi(LookupError):
    """No bundled spec has that name."""


@functools.cache
def known_apis() -> tuple[str, ...]:
    """The name of every bundled spec (its file name without ``.yaml``), sorted."""
    return tuple(sorted(path.stem for path in spec_dir().glob("*.yaml")))


@functools.cache
def _spec(api: str) -> dict[str, Any]:
    if api not in known_apis():
        raise UnknownApi(f"unknown api {api!r}; known: {', '.join(known_apis())}")
    return load_spec(f"{api}.yaml")


def spec_for(api: str) -> dict[str, Any]:
    """A fresh copy of the API's spec, safe to modify."""
    _spec(api)
    return load_spec(f"{api}.yaml")


@dataclass(frozen=True)
class Operation:
    """One operation of a spec, as matched from a concrete request."""

    api: str
    method: str
    template: str
    operation_id: str | None
    security: tuple[dict[str, list[str]], ...]
    changes_state: bool


def operation_changes_state(method: str, definition: Mapping[str, Any]) -> bool:
    """Whether calling an operation may change state on the server.

    Every operation of a vendor spec says so with ``x-changes-state`` (a GET that stores a
    credential, a POST that only reads); an operation that does not (the control plane's) is
    judged by its method: everything but GET, HEAD and OPTIONS may change state.
    """
    declared = definition.get(CHANGES_STATE)
    if isinstance(declared, bool):
        return declared
    return method.upper() not in SAFE_METHODS


def changes_state(api: str, method: str, path: str) -> bool:
    """Whether ``method`` + concrete ``path`` of ``api`` may change state (see :func:`operation_changes_state`).

    A request that matches no operation (a method or path the spec does not list) may do
    anything as far as the spec tells, so it counts as changing state.
    """
    operation = find_operation(api, method, path)
    return operation.changes_state if operation is not None else True


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", template)
    pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{pattern}$")


def find_operation(api: str, method: str, path: str) -> Operation | None:
    """The operation of ``api`` a ``method`` + concrete ``path`` (below the base URL) calls."""
    spec = _spec(api)
    path = path.split("?", 1)[0]
    candidates = []
    for template, item in (spec.get("paths") or {}).items():
        operation = item.get(method.lower()) if isinstance(item, dict) else None
        if operation is None or not _template_regex(template).match(path):
            continue
        candidates.append((template.count("{"), template, operation))
    if not candidates:
        return None
    _, template, operation = min(candidates, key=lambda entry: entry[0])
    security = operation.get("security", spec.get("security", []))
    return Operation(
        api,
        method.upper(),
        template,
        operation.get("operationId"),
        tuple(security or ()),
        operation_changes_state(method, operation),
    )


def api_for_endpoint(endpoint: str) -> str | None:
    """The API whose spec declares ``endpoint`` (``"PUT /path"``), or None."""
    method, _, path = endpoint.partition(" ")
    for api in known_apis():
        item = (_spec(api).get("paths") or {}).get(path.strip())
        if isinstance(item, dict) and method.lower() in item:
            return api
    return None


def security_scheme(api: str, name: str) -> dict[str, Any] | None:
    """A security scheme of ``api`` by name."""
    schemes = (_spec(api).get("components") or {}).get("securitySchemes") or {}
    scheme = schemes.get(name)
    return scheme if isinstance(scheme, dict) else None
