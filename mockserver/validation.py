"""Request body validation that keeps *which field* failed and *why*, for vendor envelopes.

Connexion's JSON body validator reports a sentence; vendors need the field path and a reason
(missing / invalid / unknown) to build their own error bodies. This subclass raises
:class:`~mockserver.errors.Problem` instead, builds the JSON Schema validator once per operation
rather than once per request, and turns invalid UTF-8 into a 400 instead of a crash.

When ``jsonschema_rs`` is installed, bodies are first checked by its compiled validator and only
a body it rejects goes through the Python validator (which finds the field and the reason). It
is used only for schemas whose keywords both engines read the same way (see
:func:`fast_validator`), so it never accepts a body the Python validator would refuse.
"""

from __future__ import annotations

import codecs
import copy
import json
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem, UnsupportedMediaTypeProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.operations import AbstractOperation
from connexion.utils import is_null, is_nullable, split_content_type
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.types import Receive, Scope, Send

from .errors import INVALID_BODY, MALFORMED_BODY, Problem

try:
    import jsonschema_rs
except ImportError:  # optional: only makes valid bodies cheaper to accept
    jsonschema_rs = None  # type: ignore[assignment]

# Keywords whose values are not schemas, and that jsonschema_rs reads as the Python Draft 4
# validator does (``nullable`` is unknown to it: it then refuses a null that the Python
# validator accepts, which is the safe direction). ``pattern`` (regex dialects differ),
# ``multipleOf`` (float arithmetic) and anything else unknown keep a schema on the Python path.
_PLAIN_KEYWORDS = frozenset(
    {
        "type", "required", "enum", "format", "nullable",
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
        "title", "description", "default", "example", "examples", "readOnly", "writeOnly",
        "deprecated", "externalDocs", "xml", "discriminator",
    }
)  # fmt: skip


def _formats_if_plain(schema: Any, formats: set[str]) -> bool:
    """Whether ``schema`` uses only keywords both engines agree on; collects its formats."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        if keyword.startswith("x-"):
            continue
        if keyword == "format":
            if not isinstance(value, str):
                return False
            formats.add(value)
        elif keyword in _PLAIN_KEYWORDS:
            continue
        elif keyword == "properties":
            if not isinstance(value, dict) or not all(_formats_if_plain(sub, formats) for sub in value.values()):
                return False
        elif keyword in ("items", "additionalProperties", "not"):
            subs = value if keyword == "items" and isinstance(value, list) else [value]
            if not all(_formats_if_plain(sub, formats) for sub in subs):
                return False
        elif keyword in ("allOf", "anyOf", "oneOf"):
            if not isinstance(value, list) or not all(_formats_if_plain(sub, formats) for sub in value):
                return False
        else:
            return False
    return True


def fast_validator(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A compiled ``is_valid`` for ``schema`` that never accepts what the Python validator refuses.

    None when ``jsonschema_rs`` is missing or the schema uses a keyword outside the agreed set.
    Every ``format`` is checked by the Python format checker, so format semantics are identical.
    """
    # Connexion appends the spec's components to every body schema, for $ref lookups; a schema
    # without any $ref (checked below) never reads them, and they may hold reference cycles.
    schema = {key: value for key, value in schema.items() if key != "components"}
    formats: set[str] = set()
    if jsonschema_rs is None or not _formats_if_plain(schema, formats):
        return None
    checker = Draft4Validator.FORMAT_CHECKER

    def conforms(name: str) -> Callable[[str], bool]:
        return lambda value: checker.conforms(value, name)

    try:
        compiled = jsonschema_rs.Draft4Validator(
            schema, validate_formats=True, formats={name: conforms(name) for name in formats}
        )
    except Exception:  # a schema the Rust engine cannot compile stays on the Python path
        return None
    is_valid: Callable[[Any], bool] = compiled.is_valid
    return is_valid


PARSED_BODY = "mockserver.parsed_body"
"""Key in ``scope["extensions"]`` of the request body the validator parsed (UTF-8 bodies only)."""


class FieldAwareJSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator, raising field-aware :class:`Problem` errors."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compiled = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        self._fast_is_valid = fast_validator(self._schema)
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
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Problem(400, MALFORMED_BODY, f"the body is not valid JSON: {exc}", "body", "invalid") from exc
        if self._utf8 and body is not None:
            # The handler's request reads the same bytes again with json.loads(bytes), which
            # decodes UTF-8 exactly like this; it takes this value instead of parsing twice.
            scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise Problem(400, MALFORMED_BODY, "the request body is missing", "body", "missing")
        if self._fast_is_valid is not None:
            try:
                if self._fast_is_valid(body):
                    return body
            except Exception:  # a value the Rust engine cannot take (e.g. NaN): ask the Python one
                pass
        errors = list(self._compiled.iter_errors(body))
        error = best_match(errors)
        if error is None:
            return body
        problem = describe(error)
        # best_match may pick an error from inside another one's context; that one is not "other".
        problem.related = [describe(e) for e in errors if e is not error and error not in (e.context or ())]
        raise problem


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


