"""The Ravan.ai Agni API fake (CalComService: disconnect, assign, agent account/info/status)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ...errors import Problem, VendorError
from ...interface import ProviderState, Vendor
from . import auth, envelope, handlers, states
from .store import RavanStore

JWT = "jwt"
_MINT_PARAMS = {"org_id", "wrong_key", "no_org_claim"}


class RavanVendor(Vendor):
    """Ravan: ``Authorization: Bearer <JWT>`` carrying the organisation in an ``org_id`` claim."""

    name = "ravan"
    title = "Ravan.ai Agni API, CalComService"
    spec_file = "ravan.yaml"
    # FastAPI reads a body sent without Content-Type as JSON (x-fidelity in the spec).
    json_without_content_type = True
    handlers = handlers.OPERATIONS
    # Ravan publishes no rate limits.
    rate_limits = {}
    token_kinds = (JWT,)

    store_class = RavanStore
    store: RavanStore

    @property
    def signing_key(self) -> bytes:
        """Kept across resets, like a deployment's signing key: derived from the server's
        deployment secret, so every worker (and a restarted server on the same state) verifies
        the tokens any of them minted."""
        return hashlib.sha256(b"ravan-signing-key:" + self.deployment_secret).digest()

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        return auth.check(self.signing_key, credential, self.clock.now())

    def render(self, problem: Problem, path: str) -> VendorError:
        return envelope.render(problem)

    @property
    def provider_states(self) -> Mapping[str, ProviderState]:
        return states.provider_states(self)

    def issue_token(self, org_id: str | None, *, expired: bool = False, wrong_key: bool = False) -> str:
        """A JWT for ``org_id`` (no org claim when None), signed with the fake's key or a stranger's."""
        key = auth.new_signing_key() if wrong_key else self.signing_key
        return auth.mint(key, org_id, self.clock.now(), expired=expired)

    def mint_token(self, kind: str, params: dict[str, Any], expired: bool) -> str:
        unknown = sorted(set(params) - _MINT_PARAMS)
        if unknown:
            raise Problem(
                400,
                "invalid_parameter",
                f"ravan tokens take org_id, wrong_key and no_org_claim, not {', '.join(unknown)}",
            )
        flags = {name: params.get(name, False) for name in ("wrong_key", "no_org_claim")}
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise Problem(400, "invalid_parameter", f"{name} must be a boolean")
        org_id = params.get("org_id")
        if org_id is None and not flags["no_org_claim"]:
            raise Problem(400, "invalid_parameter", "a ravan token needs org_id (or no_org_claim: true)")
        if org_id is not None and org_id not in self.store.orgs:
            raise Problem(400, "invalid_parameter", f"unknown org_id {org_id!r}")
        return self.issue_token(
            None if flags["no_org_claim"] else org_id, expired=expired, wrong_key=flags["wrong_key"]
        )


VENDOR = RavanVendor
"""This package's vendor class (what the registry lists)."""
