"""The bundled specs as the harness asks about them: which operation a step calls, and its auth."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..specs import Routes, UnknownApi, bundled_spec, known_apis, security_schemes

__all__ = ["Operation", "UnknownApi", "api_for_endpoint", "find_operation", "known_apis", "security_scheme", "spec_for"]


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


def find_operation(api: str, method: str, path: str) -> Operation | None:
    """The operation of ``api`` a ``method`` + concrete ``path`` (below the base URL) calls."""
    found = _routes(api).find(method, path)
    if found is None:
        return None
    operation_id = found.definition.get("operationId")
    security = tuple(dict(requirement) for requirement in found.security)
    return Operation(api, method.upper(), found.path, operation_id, security)


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