def header_content_type(headers: Any) -> str | None:
    """``connexion.utils.extract_content_type``: the first Content-Type of ASGI header pairs or
    a dict, latin-1 decoded.

    The same answers, without the typing expressions Connexion's version builds on every call
    (hashing those unions cost more than the header search itself).
    """
    pairs = headers.items() if isinstance(headers, dict) else headers
    for key, value in pairs:
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        if name.lower() == "content-type":
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


class PreparedParameterValidator(ParameterValidator):
    """Connexion's parameter validator, with each parameter's JSON Schema validator built once.

    Connexion deep-copies the parameter and builds a new validator for every parameter of every
    request; the answers (and error messages) are the same with one validator per parameter.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compiled: dict[int, Draft4Validator] = {}

    def validate_parameter(
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            # Keyed by identity: the parameter dicts live in self.parameters for this validator's life.
            validator = self._compiled.get(id(param))
            if validator is None:
                copied = copy.deepcopy(param)
                validator = Draft4Validator(copied.get("schema", copied), format_checker=Draft4Validator.FORMAT_CHECKER)
                self._compiled[id(param)] = validator
            try:
                validator.validate(value)
            except ValidationError as exception:
                return str(exception)
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None


_log = logging.getLogger("connexion.middleware.validation")


class PreparedRequestValidationOperation(RequestValidationOperation):
    """Connexion's request validation for one operation, with its validators built once.

    Connexion builds a URI parser, a parameter validator and a body validator for every request;
    all of them depend only on the operation (and the request's media type), so they are built
    on first use and kept.
    """

    def __init__(self, next_app: Any, *, operation: AbstractOperation, **kwargs: Any) -> None:
        super().__init__(next_app, operation=operation, **kwargs)
        self._uri_parser = operation._uri_parser_class(operation.parameters, operation.body_definition())
        self._parameter_validator = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=self._uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        consumes = operation.consumes
        self._consumes = MediaTypeDict([(c.lower(), None) for c in consumes]) if consumes else None
        self._body_validators: dict[tuple[str, str], tuple[Any, bool]] = {}

    def extract_content_type(self, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
        # Connexion's method, with the header found by header_content_type.
        mime_type, encoding = split_content_type(header_content_type(headers))
        if mime_type is None:
            # Content-type header is not required. Take a best guess.
            try:
                mime_type = self._operation.consumes[0]
            except IndexError:
                mime_type = "application/octet-stream"
        if encoding is None:
            encoding = "utf-8"
        return mime_type, encoding

    def validate_mime_type(self, mime_type: str) -> None:
        if self._consumes is not None and mime_type.lower() not in self._consumes:
            raise UnsupportedMediaTypeProblem(
                detail=f"Invalid Content-type ({mime_type}), expected {self._operation.consumes}"
            )

    def _body_validator(self, mime_type: str, encoding: str) -> tuple[Any, bool]:
        """The body validator for a media type (None: nothing to validate), and whether the
        body has a schema but no validator is registered for the type (Connexion logs that)."""
        key = (mime_type, encoding)
        prepared = self._body_validators.get(key)
        if prepared is None:
            schema = self._operation.body_schema(mime_type)
            validator, unvalidated = None, False
            if schema:
                try:
                    validator_class = self._validator_map["body"][mime_type]
                except KeyError:
                    unvalidated = True
                else:
                    validator = validator_class(
                        schema=schema,
                        required=self._operation.request_body.get("required", False),
                        nullable=is_nullable(self._operation.body_definition(mime_type)),
                        encoding=encoding,
                        strict_validation=self.strict_validation,
                        uri_parser=self._uri_parser,
                    )
            prepared = self._body_validators[key] = (validator, unvalidated)
        return prepared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._parameter_validator.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        validator, unvalidated = self._body_validator(mime_type, encoding)
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        elif unvalidated:
            _log.info(f"Skipping validation. No validator registered for content type: {mime_type}.")
        await self.next_app(scope, receive, send)


class _PreparedRequestValidationAPI(RequestValidationAPI):
    def make_operation(self, operation: AbstractOperation) -> RequestValidationOperation:
        return PreparedRequestValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class PreparedRequestValidationMiddleware(RequestValidationMiddleware):
    """Connexion's request validation middleware serving :class:`PreparedRequestValidationOperation`."""

    api_cls = _PreparedRequestValidationAPI


class _PlainFieldAwareJSONBodyValidator(FieldAwareJSONBodyValidator):
    """The field-aware validator with the Python engine only (no compiled first check)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fast_is_valid = None


def validator_map(prepared: bool = True) -> dict[str, Any]:
    """Connexion's validator map with the field-aware JSON body validator.

    ``prepared=False`` keeps Connexion's own parameter validator and checks bodies with the
    Python engine only: the reference that the prepared validators must answer exactly like.
    """
    mapping = dict(VALIDATOR_MAP)
    body = MediaTypeDict(dict(VALIDATOR_MAP["body"]))
    if prepared:
        mapping["parameter"] = PreparedParameterValidator
        body["*/*json"] = FieldAwareJSONBodyValidator
    else:
        body["*/*json"] = _PlainFieldAwareJSONBodyValidator
    mapping["body"] = body
    return mapping
