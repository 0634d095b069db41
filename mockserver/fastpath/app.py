"""Connexion's app and per-operation handler with everything fixed per operation done once.

Connexion rebuilds, for every request, things that are fixed per operation: the handler's
decorator chain and URI parser, the request validators, the credential checks' signature
inspection, the body definition's media-type match. The classes here are Connexion's own with
that work moved to the first request (or to start-up); they answer exactly as Connexion does
(tests/integration/test_fastpath_equivalence.py compares them with Connexion's AsyncApp).
README.md beside this file lists the Connexion internals they rely on; bench/PROFILE.md says
what each saves.
"""

from __future__ import annotations

import asyncio
import collections.abc
import dataclasses
import logging
import types
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from connexion import AsyncApp
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import context as current_context
from connexion.context import operation as current_operation
from connexion.decorators.parameter import (
    CONTEXT_NAME,
    get_arguments,
    inspect_function_arguments,
    pythonic,
    sanitized,
    unwrap_decorators,
)
from connexion.decorators.response import AsyncResponseDecorator
from connexion.exceptions import NonConformingResponseHeaders
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.http_facts import FORM_CONTENT_TYPES
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.main import API, _Options
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.operations import Swagger2Operation
from connexion.spec import OpenAPISpecification
from starlette.concurrency import run_in_threadpool
from starlette.requests import parse_options_header as _parse_options_header
from starlette.types import Receive, Scope, Send

from ..validation import PARSED_BODY
from .routing import OperationFastPath
from .validation import PreparedRequestValidationMiddleware, header_content_type

_NOT_PARSED = object()
_parameter_log = logging.getLogger("connexion.decorators.parameter")


class _Request(ConnexionRequest):
    """Connexion's request, taking a JSON body the body validator already parsed."""

    async def json(self) -> Any:
        parsed = self.scope.get("extensions", {}).get(PARSED_BODY, _NOT_PARSED)
        if parsed is not _NOT_PARSED:
            return parsed
        return await super().json()


