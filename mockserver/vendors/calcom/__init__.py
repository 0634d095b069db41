"""The Cal.com API v2 fake (calendars: list, connect, save, Apple credentials, check, disconnect)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ...errors import Problem, VendorError
from ...interface import Call, ProviderState, Vendor
from ...ratelimit import Limit
from . import auth, envelope, handlers, states
from .store import API_KEY, MANAGED_USER, OAUTH, TOKEN_KINDS, CalcomStore

_DAY = 86400.0
ACCESS_TOKEN_LIFETIME = 3600.0


class CalcomVendor(Vendor):
    """Cal.com: ``Authorization: Bearer`` API keys, managed-user and OAuth access tokens, each a user."""

    name = "calcom"
    title = "Cal.com API v2, calendars"
    spec_file = "calcom.yaml"
    handlers = handlers.OPERATIONS
    # Cal.com's published limits: 120/min per API key, 500/min per managed-user access token.
    rate_limits = {"api_key": Limit(120, 60.0), "access_token": Limit(500, 60.0)}
    token_kinds = TOKEN_KINDS

    store_class = CalcomStore
    store: CalcomStore

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        with self.lock:
            return auth.authenticate(self.store, credential, operation_id, self.clock.now())

    def render(self, problem: Problem, path: str) -> VendorError:
        now = self.clock.now()
        if isinstance(problem, auth.CalcomAuthError):
            return envelope.error(problem.status, problem.code, problem.message, path, now, problem.headers)
        return envelope.render(problem, path, now)

    def rate_limit_keys(self, call: Call) -> dict[str, str]:
        if call.auth is None:
            return {}
        bucket = "api_key" if call.auth["kind"] == API_KEY else "access_token"
        return {bucket: call.auth["token"]}

    def response_headers(self) -> dict[str, str]:
        return {"X-Request-Id": str(uuid.uuid4())}

    @property
    def provider_states(self) -> Mapping[str, ProviderState]:
        return states.provider_states(self)

    def mint_token(self, kind: str, params: dict[str, Any], expired: bool) -> str:
        unknown = sorted(set(params) - {"user_id", "scopes"})
        if unknown:
            raise Problem(400, "invalid_parameter", f"calcom tokens take user_id and scopes, not {', '.join(unknown)}")
        user_id = params.get("user_id")
        if user_id is None:
            raise Problem(400, "invalid_parameter", "a calcom token needs user_id")
        if user_id not in self.store.users:
            raise Problem(400, "invalid_parameter", f"unknown user_id {user_id!r}")
        scopes = params.get("scopes")
        if scopes is not None:
            if kind != OAUTH:
                raise Problem(400, "invalid_parameter", "scopes apply to oauth tokens only")
            if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                raise Problem(400, "invalid_parameter", "scopes must be a list of strings")
        return self.issue_token(kind, user_id, scopes, expired)

    def issue_token(self, kind: str, user_id: int, scopes: list[str] | None = None, expired: bool = False) -> str:
        """A new token for the user; managed-user access tokens live 60 minutes on the fake's clock."""
        now = self.clock.now()
        expires_at = None
        if expired:
            # API keys expire by calendar day, access tokens by the instant.
            expires_at = now - (_DAY if kind == API_KEY else 1)
        elif kind == MANAGED_USER:
            expires_at = now + ACCESS_TOKEN_LIFETIME
        return self.store.issue_token(kind, user_id, expires_at, scopes)


VENDOR = CalcomVendor
"""This package's vendor class (what the registry lists)."""
