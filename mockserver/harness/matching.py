"""Subset matching of response bodies and headers, with a few ``$``-matchers.

An expected mapping matches when every key it names matches (other keys are ignored); an expected
list matches a list of the same length item by item; anything else must be equal. A mapping with
one ``$``-key is a matcher instead:

* ``{$type: string}`` (or a list of types): JSON type ``string``, ``integer``, ``number``,
  ``boolean``, ``null``, ``object`` or ``array``.
* ``{$regex: "^[0-9a-f]{16}$"}``: a string that the pattern finds (``re.search``).
* ``{$any: true}``: present, any value.
* ``{$absent: true}``: the key is not there (inside a mapping).
* ``{$len: 2}``: a string, list or mapping of that length.
* ``{$contains: value}``: a list with an item matching ``value``, or a string containing it.
* ``{$oneOf: [a, b]}``: matches any of the listed values or matchers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_MISSING = object()

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}

MATCHERS = frozenset({"$type", "$regex", "$any", "$absent", "$len", "$contains", "$oneOf"})


def show(value: Any, limit: int = 120) -> str:
    """A value as short JSON, for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def child(path: str, key: str | int) -> str:
    """A JSONPath one level down: ``$.data`` + ``uid`` -> ``$.data.uid``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def is_matcher(value: Any) -> bool:
    """A one-key mapping whose key is a known ``$``-matcher."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in MATCHERS


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _apply_matcher(matcher: Mapping[str, Any], actual: Any, path: str) -> list[str]:
    ((name, argument),) = matcher.items()
    if actual is _MISSING:
        if name == "$absent" and argument:
            return []
        return [f"{path}: missing (expected {name} {show(argument)})"]
    if name == "$absent":
        return [f"{path}: expected no such key, got {show(actual)}"] if argument else []
    if name == "$any":
        return []
    if name == "$type":
        wanted = argument if isinstance(argument, list) else [argument]
        unknown = [t for t in wanted if t not in _TYPES]
        if unknown:
            return [f"{path}: unknown $type {show(unknown)}"]
        if any(_TYPES[t](actual) for t in wanted):
            return []
        return [f"{path}: expected type {'|'.join(wanted)}, got {show(actual)}"]
    if name == "$regex":
        if not isinstance(actual, str):
            return [f"{path}: expected a string matching /{argument}/, got {show(actual)}"]
        return [] if re.search(str(argument), actual) else [f"{path}: {show(actual)} does not match /{argument}/"]
    if name == "$len":
        if not isinstance(actual, str | list | dict):
            return [f"{path}: expected length {argument}, got {show(actual)}"]
        return [] if len(actual) == argument else [f"{path}: expected length {argument}, got {len(actual)}"]
    if name == "$contains":
        if isinstance(actual, str) and isinstance(argument, str):
            return [] if argument in actual else [f"{path}: {show(actual)} does not contain {show(argument)}"]
        if isinstance(actual, list) and any(not match(argument, item, path) for item in actual):
            return []
        return [f"{path}: expected an item matching {show(argument)}, got {show(actual)}"]
    # $oneOf
    options = argument if isinstance(argument, list) else [argument]
    if any(not match(option, actual, path) for option in options):
        return []
    return [f"{path}: expected one of {show(options)}, got {show(actual)}"]


def match(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every way ``actual`` fails ``expected``, as ``"<json path>: <what>"`` messages."""
    if is_matcher(expected):
        return _apply_matcher(expected, actual, path)
    if actual is _MISSING:
        return [f"{path}: missing (expected {show(expected)})"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {show(actual)}"]
        problems = []
        for key, wanted in expected.items():
            problems.extend(match(wanted, actual.get(key, _MISSING), child(path, str(key))))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {show(actual)}"]
        if len(expected) != len(actual):
            return [f"{path}: expected {len(expected)} items, got {len(actual)}: {show(actual)}"]
        problems = []
        for index, (wanted, item) in enumerate(zip(expected, actual, strict=True)):
            problems.extend(match(wanted, item, child(path, index)))
        return problems
    if _equal(expected, actual):
        return []
    return [f"{path}: expected {show(expected)}, got {show(actual)}"]


def match_headers(expected: Mapping[str, Any], headers: Mapping[str, str]) -> list[str]:
    """Header expectations: names are case-insensitive, values are strings or matchers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    problems = []
    for name, wanted in expected.items():
        actual = lowered.get(name.lower(), _MISSING)
        if not is_matcher(wanted) and actual is not _MISSING:
            wanted = str(wanted)
        problems.extend(match(wanted, actual, f"header {name}"))
    return problems
