"""The bundled specs as the harness asks about them: which operation a step calls, its auth, and
whether it may change state on a real target."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..specs import Routes, UnknownApi, bundled_spec, known_apis, security_schemes

__all__ = [
    "Operation",
    "UnknownApi",
    "api_for_endpoint",
    "changes_state",
    "find_operation",
    "known_apis",
    "security_scheme",
    "spec_for",
]


@functools.cache
def _spec(api: str) -> dict[str, Any]:
    return bundled_spec(api)


@functools.cache
def _routes(api: str) -> Routes:
    return Routes(_spec(api))


def spec_for(api: str) -> dict[str, Any]:
    """A fresh copy of the API's spec, safe to modify."""
    return bundled_spec(api)


@dataclass(frozen=True)
class Operation:
    """One operation of a spec, as matched from a concrete request."""

    api: str
    method: str
    template: str
    operation_id: str | None
    security: tuple[dict[str, list[str]], ...]
    changes_state: bool


def find_operation(api: str, method: str, path: str) -> Operation | None:
    """The operation of ``api`` a ``method`` + concrete ``path`` (below the base URL) calls."""
    found = _routes(api).find(method, path)
    if found is None:
        return None
    operation_id = found.definition.get("operationId")
    security = tuple(dict(requirement) for requirement in found.security)
    return Operation(api, method.upper(), found.path, operation_id, security, found.changes_state)


def changes_state(api: str, method: str, path: str) -> bool:
    """Whether ``method`` + concrete ``path`` of ``api`` may change state.

    A request that matches no operation (a method or path the spec does not list) may do
    anything as far as the spec tells, so it counts as changing state.
    """
    operation = find_operation(api, method, path)
    return operation.changes_state if operation is not None else True


def api_for_endpoint(endpoint: str) -> str | None:
    """The API whose spec declares ``endpoint`` (``"PUT /path"``), or None."""
    method, _, path = endpoint.partition(" ")
    for api in known_apis():
        if any(op.method == method.lower() and op.path == path.strip() for op in _routes(api).operations):
            return api
    return None


def security_scheme(api: str, name: str) -> dict[str, Any] | None:
    """A security scheme of ``api`` by name."""
    scheme = security_schemes(_spec(api)).get(name)
    return dict(scheme) if isinstance(scheme, dict) else None
