"""How Connexion's credential checks reach the vendor a request is for.

Connexion finds a credential the way the spec's security scheme says (a bearer header, an API
key in a header, basic credentials) and calls a check function with it. The handlers below hand
that credential to :meth:`Vendor.authenticate` of the request's vendor, which the outer
middleware put in the scope; Connexion's own handling of missing and invalid credentials is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.lifecycle import ConnexionRequest
from connexion.security import ApiKeySecurityHandler, BasicSecurityHandler, BearerSecurityHandler

from .rendering import VENDOR_SCOPE_KEY


def _check(scheme: str, credential: str, request: ConnexionRequest) -> dict[str, Any] | None:
    vendor = request.scope[VENDOR_SCOPE_KEY]
    operation_id = request.scope["extensions"]["connexion_routing"]["operation_id"]
    result: dict[str, Any] | None = vendor.authenticate(scheme, credential, request.headers, operation_id)
    return result


def bearer_info(token: str, request: ConnexionRequest) -> dict[str, Any] | None:
    """Bearer tokens."""
    return _check("bearer", token, request)


def apikey_info(apikey: str, request: ConnexionRequest) -> dict[str, Any] | None:
    """API keys in a header, query parameter or cookie."""
    return _check("apikey", apikey, request)


def basic_info(username: str, password: str, request: ConnexionRequest) -> dict[str, Any] | None:
    """HTTP basic credentials, handed to the vendor as ``username:password``."""
    return _check("basic", f"{username}:{password}", request)


class VendorBearer(BearerSecurityHandler):
    """Connexion's bearer handling, checking with the request's vendor."""

    def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
        return bearer_info


class VendorApiKey(ApiKeySecurityHandler):
    """Connexion's API key handling, checking with the request's vendor."""

    def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
        return apikey_info


class VendorBasic(BasicSecurityHandler):
    """Connexion's basic-auth handling, checking with the request's vendor."""

    def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
        return basic_info


SECURITY_MAP: dict[str, type[Any]] = {"bearer": VendorBearer, "apiKey": VendorApiKey, "basic": VendorBasic}
"""Connexion's ``security_map``: every scheme type the vendor specs use, checked by the vendor."""
