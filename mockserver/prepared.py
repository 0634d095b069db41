"""Connexion's per-request machinery with everything that depends only on the operation done once.

Connexion rebuilds, for every request, things that are fixed per operation: the handler's
decorator chain and URI parser, the request validators, the credential checks' signature
inspection, the body definition's media-type match. The classes here are Connexion's own with
that work moved to the first request (or to start-up); they answer exactly as Connexion does
(tests/integration/test_optimised_app_equivalence.py compares them with Connexion's AsyncApp).
bench/PROFILE.md says what each saves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from connexion import AsyncApp
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import operation as current_operation
from connexion.decorators import StarletteDecorator
from connexion.exceptions import OAuthResponseProblem
from connexion.lifecycle import ConnexionRequest
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.security import NO_VALUE, ApiKeySecurityHandler, BasicSecurityHandler, BearerSecurityHandler
from starlette.types import Receive, Scope, Send

from .fastpath import OperationFastPath
from .validation import PARSED_BODY, PreparedRequestValidationMiddleware

_NOT_PARSED = object()


class _Request(ConnexionRequest):
    """Connexion's request, taking a JSON body the body validator already parsed."""

    async def json(self) -> Any:
        parsed = self.scope.get("extensions", {}).get(PARSED_BODY, _NOT_PARSED)
        if parsed is not _NOT_PARSED:
            return parsed
        return await super().json()


class _PreparedOperation(AsyncOperation):
    """Connexion's operation, with its handler decorated once instead of on every request.

    Connexion builds the decorator chain and the URI parser anew per request; both depend only
    on the operation, so the first request builds them and the rest reuse them. The decorators
    look the request body's definition up on the operation several times per request (a media
    type match each time); that answer is fixed too, so it is remembered per media type.
    """

    _prepared: tuple[Any, Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        prepared = self._prepared
        if prepared is None:
            # Built inside the first request: the URI parser reads the operation from the context.
            _remember_body_definitions(current_operation._get_current_object())
            decorator = StarletteDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
            prepared = self._prepared = (decorator.decorate(self._fn), decorator.uri_parser)
        function, uri_parser = prepared
        request = _Request(scope, receive, uri_parser=uri_parser)
        response = await function(request)
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


class PreparedAsyncApp(AsyncApp):
    """Connexion's AsyncApp serving :class:`_PreparedOperation` operations."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        self._middleware_app = _PreparedASGIApp()
        AbstractApp.__init__(self, import_name, **kwargs)


class _PreparedCheck:
    """Connexion's credential check, with the check function's signature inspected once.

    Connexion inspects the function's arguments on every request; the answer never changes.
    """

    required_scopes_kw: str
    request_kw: str
    _accepts_kwarg: Callable[[Callable[..., Any], str], bool]

    def _generic_check(self, func: Callable[..., Any], exception_msg: str) -> Callable[..., Any]:
        accepts_scopes = self._accepts_kwarg(func, self.required_scopes_kw)
        accepts_request = self._accepts_kwarg(func, self.request_kw)

        async def wrapper(request: Any, *args: Any, required_scopes: Any = None) -> Any:
            kwargs = {}
            if accepts_scopes:
                kwargs[self.required_scopes_kw] = required_scopes
            if accepts_request:
                kwargs[self.request_kw] = request
            token_info = func(*args, **kwargs)
            while asyncio.iscoroutine(token_info):
                token_info = await token_info
            if token_info is NO_VALUE:
                return NO_VALUE
            if token_info is None:
                raise OAuthResponseProblem(detail=exception_msg)
            return token_info

        return wrapper


class _BasicHandler(_PreparedCheck, BasicSecurityHandler):
    pass


class _BearerHandler(_PreparedCheck, BearerSecurityHandler):
    pass


class _ApiKeyHandler(_PreparedCheck, ApiKeySecurityHandler):
    pass


SECURITY_MAP = {"basic": _BasicHandler, "bearer": _BearerHandler, "apiKey": _ApiKeyHandler}


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
