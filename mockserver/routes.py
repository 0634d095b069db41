"""Which methods a spec declares for a concrete path (for ``Allow`` on 405 answers)."""

from __future__ import annotations

import re
from typing import Any

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class RouteTable:
    """Path templates of one spec compiled to regular expressions."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._routes: list[tuple[re.Pattern[str], list[str]]] = []
        for template, item in (spec.get("paths") or {}).items():
            methods = [m.upper() for m in _METHODS if m in item]
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            self._routes.append((re.compile(f"^{pattern}$"), methods))

    def allowed(self, path: str) -> list[str]:
        """The methods declared for ``path`` (relative to the API's base path); [] if none."""
        methods: list[str] = []
        for pattern, declared in self._routes:
            if pattern.match(path):
                methods.extend(m for m in declared if m not in methods)
        return methods


def operation_ids(spec: dict[str, Any]) -> list[str]:
    """Every operationId in ``spec``, in document order."""
    return [
        op["operationId"]
        for item in (spec.get("paths") or {}).values()
        for method, op in item.items()
        if method in _METHODS and isinstance(op, dict) and "operationId" in op
    ]
