"""The Recall.ai Calendar V1 fake (calendar users, auth tokens, platform disconnect)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import Problem, VendorError
from ...interface import Call, ProviderState, Vendor
from ...ratelimit import Limit
from . import envelope, handlers, states
from .store import CALENDAR_TOKEN_LIFETIME, RecallStore

_WORKSPACE_OPERATIONS = {"calendar_authenticate_create", "calendar_users_list"}
_PER_USER_OPERATIONS = (
    "calendar_user_retrieve",
    "calendar_user_update",
    "calendar_user_destroy",
    "calendar_user_disconnect_create",
)


class RecallVendor(Vendor):
    """Recall: workspace API key on authenticate and the users list, calendar auth token elsewhere."""

    name = "recall"
    spec_file = "recall.yaml"
    handlers = {
        "calendar_authenticate_create": handlers.authenticate,
        "calendar_user_retrieve": handlers.retrieve_user,
        "calendar_user_update": handlers.update_user,
        "calendar_user_destroy": handlers.destroy_user,
        "calendar_user_disconnect_create": handlers.disconnect,
        "calendar_users_list": handlers.list_users,
    }
    # Each endpoint's documented limit; a bucket per endpoint, as each page states its own.
    rate_limits = {
        "calendar_authenticate_create": Limit(300, 60.0),  # per workspace
        **{operation: Limit(120, 60.0) for operation in _PER_USER_OPERATIONS},  # per calendar user
    }
    token_kinds = ("workspace", "calendar")

    store: RecallStore

    def new_store(self) -> RecallStore:
        return RecallStore()

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        if operation_id in _WORKSPACE_OPERATIONS:
            return self._workspace_key(credential)
        return self._calendar_token(credential)

    def _workspace_key(self, header: str) -> dict[str, Any]:
        # DRF TokenAuthentication's parsing, except that Recall also takes the bare key.
        parts = header.split()
        if not parts:
            raise envelope.unauthorized(envelope.NOT_AUTHENTICATED, workspace=True)
        if parts[0].lower() == "token":
            if len(parts) == 1:
                raise envelope.unauthorized(envelope.NO_CREDENTIALS_IN_HEADER, workspace=True)
            if len(parts) > 2:
                raise envelope.unauthorized(envelope.SPACES_IN_HEADER, workspace=True)
            key = parts[1]
        elif len(parts) == 1:
            key = parts[0]
        else:
            # Another scheme ("Bearer ..."): not a credential this API reads.
            raise envelope.unauthorized(envelope.NOT_AUTHENTICATED, workspace=True)
        with self.lock:
            workspace_id = self.store.api_keys.get(key)
        if workspace_id is None:
            raise envelope.unauthorized(envelope.INVALID_TOKEN, workspace=True)
        return {"workspace_id": workspace_id}

    def _calendar_token(self, token: str) -> dict[str, Any]:
        if not token.strip():
            raise envelope.unauthorized(envelope.NOT_AUTHENTICATED, workspace=False)
        with self.lock:
            claims = self.store.read_calendar_token(token.strip())
            user = self.store.users.get(claims.calendar_user_id) if claims else None
        if claims is None or user is None or claims.expires_at <= self.clock.now():
            raise envelope.unauthorized(envelope.INVALID_TOKEN, workspace=False)
        return {"calendar_user_id": user.id, "workspace_id": user.workspace_id}

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
