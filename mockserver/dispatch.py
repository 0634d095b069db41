"""Connexion resolvers: each vendor operationId -> one async dispatcher bound to its runtime."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from connexion.context import scope as current_scope
from connexion.operations import AbstractOperation
from connexion.resolver import Resolution, Resolver
from starlette.datastructures import URL, Headers
from starlette.types import Scope

from .errors import INTERNAL, Problem
from .interface import Call, Vendor
from .rendering import fault_error
from .runtime import Runtime
from .sessions import session_base

# Arguments Connexion adds besides the operation's own parameters.
_CONTEXT_ARGUMENTS = ("body", "user", "token_info")

# A path of these characters comes out of starlette's URL parsing unchanged.
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9/._~%!$&'()*+,;=:@-]*")


def path_and_scheme(scope: Scope) -> tuple[str, str]:
    """``request.url.path`` and ``request.url.scheme`` as starlette computes them.

    Building the URL means formatting and re-parsing the whole address; for the ordinary case
    (an http(s) request on a socket, a path of plain characters) the answer is the scope's own
    path and scheme, and anything else still goes through starlette's URL.
    """
    path = scope["path"]
    scheme = scope.get("scheme", "http")
    if scheme in ("http", "https") and scope.get("server") is not None and _PLAIN_PATH.fullmatch(path):
        return path, scheme
    url = URL(scope=scope)
    return url.path, url.scheme


class VendorResolver(Resolver):
    """Resolves every operationId of one vendor's spec to a dispatcher for that vendor."""

    def __init__(self, runtime: Runtime, vendor: Vendor) -> None:
        super().__init__()
        self.runtime = runtime
        self.vendor = vendor

    def resolve(self, operation: AbstractOperation) -> Resolution:
        operation_id = operation.operation_id
        return Resolution(make_dispatcher(self.runtime, self.vendor, operation_id), operation_id)


def make_dispatcher(runtime: Runtime, vendor: Vendor, operation_id: str) -> Callable[..., Any]:
    """The function Connexion calls for ``operation_id``: rate limits, faults, then the handler."""
    handler = vendor.handlers.get(operation_id)

    transactional = runtime.engine.transactional

    async def dispatcher(**kwargs: Any) -> tuple[Any, int, dict[str, str]]:
        body = kwargs.get("body")
        token_info = kwargs.get("token_info")
        params = {k: v for k, v in kwargs.items() if k not in _CONTEXT_ARGUMENTS}
        scope = current_scope._get_current_object()
        headers = Headers(scope=scope)
        path, scheme = path_and_scheme(scope)
        host = headers.get("host", "127.0.0.1")
        call = Call(
            api=vendor.name,
            operation_id=operation_id,
            path=path,
            body=body,
            params=params,
            headers=headers,
            auth=token_info if isinstance(token_info, dict) else None,
            base_url=f"{scheme}://{host}{session_base(scope)}/{vendor.name}",
            now=runtime.clock.now(),
        )
        if transactional:
            await runtime.check_rate_limits_async(vendor, call)
        else:  # counters in this process: no coroutine to await
            runtime.check_rate_limits(vendor, call)
        fault = runtime.faults.take(vendor.name, operation_id)
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                raise fault_error(vendor, fault.status, call.path)
        if handler is None:
            raise Problem(501, INTERNAL, f"{operation_id} is not simulated by the {vendor.name} fake")
        with vendor.lock:
            reply = handler(vendor, call)
        return reply.body, reply.status, reply.headers

    dispatcher.__name__ = f"{vendor.name}_{operation_id}"
    return dispatcher


class FunctionTableResolver(Resolver):
    """Resolves operationIds to functions in a table, with one bound first argument."""

    def __init__(self, table: dict[str, Callable[..., Any]], bound: Any) -> None:
        super().__init__()
        self.table = table
        self.bound = bound

    def resolve(self, operation: AbstractOperation) -> Resolution:
        function = self.table[operation.operation_id]
        bound = self.bound

        def call(**kwargs: Any) -> Any:
            return function(bound, **kwargs)

        call.__name__ = operation.operation_id
        return Resolution(call, operation.operation_id)
