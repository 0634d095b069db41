"""Checking requests and responses against an API's spec with openapi-core.

openapi-core ships no httpx integration; the two small adapters below give it what its
``Request`` and ``Response`` protocols ask for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .matching import child


class HttpxOpenAPIRequest:
    """An ``httpx.Request`` seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        url = request.url
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(
                [(key, value) for key, values in parse_qs(url.query.decode()).items() for value in values]
            ),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        url = self._request.url
        return f"{url.scheme}://{url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        content = self._request.content
        return content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "").lower()


class HttpxOpenAPIResponse:
    """An ``httpx.Response`` seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "").lower()

    @property
    def headers(self) -> Headers:
        return Headers(list(self._response.headers.multi_items()))

    @property
    def data(self) -> bytes | None:
        return self._response.content or None


def _json_path(parts: Iterable[Any]) -> str:
    path = "$"
    for part in parts:
        path = child(path, part if isinstance(part, int) else str(part))
    return path


def _first_paragraph(text: str) -> str:
    first = text.split("\n\n", 1)[0].strip()
    # openapi-core prefixes wrapped causes with the class name ("DataValidationError: ...").
    return re.sub(r"^[A-Za-z]+Error: ", "", first)


def flatten(error: BaseException) -> list[tuple[str, str]]:
    """``(json path, message)`` pairs for one openapi-core error and the chain under it."""
    pairs: list[tuple[str, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        schema_errors = getattr(current, "schema_errors", None)
        if schema_errors:
            for schema_error in schema_errors:
                pairs.append((_json_path(schema_error.absolute_path), _first_paragraph(schema_error.message)))
            return pairs
        context = getattr(current, "context", None)
        if isinstance(context, list | tuple) and context:
            for nested in context:
                pairs.extend(flatten(nested))
            return pairs
        current = current.__cause__
    where = "$"
    name = getattr(error, "name", None)
    if isinstance(name, str):
        where = f"header {name}" if "Header" in type(error).__name__ else f"parameter {name}"
    cause = error.__cause__
    message = _first_paragraph(str(error))
    if cause is not None and str(cause) and str(cause) not in message:
        message = f"{message} ({_first_paragraph(str(cause))})"
    return [(where, message)]


class SpecChecker:
    """One API's spec, with the target's base URL added to its servers (openapi-core matches hosts).

    Args:
        spec: the OpenAPI document (it is modified).
        base_url: where the target serves this API, e.g. ``http://127.0.0.1:8080/<api>``.
    """

    def __init__(self, spec: dict[str, Any], base_url: str) -> None:
        servers = spec.setdefault("servers", [])
        if not any(server.get("url") == base_url for server in servers):
            servers.append({"url": base_url})
        self._openapi = OpenAPI.from_dict(spec)

    def response_errors(self, response: httpx.Response) -> list[tuple[str, str]]:
        """Where and how the response breaks the spec (empty when it conforms)."""
        problems: list[tuple[str, str]] = []
        for error in self._openapi.iter_response_errors(
            HttpxOpenAPIRequest(response.request), HttpxOpenAPIResponse(response)
        ):
            # A request to a path or method the spec does not declare has no response contract
            # (a deliberate unknown-path or wrong-method step); the request check reports typos.
            if isinstance(error, PathNotFound | OperationNotFound):
                continue
            problems.extend(flatten(error))
        return problems

    def request_errors(self, request: httpx.Request) -> list[tuple[str, str]]:
        """Where and how the request breaks the spec (empty when it conforms)."""
        problems: list[tuple[str, str]] = []
        for error in self._openapi.iter_request_errors(HttpxOpenAPIRequest(request)):
            problems.extend(flatten(error))
        return problems
