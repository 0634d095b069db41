"""What the journal keeps of a body, and the queries run over journal entries.

Everything here works on plain entry dicts (the journal's own, or any store's), so the same
filters serve ``POST /__admin/requests/find`` and ``.../count`` wherever entries are kept.

An entry, as the middleware records it::

    {"time", "method", "path", "query", "api", "operationId", "status", "duration_ms",
     "request": {"headers": "name: value\nname: value", "body": str | None, "body_bytes": int,
                 "truncated": bool},
     "response": {...the same...},
     "near_misses": [...]}          # only when no operation matched (404/405)

Headers are kept as one string while recorded (one join costs a fraction of building a dict per
request, and most entries are never read); :func:`readable` turns them into a dict when read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from .issued import masked

BODY_CAP = 64 * 1024
"""The most bytes of each request and response body an entry keeps."""
TRUNCATED_MARKER = "\n…[truncated by mockserver: {total} bytes, the first {kept} kept]"
"""Appended to a body cut at :data:`BODY_CAP`, so nobody mistakes it for the whole body."""
ENTRY_OVERHEAD = 512
"""What an entry costs beyond its strings (the dicts, numbers and names), counted per entry."""
_CREDENTIAL_HEADER = re.compile(r"authorization|cookie|token|api[-_]?key|secret|password", re.IGNORECASE)


def body_part(chunks: list[bytes], total: int, cap: int = BODY_CAP) -> tuple[str | None, bool]:
    """The text an entry keeps of a body received as ``chunks`` (``total`` bytes in all).

    Answers ``(text, truncated)``: None for no body; bytes beyond ``cap`` are dropped and the
    text ends with :data:`TRUNCATED_MARKER`. Bytes that are not UTF-8 are shown as U+FFFD.
    """
    if total == 0:
        return None, False
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if total <= cap:
        return data.decode("utf-8", "replace"), False
    return data[:cap].decode("utf-8", "replace") + TRUNCATED_MARKER.format(total=total, kept=cap), True


_NAME_VALUE = b": ".join


def headers_text(raw: list[tuple[bytes, bytes]]) -> str:
    """ASGI headers as the one string an entry records (``name: value`` lines)."""
    return b"\n".join(map(_NAME_VALUE, raw)).decode("latin-1")


def headers_dict(text: str | Mapping[str, str]) -> dict[str, str]:
    """Recorded headers as one ``{name: value}`` dict (repeated headers joined with ``, ``)."""
    if isinstance(text, Mapping):
        return dict(text)
    shown: dict[str, str] = {}
    for line in text.split("\n") if text else ():
        name, _, value = line.partition(": ")
        shown[name] = f"{shown[name]}, {value}" if name in shown else value
    return shown


def readable(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a recorded entry as the control plane shows it: headers as dicts."""
    shown = dict(entry)
    for side in ("request", "response"):
        part = shown.get(side)
        if isinstance(part, RawPart):
            part = part.shown()
        if isinstance(part, Mapping):
            shown[side] = {**part, "headers": headers_dict(part.get("headers") or "")}
    return shown


def entry_size(entry: Mapping[str, Any]) -> int:
    """Roughly how many bytes ``entry`` holds: its strings (bodies, headers, path) plus a fixed overhead.

    The journal's byte cap is counted in these units; bodies dominate, and they are exact.
    """
    size = ENTRY_OVERHEAD + len(entry.get("path") or "") + len(entry.get("query") or "")
    for side in ("request", "response"):
        part = entry.get(side)
        if isinstance(part, RawPart):
            size += part.size()
        elif part:
            headers = part.get("headers") or ""
            size += len(part.get("body") or "")
            if isinstance(headers, str):
                size += len(headers)
            else:
                size += sum(len(name) + len(value) for name, value in headers.items())
    return size


