"""The Recall.ai Calendar V1 fake (calendar users, auth tokens, platform disconnect)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import Problem, VendorError
from ...interface import Call, ProviderState, Vendor
from ...ratelimit import Limit
from . import auth, envelope, handlers, states
from .store import CALENDAR_TOKEN_LIFETIME, RecallStore

_PER_USER_OPERATIONS = (
    "calendar_user_retrieve",
    "calendar_user_update",
    "calendar_user_destroy",
    "calendar_user_disconnect_create",
)


class RecallVendor(Vendor):
    """Recall: workspace API key on authenticate and the users list, calendar auth token elsewhere."""

    name = "recall"
    title = "Recall.ai Calendar V1"
    spec_file = "recall.yaml"
    handlers = handlers.OPERATIONS
    # Each endpoint's documented limit; a bucket per endpoint, as each page states its own.
    rate_limits = {
        "calendar_authenticate_create": Limit(300, 60.0),  # per workspace
        **{operation: Limit(120, 60.0) for operation in _PER_USER_OPERATIONS},  # per calendar user
    }
    token_kinds = ("workspace", "calendar")

    store_class = RecallStore
    store: RecallStore

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        return auth.check(self, credential, operation_id)

    def render(self, problem: Problem, path: str) -> VendorError:
        return envelope.render(problem, path, f"/{self.name}")

    def rate_limit_keys(self, call: Call) -> dict[str, str]:
        if call.auth is None:
            return {}
        if call.operation_id == "calendar_authenticate_create":
            return {call.operation_id: call.auth["workspace_id"]}
        if call.operation_id in _PER_USER_OPERATIONS:
            return {call.operation_id: call.auth["calendar_user_id"]}
        return {}

    @property
    def provider_states(self) -> Mapping[str, ProviderState]:
        return states.provider_states(self)

    def mint_token(self, kind: str, params: dict[str, Any], expired: bool) -> str:
        store = self.store
        if kind == "workspace":
            workspace_id = params.get("workspace_id")
            if workspace_id is None:
                workspace_id = store.default_workspace().id
            elif workspace_id not in store.workspaces:
                raise Problem(400, "invalid_parameter", f"unknown workspace_id {workspace_id!r}")
            if expired:
                # API keys do not expire; an "expired" key is one the workspace has revoked.
                return store.revoked_api_key()
            return store.issue_api_key(workspace_id)
        calendar_user_id = params.get("calendar_user_id")
        user = store.users.get(str(calendar_user_id)) if calendar_user_id is not None else None
        if user is None:
            raise Problem(
                400, "invalid_parameter", f"a calendar token needs a known calendar_user_id, got {calendar_user_id!r}"
            )
        issued_at = self.clock.now() - (CALENDAR_TOKEN_LIFETIME + 1 if expired else 0)
        return store.issue_calendar_token(user, issued_at)


VENDOR = RecallVendor
"""This package's vendor class (what the registry lists)."""
