"""Request body validation that keeps *which field* failed and *why*, for vendor envelopes.

Connexion's JSON body validator reports a sentence; vendors need the field path and a reason
(missing / invalid / unknown) to build their own error bodies. :class:`FieldAwareJSONBodyValidator`
raises :class:`~mockserver.errors.Problem` instead, builds its JSON Schema validator once per
operation rather than once per request, and turns invalid UTF-8 into a 400 instead of a crash.
Both ways of serving (Connexion's own stack and the fast path) use it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncGenerator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator
from jsonschema import Draft4Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.types import Receive, Scope

from .errors import INVALID_BODY, MALFORMED_BODY, Problem

PARSED_BODY = "mockserver.parsed_body"
"""Key in ``scope["extensions"]`` of the request body the validator parsed (UTF-8 bodies only)."""


class FieldAwareJSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator, raising field-aware :class:`Problem` errors."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compiled = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        try:
            self._utf8 = codecs.lookup(self._encoding).name == "utf-8"
        except LookupError:
            self._utf8 = False

    @property
    def _validator(self) -> Any:
        return self._compiled

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        try:
            return await super().wrap_receive(receive, scope=scope)
        except BadRequestProblem as exc:
            # Connexion's own check for a required body that is absent (no Content-Length).
            if self._required and not _has_body(scope):
                raise Problem(400, MALFORMED_BODY, "the request body is missing", "body", "missing") from exc
            raise

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except UnicodeDecodeError as exc:
            raise Problem(
                400, MALFORMED_BODY, f"the body is not valid {self._encoding}: {exc.reason}", "body", "invalid"
            ) from exc
        if not text:
            return None
        body = parse_json(text)
        if self._utf8 and body is not None:
            # The handler's request reads the same bytes again with json.loads(bytes), which
            # decodes UTF-8 exactly like this; it takes this value instead of parsing twice.
            scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body

    def _accepts_quickly(self, body: Any) -> bool:
        """Whether a cheaper check already knows ``body`` is valid (never on this path)."""
        return False

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise Problem(400, MALFORMED_BODY, "the request body is missing", "body", "missing")
        if self._accepts_quickly(body):
            return body
        errors = list(self._compiled.iter_errors(body))
        error = best_match(errors)
        if error is None:
            return body
        problem = describe(error)
        # best_match may pick an error from inside another one's context; that one is not "other".
        problem.related = [describe(e) for e in errors if e is not error and error not in (e.context or ())]
        raise problem


MAX_JSON_DEPTH = 64
"""The deepest nesting of arrays and objects a request body may have."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]}... is too large")
    return value


def parse_json(text: str) -> Any:
    """A request body parsed as strict JSON; a :class:`Problem` (400) for anything else.

    Refused as well as malformed JSON: ``NaN`` and ``Infinity`` (not JSON, though Python's parser
    takes them), numbers too large for a float, integers longer than Python converts (4,300
    digits), and nesting deeper than :data:`MAX_JSON_DEPTH` - each would otherwise fail deep in
    validation or a handler.
    """
    try:
        body = _DECODER.decode(text)
    except RecursionError:
        body = _TOO_DEEP
    except ValueError as exc:  # JSONDecodeError, and the refusals above
        raise Problem(400, MALFORMED_BODY, f"the body is not valid JSON: {exc}", "body", "invalid") from exc
    # A body cannot nest deeper than it has brackets; most have a handful, and skip the walk.
    if body is _TOO_DEEP or (
        text.count("{") + text.count("[") > MAX_JSON_DEPTH and _depth_exceeds(body, MAX_JSON_DEPTH)
    ):
        raise Problem(400, MALFORMED_BODY, f"the body nests deeper than {MAX_JSON_DEPTH} levels", "body", "invalid")
    return body


_TOO_DEEP = object()
# Built once: json.loads with hooks would build a decoder (and its scanner) on every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative, so a deep body cannot exhaust the stack here either.
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
    return False


def describe(error: ValidationError) -> Problem:
    """A field-aware Problem for one JSON Schema error."""
    path = [str(part) for part in error.absolute_path]
    where = ".".join(path) if path else "body"
    kind = error.validator
    if kind == "required":
        missing = _first_quoted(error.message)
        name = ".".join([*path, missing]) if missing else where
        return Problem(422, INVALID_BODY, f"{name} is missing", name, "missing")
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extra = sorted(set(error.instance) - known)
        name = ".".join([*path, extra[0]]) if extra else where
        return Problem(422, INVALID_BODY, f"{name} is not a known field", name, "unknown")
    if kind == "type":
        return Problem(
            422,
            INVALID_BODY,
            f"{where} must be of type {_type_name(error.validator_value)}",
            where,
            "invalid",
            value=error.instance,
        )
    if kind == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in error.validator_value)
        return Problem(422, INVALID_BODY, f"{where} must be one of: {allowed}", where, "invalid", value=error.instance)
    if kind == "minLength" and error.validator_value == 1:
        return Problem(422, INVALID_BODY, f"{where} must not be empty", where, "invalid", value=error.instance)
    return Problem(422, INVALID_BODY, f"{where} is invalid: {error.message}", where, "invalid", value=error.instance)


def _first_quoted(message: str) -> str | None:
    # jsonschema's required message is "'name' is a required property"
    if message.startswith("'") and "'" in message[1:]:
        return message[1 : message.index("'", 1)]
    return None


def _type_name(value: Any) -> str:
    return " or ".join(value) if isinstance(value, list) else str(value)


def validator_map() -> dict[str, Any]:
    """Connexion's validator map with the field-aware JSON body validator for every JSON type."""
    mapping = dict(VALIDATOR_MAP)
    body = MediaTypeDict(dict(VALIDATOR_MAP["body"]))
    body["*/*json"] = FieldAwareJSONBodyValidator
    mapping["body"] = body
    return mapping
