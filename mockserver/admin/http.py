"""The control plane over HTTP, for a ``mockserver serve`` in another process."""

from __future__ import annotations

import os
from typing import Any, Unpack

import httpx

from ..admin_guard import TOKEN_ENV
from ..errors import AdminError
from ..faults import FaultOptions
from ..journal_query import RequestFilterOptions, filter_body


class HttpAdmin:
    """Drives ``<base_url>/__admin``. See :class:`~mockserver.admin.Admin`.

    Args:
        base_url: the server's base URL (``http://127.0.0.1:8080``).
        timeout: seconds per call.
        client: an httpx client to use (one is made otherwise).
        token: the admin credential, sent as ``Authorization: Bearer``; by default the
            ``MOCKSERVER_ADMIN_TOKEN`` environment variable, when set. A server on loopback
            needs none unless it was started with one.
    """

    def __init__(
        self, base_url: str, timeout: float = 10.0, client: httpx.Client | None = None, token: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)
        token = token or os.environ.get(TOKEN_ENV) or None
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> HttpAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._client.request(
            method, f"{self.base_url}/__admin{path}", json=json, params=query, headers=self._headers
        )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            error = (payload or {}).get("error", {}) if isinstance(payload, dict) else {}
            raise AdminError(response.status_code, error.get("code", "http_error"), error.get("message", response.text))
        return payload

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "apis": [...]}``."""
        return self._call("GET", "/health")

    def reset(self, api: str | None = None) -> list[str]:
        """Reset one API, or all of them plus the clock; answers the APIs reset."""
        return self._call("POST", "/reset", params={"api": api})["reset"]

    @property
    def credential_headers(self) -> dict[str, str]:
        """The headers that carry the admin credential (none without one)."""
        return dict(self._headers)

    def spec(self, api: str) -> dict[str, Any]:
        """The OpenAPI document the served ``api`` answers by (``admin``: the control plane's)."""
        answer: dict[str, Any] = self._call("GET", f"/specs/{api}")
        return answer

    def state(self, api: str | None = None) -> dict[str, Any]:
        """The store dump of one API, or of all, keyed by API name."""
        return self._call("GET", "/state", params={"api": api})

    def provider_states(self, api: str | None = None) -> list[dict[str, Any]]:
        """The named provider states (of one API) and their parameters."""
        return self._call("GET", "/states", params={"api": api})["data"]

    def apply_state(self, api: str, state: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Apply a provider state; answers every id and token it created."""
        body = {"api": api, "state": state, "params": params or {}}
        return self._call("POST", "/states", json=body)["data"]

    def mint_token(self, api: str, kind: str, expired: bool = False, **ids: Any) -> str:
        """A credential of ``kind`` for the given ids."""
        body = {"api": api, "kind": kind, "expired": expired, **ids}
        return self._call("POST", "/tokens", json=body)["token"]

    def requests(self, api: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Journal entries, newest first."""
        return self._call("GET", "/requests", params={"api": api, "limit": limit})["data"]

    def request(self, entry_id: int) -> dict[str, Any]:
        """One journal entry, with its bodies, headers, near misses and verdict."""
        answer: dict[str, Any] = self._call("GET", f"/requests/entries/{int(entry_id)}")
        return answer

    def find_requests(self, **filters: Unpack[RequestFilterOptions]) -> list[dict[str, Any]]:
        """Journal entries every given filter matches, newest first (see
        :class:`~mockserver.journal_query.RequestFilterOptions`)."""
        return self._call("POST", "/requests/find", json=filter_body(filters))["data"]

    def count_requests(self, **filters: Unpack[RequestFilterOptions]) -> int:
        """How many journal entries every given filter matches (``limit`` does not apply)."""
        return self._call("POST", "/requests/count", json=filter_body(filters))["count"]

    def clear_requests(self) -> int:
        """Empty the journal; answers how many entries were dropped."""
        return self._call("DELETE", "/requests")["cleared"]

    def add_fault(self, api: str, operation_id: str, **options: Unpack[FaultOptions]) -> dict[str, Any]:
        """Inject a fault into one operation (see :class:`~mockserver.faults.FaultOptions`); answers the fault."""
        body: dict[str, Any] = {"api": api, "operation_id": operation_id}
        body.update({name: value for name, value in options.items() if value is not None})
        return self._call("POST", "/faults", json=body)["data"]

    def faults(self) -> list[dict[str, Any]]:
        """The active faults."""
        return self._call("GET", "/faults")["data"]

    def clear_faults(self, api: str | None = None) -> int:
        """Remove faults; answers how many were removed."""
        return self._call("DELETE", "/faults", params={"api": api})["cleared"]

    def settings(self) -> dict[str, Any]:
        """The switches in force."""
        return self._call("GET", "/settings")

    def update_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Deep-merge a partial settings document; answers the result."""
        return self._call("PATCH", "/settings", json=patch)

    def clock(self) -> dict[str, Any]:
        """``{"now": iso, "offset_seconds": n}``."""
        return self._call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the fake's clock forward; answers the clock."""
        return self._call("POST", "/clock", json={"advance_seconds": seconds})

    # -- whole state ---------------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        """One exact snapshot of this session (tokens included): for :meth:`import_state`."""
        return self._call("GET", "/state", params={"format": "export"})

    def import_state(self, data: dict[str, Any]) -> list[str]:
        """Replace this session's whole state with an export; answers the APIs imported."""
        return self._call("PUT", "/state", json=data)["imported"]

    def save_state(self) -> str:
        """Write the export to the server's state file now; answers its path."""
        return self._call("POST", "/state/save")["saved"]

    # -- sessions ------------------------------------------------------------------------------
    def create_session(self, name: str | None = None, ttl_seconds: float | None = None) -> dict[str, Any]:
        """A new isolated session: its id, ``base_url``, own admin ``token`` (shown once) and details."""
        body = {k: v for k, v in {"name": name, "ttl_seconds": ttl_seconds}.items() if v is not None}
        return self._call("POST", "/sessions", json=body)

    def sessions(self) -> list[dict[str, Any]]:
        """The live sessions, oldest first."""
        return self._call("GET", "/sessions")["data"]

    def session(self, session_id: str) -> dict[str, Any]:
        """One live session."""
        return self._call("GET", f"/sessions/{session_id}")

    def delete_session(self, session_id: str) -> None:
        """Free everything a session holds."""
        self._call("DELETE", f"/sessions/{session_id}")
