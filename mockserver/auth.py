"""Security hooks Connexion calls (named in each loaded spec); each defers to the vendor.

The fakes keep their specs untouched on disk; :func:`attach` writes these functions' dotted
names into the loaded spec's security schemes.
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest

SCOPE_KEY = "mockserver.vendor"

_INFO_FUNCS = {
    ("http", "bearer"): ("x-bearerInfoFunc", "mockserver.auth.bearer_info"),
    ("http", "basic"): ("x-basicInfoFunc", "mockserver.auth.basic_info"),
    ("apiKey", None): ("x-apikeyInfoFunc", "mockserver.auth.apikey_info"),
}


def attach(spec: dict[str, Any]) -> dict[str, Any]:
    """Point every security scheme of a loaded spec at the hooks below."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for scheme in schemes.values():
        scheme_type = scheme.get("type")
        key = (scheme_type, str(scheme.get("scheme", "")).lower() if scheme_type == "http" else None)
        if key in _INFO_FUNCS:
            attribute, func_name = _INFO_FUNCS[key]
            scheme.setdefault(attribute, func_name)
    return spec


def _check(scheme: str, credential: str, request: ConnexionRequest) -> dict[str, Any] | None:
    vendor = request.scope[SCOPE_KEY]
    operation_id = request.scope["extensions"]["connexion_routing"]["operation_id"]
    return vendor.authenticate(scheme, credential, request.headers, operation_id)


def bearer_info(token: str, request: ConnexionRequest) -> dict[str, Any] | None:
    """Bearer tokens."""
    return _check("bearer", token, request)


def apikey_info(apikey: str, request: ConnexionRequest) -> dict[str, Any] | None:
    """API keys in a header, query parameter or cookie."""
    return _check("apikey", apikey, request)


def basic_info(username: str, password: str, request: ConnexionRequest) -> dict[str, Any] | None:
    """HTTP basic credentials, handed to the vendor as ``username:password``."""
    return _check("basic", f"{username}:{password}", request)
