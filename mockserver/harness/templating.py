"""``{{name}}`` placeholders: variables, given results, saved values and ``env.NAME``.

A string that is exactly one placeholder becomes the value itself (a number stays a number, a
mapping stays a mapping); a placeholder inside a longer string is replaced by the value's text
(strings as they are, anything else as JSON).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


class UndefinedVariable(LookupError):
    """A placeholder names nothing known."""

    def __init__(self, name: str, detail: str = "") -> None:
        self.name = name
        super().__init__(f"undefined variable {name!r}{': ' + detail if detail else ''}")


class Scope:
    """Where placeholders look names up.

    Lookup order for a plain name: saved values, then variables (rendered on first use, so they
    may refer to each other, to given results and to env), then the flat merge of the given
    results. Prefixed names reach one source only: ``given.<as>.<key>``, ``saved.<name>``,
    ``env.<NAME>``. Dots descend into mappings and list indexes (``given.sync.tokens.staff``).
    """

    def __init__(
        self,
        variables: Mapping[str, Any] | None = None,
        given: Mapping[str, Mapping[str, Any]] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.saved: dict[str, Any] = {}
        self.given: dict[str, Any] = {name: dict(result) for name, result in (given or {}).items()}
        self.flat_given: dict[str, Any] = {}
        for result in self.given.values():
            self.flat_given.update(result)
        self._raw_variables = dict(variables or {})
        self._rendered: dict[str, Any] = {}
        self._rendering: set[str] = set()
        self.environ = os.environ if environ is None else environ

    def add_given(self, name: str, result: Mapping[str, Any]) -> None:
        """Record one given's result under its name and in the flat merge (later ones win)."""
        self.given[name] = dict(result)
        self.flat_given.update(result)
        self._rendered.clear()

    def _variable(self, name: str) -> Any:
        if name not in self._rendered:
            if name in self._rendering:
                raise UndefinedVariable(name, "it refers to itself")
            self._rendering.add(name)
            try:
                self._rendered[name] = render(self._raw_variables[name], self)
            finally:
                self._rendering.discard(name)
        return self._rendered[name]

    def _root(self, head: str, rest: list[str], full: str) -> tuple[Any, list[str]]:
        if head == "env":
            if not rest:
                raise UndefinedVariable(full, "write env.NAME")
            value = self.environ.get(rest[0])
            if value is None:
                raise UndefinedVariable(full, f"environment variable {rest[0]} is not set")
            return value, rest[1:]
        if head == "given" and rest:
            if rest[0] not in self.given:
                known = ", ".join(self.given) or "none"
                raise UndefinedVariable(full, f"no given is named {rest[0]!r} (given: {known})")
            return self.given[rest[0]], rest[1:]
        if head == "saved" and rest:
            if rest[0] not in self.saved:
                raise UndefinedVariable(full, "no step saved it (yet)")
            return self.saved[rest[0]], rest[1:]
        if head in self.saved:
            return self.saved[head], rest
        if head in self._raw_variables:
            return self._variable(head), rest
        if head in self.flat_given:
            return self.flat_given[head], rest
        raise UndefinedVariable(full)

    def lookup(self, name: str) -> Any:
        """The value of a dotted name."""
        parts = name.split(".")
        value, rest = self._root(parts[0], parts[1:], name)
        walked = parts[: len(parts) - len(rest)]
        for part in rest:
            walked.append(part)
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                raise UndefinedVariable(name, f"{'.'.join(walked[:-1])} has no {part!r}")
        return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def render(value: Any, scope: Scope) -> Any:
    """``value`` with every placeholder filled in (mappings and lists recursively)."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole is not None:
            return scope.lookup(whole.group(1))
        return PLACEHOLDER.sub(lambda m: _text(scope.lookup(m.group(1))), value)
    if isinstance(value, dict):
        return {render(key, scope) if isinstance(key, str) else key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def names_in(value: Any) -> set[str]:
    """Every placeholder name used anywhere in ``value``."""
    if isinstance(value, str):
        return {match.group(1) for match in PLACEHOLDER.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(names_in(k) | names_in(v) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(names_in(item) for item in value)) if value else set()
    return set()