def mask_credential_headers(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with the values of credential headers (Authorization, cookies, API keys) cut short.

    Issued secrets are masked everywhere by :mod:`mockserver.issued`; this also hides a
    credential the fakes never issued (a real vendor key sent to the fake by mistake).
    """
    for side in ("request", "response"):
        part = entry.get(side)
        if not isinstance(part, dict) or not part.get("headers"):
            continue
        part["headers"] = {
            name: _mask_credential(value) if _CREDENTIAL_HEADER.search(name) else value
            for name, value in part["headers"].items()
        }
    return entry


def _mask_credential(value: str) -> str:
    scheme, space, credential = value.partition(" ")
    if space and scheme.isalpha() and len(scheme) < 16:
        return f"{scheme} {_short(credential)}"  # "Bearer abc123…": the scheme says how it was sent
    return _short(value)


def _short(value: str) -> str:
    return value if value.endswith("…") else masked(value)


# -- find / count ------------------------------------------------------------------------------
@dataclass(frozen=True)
class JsonPathFilter:
    """A JSONPath run over a request's or response's JSON body; an optional expected value."""

    expression: str
    compiled: Any
    body: str = "request"
    expect: bool = False
    equals: Any = None

    def matches(self, entry: Mapping[str, Any]) -> bool:
        """True when the path finds something in the body (equal to ``equals`` when given)."""
        part = entry.get(self.body)
        text = part.get("body") if isinstance(part, Mapping) else None
        if not isinstance(text, str) or (isinstance(part, Mapping) and part.get("truncated")):
            return False  # no body, or only the start of one: nothing to match against
        try:
            data = json.loads(text)
        except ValueError:
            return False
        found = [hit.value for hit in self.compiled.find(data)]
        if not self.expect:
            return bool(found)
        return any(_same(value, self.equals) for value in found)


def _same(found: Any, expected: Any) -> bool:
    # JSON's true is no 1: Python's == would say it is.
    if isinstance(found, bool) or isinstance(expected, bool):
        return type(found) is type(expected) and found == expected
    return bool(found == expected)


@dataclass(frozen=True)
class RequestFilter:
    """What ``POST /__admin/requests/find`` and ``.../count`` select; every given field must hold."""

    api: str | None = None
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    path_pattern: re.Pattern[str] | None = None
    status: int | None = None
    json_path: JsonPathFilter | None = None
    limit: int | None = None

    def matches(self, entry: Mapping[str, Any]) -> bool:
        """True when ``entry`` passes every filter given."""
        if self.api is not None and entry.get("api") != self.api:
            return False
        if self.operation_id is not None and entry.get("operationId") != self.operation_id:
            return False
        if self.method is not None and str(entry.get("method", "")).upper() != self.method:
            return False
        if self.path is not None and entry.get("path") != self.path:
            return False
        if self.path_pattern is not None and not self.path_pattern.fullmatch(str(entry.get("path", ""))):
            return False
        if self.status is not None and entry.get("status") != self.status:
            return False
        return self.json_path is None or self.json_path.matches(entry)


FILTER_FIELDS = ("api", "operationId", "method", "path", "pathPattern", "status", "jsonPath", "limit")
"""The filter names, as the control plane's JSON carries them."""


class RequestFilterOptions(TypedDict, total=False):
    """The filters of :meth:`~mockserver.admin.Admin.find_requests`, by their Python names.

    ``json_path`` is a JSONPath expression (``"$.items[0].id"``: something must be found in the
    request body), or ``{"expression", "equals", "body"}`` (what is found must equal ``equals``;
    ``body`` is ``"request"`` or ``"response"``).
    """

    api: str | None
    operation_id: str | None
    method: str | None
    path: str | None
    path_pattern: str | None
    status: int | None
    json_path: str | dict[str, Any] | None
    limit: int | None


_JSON_NAMES = {"operation_id": "operationId", "path_pattern": "pathPattern", "json_path": "jsonPath"}


def filter_body(options: RequestFilterOptions) -> dict[str, Any]:
    """The JSON body of a find/count call for ``options`` (unset and None filters left out)."""
    body = {_JSON_NAMES.get(name, name): value for name, value in options.items() if value is not None}
    if isinstance(body.get("jsonPath"), str):
        body["jsonPath"] = {"expression": body["jsonPath"]}
    return body


def parse_filter(given: Mapping[str, Any]) -> RequestFilter:
    """A :class:`RequestFilter` from the JSON body of a find/count call; raises ValueError saying
    which field is wrong (an unknown field, a bad regular expression, a JSONPath that does not parse)."""
    if not isinstance(given, Mapping):
        raise ValueError("the filter must be a JSON object")
    unknown = sorted(set(given) - set(FILTER_FIELDS))
    if unknown:
        raise ValueError(f"unknown filter {unknown[0]!r}; known: {', '.join(FILTER_FIELDS)}")
    for name in ("api", "operationId", "method", "path", "pathPattern"):
        if given.get(name) is not None and not isinstance(given[name], str):
            raise ValueError(f"{name} must be a string")
    for name in ("status", "limit"):
        value = given.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be an integer")
    if given.get("limit") is not None and given["limit"] < 1:
        raise ValueError("limit must be at least 1")
    pattern = None
    if given.get("pathPattern") is not None:
        try:
            pattern = re.compile(given["pathPattern"])
        except re.error as exc:
            raise ValueError(f"pathPattern is not a regular expression: {exc}") from None
    method = given.get("method")
    return RequestFilter(
        api=given.get("api"),
        operation_id=given.get("operationId"),
        method=method.upper() if method is not None else None,
        path=given.get("path"),
        path_pattern=pattern,
        status=given.get("status"),
        json_path=_json_path(given["jsonPath"]) if given.get("jsonPath") is not None else None,
        limit=given.get("limit"),
    )


def _json_path(given: Any) -> JsonPathFilter:
    if isinstance(given, str):
        given = {"expression": given}
    if not isinstance(given, Mapping):
        raise ValueError("jsonPath must be an object: {expression, equals?, body?}")
    unknown = sorted(set(given) - {"expression", "equals", "body"})
    if unknown:
        raise ValueError(f"jsonPath has no field {unknown[0]!r}; known: expression, equals, body")
    expression = given.get("expression")
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError("jsonPath.expression must be a JSONPath such as $.items[0].id")
    body = given.get("body", "request")
    if body not in ("request", "response"):
        raise ValueError("jsonPath.body must be 'request' or 'response'")
    from jsonpath_ng.ext import parse  # imported on first use: building its parser takes a while

    try:
        compiled = parse(expression)
    except Exception as exc:  # jsonpath-ng raises plain Exceptions as well as its own
        raise ValueError(f"jsonPath.expression does not parse: {exc}") from None
    return JsonPathFilter(expression, compiled, body, "equals" in given, given.get("equals"))


def find(entries: Iterable[Mapping[str, Any]], selected: RequestFilter) -> list[Mapping[str, Any]]:
    """The entries ``selected`` matches, in the order given, at most ``selected.limit`` of them."""
    found = []
    for entry in entries:
        if selected.matches(entry):
            found.append(entry)
            if selected.limit is not None and len(found) >= selected.limit:
                break
    return found


def count(entries: Iterable[Mapping[str, Any]], selected: RequestFilter) -> int:
    """How many entries ``selected`` matches (``limit`` does not apply)."""
    return sum(1 for entry in entries if selected.matches(entry))


class BodyTap:
    """Keeps the first :data:`BODY_CAP` bytes of a body as its chunks pass, and counts all of them."""

    __slots__ = ("chunks", "done", "kept", "total")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.kept = 0
        self.total = 0
        self.done = False

    def add(self, data: bytes, more: bool = False) -> None:
        """One chunk; ``more`` is false on the last one."""
        if data:
            self.total += len(data)
            if self.kept < BODY_CAP:
                self.chunks.append(data)
                self.kept += len(data)
        if not more:
            self.done = True

    def part(self, headers: list[tuple[bytes, bytes]]) -> RawPart:
        """The entry's ``request`` or ``response`` as received (text is made when it is read)."""
        return RawPart(headers, self.chunks, self.total)


class RawPart:
    """One side of an exchange as recorded: the headers and the kept chunks as they passed.

    Decoding them costs more than the rest of recording and most entries are never read, so the
    text form (:meth:`shown`) is made when an entry is read, exported or sent to another process
    (:func:`materialized`).
    """

    __slots__ = ("chunks", "headers", "total")

    def __init__(self, headers: list[tuple[bytes, bytes]], chunks: list[bytes], total: int) -> None:
        self.headers = headers
        self.chunks = chunks
        self.total = total

    def size(self) -> int:
        """What :func:`entry_size` counts for it: the kept body and the header text."""
        return min(self.total, BODY_CAP) + sum(len(name) + len(value) + 3 for name, value in self.headers)

    def shown(self) -> dict[str, Any]:
        """Headers (one ``name: value`` string), the body as kept, its size, whether cut."""
        total, chunks = self.total, self.chunks
        if total == 0:
            text, truncated = None, False
        elif len(chunks) == 1 and total <= BODY_CAP:  # the usual case, without a call
            text, truncated = chunks[0].decode("utf-8", "replace"), False
        else:
            text, truncated = body_part(chunks, total)
        shown = b"\n".join(map(_NAME_VALUE, self.headers)).decode("latin-1")
        return {"headers": shown, "body": text, "body_bytes": total, "truncated": truncated}


def materialized(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` as plain JSON-ready data (its recorded parts turned into text)."""
    plain = dict(entry)
    for side in ("request", "response"):
        part = plain.get(side)
        if isinstance(part, RawPart):
            plain[side] = part.shown()
    return plain
