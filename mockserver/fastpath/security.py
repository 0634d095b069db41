"""Connexion's credential checks with the check function's signature inspected once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from connexion.exceptions import OAuthResponseProblem
from connexion.security import NO_VALUE

from ..auth import VendorApiKey, VendorBasic, VendorBearer


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


class _BasicHandler(_PreparedCheck, VendorBasic):
    pass


class _BearerHandler(_PreparedCheck, VendorBearer):
    pass


class _ApiKeyHandler(_PreparedCheck, VendorApiKey):
    pass


SECURITY_MAP = {"basic": _BasicHandler, "bearer": _BearerHandler, "apiKey": _ApiKeyHandler}
