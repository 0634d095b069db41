"""Builds the one ASGI app that serves every fake under its prefix and the control plane."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
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
from connexion.options import SwaggerUIOptions
from connexion.security import NO_VALUE, ApiKeySecurityHandler, BasicSecurityHandler, BearerSecurityHandler
from starlette.types import Receive, Scope, Send

from . import auth, responses
from .admin import InProcessAdmin
from .admin.handlers import OPERATIONS as ADMIN_OPERATIONS
from .dispatch import FunctionTableResolver, VendorResolver
from .fastpath import OperationFastPath
from .middleware import FakesMiddleware
from .responses import ADMIN_PREFIX
from .runtime import Runtime
from .specs import load_spec
from .validation import PARSED_BODY, PreparedRequestValidationMiddleware, validator_map
from .vendor import Vendor

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


class _ConnexionApp(AsyncApp):
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


_SECURITY_MAP = {"basic": _BasicHandler, "bearer": _BearerHandler, "apiKey": _ApiKeyHandler}


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


class FakesApp:
    """The ASGI application: the fakes, the control plane, and the runtime behind them."""

    def __init__(self, connexion_app: AsyncApp, runtime: Runtime) -> None:
        self.connexion_app = connexion_app
        self.runtime = runtime
        self.admin = InProcessAdmin(runtime)
        self._asgi = FakesMiddleware(connexion_app, runtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    @property
    def apis(self) -> list[str]:
        """The names (and URL prefixes) of the served fakes."""
        return list(self.runtime.vendors)


def build_app(
    runtime: Runtime | None = None,
    *,
    vendors: Iterable[type[Vendor]] | None = None,
    validate_responses: bool = False,
    fast_path: bool = True,
) -> FakesApp:
    """Build the app.

    Args:
        runtime: an existing runtime to serve (a new one otherwise).
        vendors: the vendor classes to serve when building a new runtime (default: all).
        validate_responses: check every fake response against its spec; a violation answers
            500 ``FAKE_RESPONSE_INVALID`` in the vendor's envelope. Tests keep this on.
        fast_path: serve requests with the per-request work Connexion repeats done once (see
            PROFILE.md in the bench folder); off builds Connexion's own AsyncApp with its
            default middlewares, which answers the same, more slowly (the reference the
            equivalence tests compare against).
    """
    runtime = runtime or Runtime(vendors)
    app: AsyncApp
    if fast_path:
        middlewares = [_MIDDLEWARE_REPLACEMENTS.get(m, m) for m in ConnexionMiddleware.default_middlewares]
        middlewares.insert(middlewares.index(_SwaggerUIOnItsPaths), _FastPath)
        app = _ConnexionApp(
            __name__,
            middlewares=middlewares,
            validator_map=validator_map(),
            security_map=_SECURITY_MAP,
            swagger_ui_options=SwaggerUIOptions(swagger_ui=True),
        )
    else:
        app = AsyncApp(
            __name__,
            validator_map=validator_map(prepared=False),
            swagger_ui_options=SwaggerUIOptions(swagger_ui=True),
        )
    for name, vendor in runtime.vendors.items():
        spec = auth.attach(load_spec(vendor.spec_file))
        app.add_api(
            spec,
            base_path=f"/{name}",
            name=name,
            resolver=VendorResolver(runtime, vendor),
            validate_responses=validate_responses,
        )
    admin = InProcessAdmin(runtime)
    app.add_api(
        load_spec("admin.yaml"),
        base_path=ADMIN_PREFIX,
        name="admin",
        resolver=FunctionTableResolver(dict(ADMIN_OPERATIONS), admin),
        validate_responses=validate_responses,
    )
    responses.install(app, runtime)
    return FakesApp(app, runtime)


def describe_urls(base_url: str, app: FakesApp) -> dict[str, Any]:
    """The base URL of each fake and of the control plane."""
    base = base_url.rstrip("/")
    return {**{api: f"{base}/{api}" for api in app.apis}, "admin": f"{base}{ADMIN_PREFIX}"}