class _PreparedHandler:
    """Connexion's parameter and response decorators around one operation's handler.

    The same steps in the same order as Connexion's ``AsyncParameterDecorator``,
    ``_sync_async_decorator`` and ``AsyncResponseDecorator``, calling Connexion's own functions
    for the work (``get_arguments``, the response decorator's helpers), with what they look up
    on the operation for every request (the handler's signature, the body's name, what the
    operation produces) looked up once. Connexion reads the operation through its context; this
    holds the same operation object.
    """

    def __init__(self, function: Callable[..., Any], operation: Any, *, pythonic_params: bool, jsonifier: Any) -> None:
        self._function = function
        self._operation = operation
        self._sanitize = pythonic if pythonic_params else sanitized
        self._arguments, self._has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        self._is_async = asyncio.iscoroutinefunction(function)
        self._swagger2 = isinstance(operation, Swagger2Operation)
        self._body_names: dict[str, str] = {}
        self._responses = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)
        # The response decorator reads list(set(operation.produces)) per response; a set built
        # from the same list iterates in the same order for the life of the process.
        self._produces = list(set(operation.produces))

    async def __call__(self, request: Any) -> Any:
        # -- AsyncParameterDecorator: the body, the files, the arguments
        content_type = request.content_type
        body_name = self._body_names.get(content_type)
        if body_name is None:
            body_name = self._body_names[content_type] = self._sanitize(self._operation.body_name(content_type))
        request_body = None
        if (body_name in self._arguments or self._has_kwargs) or (
            request.mimetype in FORM_CONTENT_TYPES and self._swagger2
        ):
            request_body = request.get_body()
        while asyncio.iscoroutine(request_body):
            request_body = await request_body
        kwargs = get_arguments(
            self._operation,
            path_params=request.path_params,
            query_params=request.query_params,
            body=request_body,
            files=await _files(request),
            arguments=self._arguments,
            has_kwargs=self._has_kwargs,
            sanitize=self._sanitize,
            content_type=request.mimetype,
        )
        kwargs = {self._sanitize(k): v for k, v in kwargs.items()}
        for key, value in current_context.items():
            if self._has_kwargs or key in self._arguments:
                kwargs[key] = value
            else:
                _parameter_log.debug("Context parameter '%s' not in function arguments", key)
        if CONTEXT_NAME in self._arguments:
            kwargs[CONTEXT_NAME] = current_context
        # -- _sync_async_decorator
        if self._is_async:
            handler_response = await self._function(**kwargs)
        else:
            handler_response = await run_in_threadpool(self._function, **kwargs)
        # -- AsyncResponseDecorator
        if StarletteFramework.is_framework_response(handler_response):
            return handler_response
        if isinstance(handler_response, ConnexionResponse):
            return StarletteFramework.connexion_to_framework_response(handler_response)
        return self._build_response(handler_response)

    def _build_response(self, handler_response: Any) -> Any:
        """``build_framework_response``, with the operation's content types read once."""
        responses = self._responses
        data, status_code, headers = responses._unpack_handler_response(handler_response)
        content_type = self._infer_content_type(data, headers)
        if not StarletteFramework.is_framework_response(data):
            data = responses._serialize_data(data, content_type=content_type)
            status_code = status_code or responses._infer_status_code(data)
            headers = responses._update_headers(headers, content_type=content_type)
        return StarletteFramework.build_response(
            data, content_type=content_type, status_code=status_code, headers=headers
        )

    def _infer_content_type(self, data: Any, headers: dict[str, str]) -> str | None:
        """Connexion's ``_infer_content_type``, word for word, with ``produces`` computed once."""
        content_type = header_content_type(headers)
        produces = list(self._produces)
        if data is not None and not produces:
            produces = ["application/json"]
        if content_type:
            if content_type not in produces:
                raise NonConformingResponseHeaders(
                    f"Returned content type ({content_type}) is not defined in operation spec "
                    f"({self._operation.produces})."
                )
        else:
            if not produces:
                pass
            elif len(produces) == 1:
                content_type = produces[0]
            else:
                if isinstance(data, str):
                    for produced_content_type in produces:
                        if "text/plain" in produced_content_type:
                            content_type = produced_content_type
                elif isinstance(data, (bytes, types.GeneratorType, collections.abc.Iterator)):
                    for produced_content_type in produces:
                        if "application/octet-stream" in produced_content_type:
                            content_type = produced_content_type
                if content_type is None:
                    raise NonConformingResponseHeaders(
                        "Multiple response content types are defined in the operation spec, but "
                        "the handler response did not specify which one to return."
                    )
        return content_type


async def _files(request: Any) -> Any:
    """``request.files()``; without parsing anything when starlette would find no form.

    Starlette parses a form only for ``multipart/form-data`` and
    ``application/x-www-form-urlencoded`` bodies; for any other content type Connexion's
    ``files()`` ends up with an empty ``defaultdict(list)``, which this returns directly.
    """
    if _parse_options_header is not None:
        content_type, _ = _parse_options_header(request.headers.get("Content-Type"))
        if content_type not in (b"multipart/form-data", b"application/x-www-form-urlencoded"):
            return defaultdict(list)
    return await request.files()


