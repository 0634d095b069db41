"""The bundled OpenAPI specs and the one model of them that everything reads.

Routing (``Allow`` on 405 answers), the control plane (known operationIds), the contract harness
(which operation a step calls), fuzz (every operation and its security) and the benchmark all ask
the questions below of a spec; they never walk ``paths`` themselves.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (its wheels are): the pure-Python loader took
# most of the start-up time, and both build the same documents (tests/unit/test_specs.py).
SpecLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operation keys of an OpenAPI path item, in the order operations are listed."""

_PACKAGE_DIR = Path(__file__).resolve().parent

CONTROL_PLANE_API = "admin"
"""The control plane's name among the APIs (its spec is ``admin.yaml``)."""
ADMIN_PREFIX = "/__admin"
"""Where the control plane is mounted."""


def api_prefix(api: str) -> str:
    """The URL prefix an API is served under: ``/<name>``, or ``/__admin`` for the control plane."""
    return ADMIN_PREFIX if api == CONTROL_PLANE_API else f"/{api}"


class UnknownApi(LookupError):
    """No API (fake or bundled spec) has that name."""


def spec_dir() -> Path:
    """The folder holding the specs: ``mockserver/specs`` in a wheel, ``specs/`` in a checkout."""
    for candidate in (_PACKAGE_DIR / "specs", _PACKAGE_DIR.parent / "specs"):
        if (candidate / "admin.yaml").is_file():
            return candidate
    raise FileNotFoundError("mockserver's bundled specs were not found next to the package")


@functools.cache
def _load(name: str) -> dict[str, Any]:
    # A bare file name is a bundled spec; a path (a vendor kept outside the package) is read as given.
    path = Path(name) if Path(name).is_absolute() else spec_dir() / name
    with open(path, encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=SpecLoader)
    if not isinstance(loaded, dict):
        raise ValueError(f"{name} is not an OpenAPI document")
    return loaded


def load_spec(name: str) -> dict[str, Any]:
    """A fresh copy of the spec ``name`` (``vcita.yaml``, or an absolute path), safe to modify."""
    return copy.deepcopy(_load(name))


@functools.cache
def known_apis() -> tuple[str, ...]:
    """The name of every bundled spec (its file name without ``.yaml``), sorted."""
    return tuple(sorted(path.stem for path in spec_dir().glob("*.yaml")))


def bundled_spec(api: str) -> dict[str, Any]:
    """A fresh copy of a bundled API's spec; raises :class:`UnknownApi`."""
    if api not in known_apis():
        raise UnknownApi(f"unknown api {api!r}; known: {', '.join(known_apis())}")
    return load_spec(f"{api}.yaml")


@dataclass(frozen=True)
class Operation:
    """One operation of a spec.

    ``path`` is the template below the API's base path (``/v2/calendars/{calendar}/disconnect``);
    ``operation_id`` falls back to ``"<method> <path>"`` when the spec gives none.
    """

    method: str
    path: str
    operation_id: str
    security: tuple[Mapping[str, Any], ...]
    definition: Mapping[str, Any]

    @property
    def label(self) -> str:
        """Schemathesis' name for it: ``PUT /path``."""
        return f"{self.method.upper()} {self.path}"

    @property
    def changes_state(self) -> bool:
        """Whether calling it may change state on the server (see :func:`operation_changes_state`)."""
        return operation_changes_state(self.method, self.definition)


CHANGES_STATE = "x-changes-state"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing by HTTP's own definition."""


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


def operations(spec: Mapping[str, Any]) -> Iterator[Operation]:
    """Every operation of ``spec``, in document order."""
    default_security = tuple(spec.get("security") or ())
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            definition = item.get(method)
            if not isinstance(definition, Mapping):
                continue
            security = definition.get("security")
            yield Operation(
                method=method,
                path=path,
                operation_id=str(definition.get("operationId") or f"{method} {path}"),
                security=tuple(security) if security is not None else default_security,
                definition=definition,
            )


def operation_ids(spec: Mapping[str, Any]) -> list[str]:
    """Every operationId in ``spec``, in document order."""
    return [operation.operation_id for operation in operations(spec)]


def template_regex(template: str) -> re.Pattern[str]:
    """A path template (``/a/{id}``) as a regular expression matching concrete paths."""
    parts = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts) + "$")


class Routes:
    """A spec's operations, matched against concrete paths (below the API's base path)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.operations = list(operations(spec))
        self._patterns = {template: template_regex(template) for template in (spec.get("paths") or {})}

    def allowed(self, path: str) -> list[str]:
        """The methods (upper case) declared for ``path``; [] if no template matches it."""
        methods: list[str] = []
        for operation in self.operations:
            method = operation.method.upper()
            if method not in methods and self._patterns[operation.path].match(path):
                methods.append(method)
        return methods

    def find(self, method: str, path: str) -> Operation | None:
        """The operation a ``method`` + concrete ``path`` calls: the most literal template wins."""
        path = path.split("?", 1)[0]
        matches = [
            operation
            for operation in self.operations
            if operation.method == method.lower() and self._patterns[operation.path].match(path)
        ]
        return min(matches, key=lambda operation: operation.path.count("{"), default=None)


def security_schemes(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``components.securitySchemes`` by name."""
    return dict((spec.get("components") or {}).get("securitySchemes") or {})


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
