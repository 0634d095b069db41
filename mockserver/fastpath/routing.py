"""Serving a request that fully matches a vendor operation through that operation's own stages.

Connexion passes every request through a chain of middlewares: Swagger UI, routing (two levels
of starlette routers), then security, request validation, response validation, lifespan and
context, each of which looks the operation up again before running its part. For a request
that fully matches one operation, :class:`OperationFastPath` runs the same per-operation stages
(Connexion's own security and validation objects, built from the same spec with the same
options) chained directly, after the same route matching starlette does. A request it does not
recognise goes on to the full chain, unchanged.

Exceptions are not caught here: they travel to Connexion's exception middleware exactly as
they do from inside the full chain (no layer in between catches anything).
"""

from __future__ import annotations

from typing import Any

from connexion.jsonifier import Jsonifier
from connexion.middleware.abstract import ROUTING_CONTEXT, RoutedAPI, SpecMiddleware
from connexion.middleware.context import ContextOperation
from connexion.middleware.response_validation import ResponseValidationOperation
from connexion.middleware.routing import RoutingAPI
from connexion.middleware.security import SecurityOperation
from connexion.security import SecurityHandlerFactory
from connexion.spec import Specification
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .validation import PreparedRequestValidationOperation


class _Chain:
    """One operation's stages, first to last, and where its route matches."""

    def __init__(self, operation_id: str | None, route: Route, first: ASGIApp) -> None:
        self.operation_id = operation_id
        self.route = route
        self.first = first


class _FastPathAPI(RoutedAPI[_Chain]):
    """One API's operations, each built as Connexion's middlewares build theirs."""

    def __init__(
        self,
        specification: Specification,
        *,
        next_app: ASGIApp,
        handler_factory: Any,
        security_map: dict[str, Any] | None = None,
        strict_validation: bool = False,
        validator_map: dict[str, Any] | None = None,
        validate_responses: bool = False,
        pythonic_params: bool = False,
        jsonifier: Jsonifier | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(specification, next_app=next_app, **kwargs)
        self._handler_factory = handler_factory
        self._security = SecurityHandlerFactory(security_map)
        self._strict_validation = strict_validation
        self._validator_map = validator_map
        self._validate_responses = validate_responses
        self._pythonic_params = pythonic_params
        self._jsonifier = jsonifier or Jsonifier()
        self.chains: list[_Chain] = []
        self.add_paths()

    def add_operation(self, path: str, method: str) -> None:
        operation = self.specification.operation_cls.from_spec(
            self.specification,
            path=path,
            method=method,
            resolver=self.resolver,
            uri_parser_class=self.uri_parser_class,
        )
        # Innermost first: handler <- context <- response validation <- request validation <- security.
        handler = self._handler_factory(operation, pythonic_params=self._pythonic_params, jsonifier=self._jsonifier)
        stage: Any = ContextOperation(handler, operation=operation)
        if self._validate_responses:
            stage = ResponseValidationOperation(stage, operation=operation, validator_map=self._validator_map)
        stage = PreparedRequestValidationOperation(
            stage, operation=operation, strict_validation=self._strict_validation, validator_map=self._validator_map
        )
        stage = SecurityOperation.from_operation(operation, next_app=stage, security_handler_factory=self._security)
        # The same path and method the routing middleware registers for this operation.
        route_path, _ = RoutingAPI._framework_path_and_name(operation, path)
        chain = _Chain(operation.operation_id, Route(route_path, stage, methods=[method]), stage)
        self.operations[operation.operation_id] = chain
        self.chains.append(chain)

    def make_operation(self, operation: Any) -> _Chain:  # pragma: no cover - add_operation builds chains
        raise NotImplementedError

    def match(self, route_path: str, method: str) -> tuple[_Chain, dict[str, Any]] | None:
        """The first operation whose route fully matches, as starlette's router picks it."""
        for chain in self.chains:
            route = chain.route
            found = route.path_regex.match(route_path)
            if found is None or (route.methods and method not in route.methods):
                continue
            params = {key: route.param_convertors[key].convert(value) for key, value in found.groupdict().items()}
            return chain, params
        return None


class OperationFastPath(SpecMiddleware):
    """Runs fully matched operation requests through their own stages; the rest goes on.

    Recognised: an HTTP request with no ``root_path``, below an API mounted at a one-segment base
    path, that is no Swagger UI or spec path, and fully matches an operation's path and method.
    """

    handler_factory: Any = None
    """Builds the innermost stage from a Connexion operation (the app's prepared operation)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._apis: dict[str, _FastPathAPI | None] = {}

    def add_api(self, specification: Specification, base_path: str | None = None, **kwargs: Any) -> None:
        api = _FastPathAPI(
            specification, base_path=base_path, next_app=self.app, handler_factory=self.handler_factory, **kwargs
        )
        single_segment = api.base_path.startswith("/") and api.base_path.count("/") == 1 and len(api.base_path) > 1
        # Two APIs on one base path chain into each other in the router: leave those to it.
        self._apis[api.base_path] = None if api.base_path in self._apis or not single_segment else api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            path: str = scope["path"]
            slash = path.find("/", 1)
            api = self._apis.get(path[:slash]) if slash > 0 else None
            if api is not None and "/ui" not in path and "/openapi." not in path:
                found = api.match(path[slash:], scope["method"])
                if found is not None:
                    chain, params = found
                    # What the routing middleware hands on: a copy of the scope with the path
                    # parameters and the matched operation.
                    routed = dict(scope)
                    routed.setdefault("path_params", {}).update(params)
                    routed.setdefault("extensions", {}).setdefault(ROUTING_CONTEXT, {}).update(
                        {"api_base_path": api.base_path, "operation_id": chain.operation_id}
                    )
                    await chain.first(routed, receive, send)
                    return
        await self.app(scope, receive, send)