class _PreparedOperation(AsyncOperation):
    """Connexion's operation, with its handler's decorators prepared once.

    Connexion builds the decorator chain and the URI parser anew per request; both depend only
    on the operation, so the first request builds them and the rest reuse them. The decorators
    look the request body's definition up on the operation several times per request (a media
    type match each time); that answer is fixed too, so it is remembered per media type.
    """

    _prepared: tuple[_PreparedHandler, Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        prepared = self._prepared
        if prepared is None:
            # Built inside the first request: Connexion reads the operation from the context.
            operation = current_operation._get_current_object()
            _remember_body_definitions(operation)
            handler = _PreparedHandler(
                self._fn, operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
            )
            uri_parser = operation.uri_parser_class(operation.parameters, operation.body_definition())
            prepared = self._prepared = (handler, uri_parser)
        handler, uri_parser = prepared
        request = _Request(scope, receive, uri_parser=uri_parser)
        response = await handler(request)
        return await response(scope, receive, send)


def _remember_body_definitions(operation: Any) -> None:
    """Make ``operation.body_definition`` remember its answer per media type.

    The answer is the operation's request body entry for that media type, read from the spec:
    the same object on every call, so callers see no difference.
    """
    if getattr(operation, "_remembers_body_definitions", False):
        return
    compute = operation.body_definition
    remembered: dict[str | None, Any] = {}

    def body_definition(content_type: str | None = None) -> Any:
        if content_type not in remembered:
            remembered[content_type] = compute(content_type)
        return remembered[content_type]

    operation.body_definition = body_definition
    operation._remembers_body_definitions = True


class _PreparedApi(AsyncApi):
    def make_operation(self, operation: Any) -> AsyncOperation:
        return _PreparedOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class _PreparedASGIApp(AsyncASGIApp):
    api_cls = _PreparedApi


class BundledSpecification(OpenAPISpecification):
    """An OpenAPI 3 spec shipped with the package, not checked against the OpenAPI schema again.

    Connexion validates every spec it loads against the OpenAPI schema (and every default
    against its schema), which took a third of ``mockserver serve``'s start-up. The bundled specs
    cannot change after release, and ``tests/unit/test_specs.py`` runs exactly that
    validation on each of them as the app builds it.
    """

    @classmethod
    def _validate_spec(cls, spec: Any) -> None:
        return None


def _string_keys(value: Any) -> Any:
    # Specification.from_dict's enforce_string_keys: YAML reads `200:` as an int.
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    return value


class PreparedAsyncApp(AsyncApp):
    """Connexion's AsyncApp serving :class:`_PreparedOperation` operations from bundled specs."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        self._middleware_app = _PreparedASGIApp()
        AbstractApp.__init__(self, import_name, **kwargs)

    def add_api(
        self, specification: dict[str, Any], *, base_path: str | None = None, name: str | None = None, **options: Any
    ) -> None:
        """ConnexionMiddleware.add_api for a spec given as a dict, loaded as a :class:`BundledSpecification`."""
        middleware = self.middleware
        if middleware.middleware_stack is not None:
            raise RuntimeError("Cannot add api after an application has started")
        if not str(specification.get("openapi", "")).startswith("3."):
            raise ValueError("bundled specs are OpenAPI 3 documents")
        spec = BundledSpecification(_string_keys(specification))
        settings = middleware.options.replace(**{k: v for k, v in options.items() if k in _OPTION_NAMES})
        extra = {k: v for k, v in options.items() if k not in _OPTION_NAMES}
        middleware.apis.append(API(spec, base_path=base_path, name=name, **settings.__dict__, **extra))


_OPTION_NAMES = frozenset(field.name for field in dataclasses.fields(_Options))


class _SwaggerUIOnItsPaths(SwaggerUIMiddleware):
    """Connexion's Swagger UI middleware, consulted only for paths it could serve.

    It routes every request through its own router before passing it on. Its routes are
    ``<base>/openapi.json``, ``<base>/openapi.yaml`` and ``<base>/ui...`` (the defaults this app
    uses), and its router matches a path only if that path, give or take a trailing slash,
    is one of them; any other request goes straight on, as the router's default would send it.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and "/ui" not in path and "/openapi." not in path:
            await self.app(dict(scope), receive, send)
            return
        await super().__call__(scope, receive, send)


class _FastPath(OperationFastPath):
    handler_factory = staticmethod(_PreparedOperation.from_operation)


_MIDDLEWARE_REPLACEMENTS: dict[type, type] = {
    SwaggerUIMiddleware: _SwaggerUIOnItsPaths,
    RequestValidationMiddleware: PreparedRequestValidationMiddleware,
}


def middlewares() -> list[type]:
    """Connexion's default middlewares with the prepared ones, and the operation fast path."""
    chosen = [_MIDDLEWARE_REPLACEMENTS.get(m, m) for m in ConnexionMiddleware.default_middlewares]
    chosen.insert(chosen.index(_SwaggerUIOnItsPaths), _FastPath)
    return chosen
