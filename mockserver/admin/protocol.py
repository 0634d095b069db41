"""The control-plane interface both implementations follow."""

from __future__ import annotations

from typing import Any, Protocol, Unpack

from ..faults import FaultOptions
from ..journal_query import RequestFilterOptions


class Admin(Protocol):
    """What a test or tool can ask of the fakes. Failures raise :class:`AdminError`."""

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "apis": [...]}``."""
        ...

    def reset(self, api: str | None = None) -> list[str]:
        """Reset one API, or all of them plus the clock; answers the APIs reset."""
        ...

    def state(self, api: str | None = None) -> dict[str, Any]:
        """The store dump of one API, or of all, keyed by API name."""
        ...

    def spec(self, api: str) -> dict[str, Any]:
        """The OpenAPI document the served ``api`` answers by (``admin``: the control plane's)."""
        ...

    def provider_states(self, api: str | None = None) -> list[dict[str, Any]]:
        """The named provider states (of one API) and their parameters."""
        ...

    def apply_state(self, api: str, state: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Apply a provider state; answers every id and token it created."""
        ...

    def mint_token(self, api: str, kind: str, expired: bool = False, **ids: Any) -> str:
        """A credential of ``kind`` for the given ids."""
        ...

    def requests(self, api: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Journal entries, newest first."""
        ...

    def request(self, entry_id: int) -> dict[str, Any]:
        """One journal entry, with its bodies, headers, near misses and verdict."""
        ...

    def find_requests(self, **filters: Unpack[RequestFilterOptions]) -> list[dict[str, Any]]:
        """Journal entries every given filter matches, newest first (see
        :class:`~mockserver.journal_query.RequestFilterOptions`)."""
        ...

    def count_requests(self, **filters: Unpack[RequestFilterOptions]) -> int:
        """How many journal entries every given filter matches (``limit`` does not apply)."""
        ...

    def clear_requests(self) -> int:
        """Empty the journal; answers how many entries were dropped."""
        ...

    def add_fault(self, api: str, operation_id: str, **options: Unpack[FaultOptions]) -> dict[str, Any]:
        """Inject a fault into one operation (see :class:`~mockserver.faults.FaultOptions`); answers the fault."""
        ...

    def faults(self) -> list[dict[str, Any]]:
        """The active faults."""
        ...

    def clear_faults(self, api: str | None = None) -> int:
        """Remove faults; answers how many were removed."""
        ...

    def settings(self) -> dict[str, Any]:
        """The switches in force."""
        ...

    def update_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Deep-merge a partial settings document; answers the result."""
        ...

    def clock(self) -> dict[str, Any]:
        """``{"now": iso, "offset_seconds": n}``."""
        ...

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the fake's clock forward; answers the clock."""
        ...

    def export_state(self) -> dict[str, Any]:
        """One exact snapshot of this session (tokens included): for :meth:`import_state`."""
        ...

    def import_state(self, data: dict[str, Any]) -> list[str]:
        """Replace this session's whole state with an export; answers the APIs imported."""
        ...

    def save_state(self) -> str:
        """Write the export to the server's state file now; answers its path."""
        ...

    def create_session(self, name: str | None = None, ttl_seconds: float | None = None) -> dict[str, Any]:
        """A new isolated session: its id, own admin ``token`` (shown once) and details."""
        ...

    def sessions(self) -> list[dict[str, Any]]:
        """The live sessions, oldest first."""
        ...

    def session(self, session_id: str) -> dict[str, Any]:
        """One live session."""
        ...

    def delete_session(self, session_id: str) -> None:
        """Free everything a session holds."""
        ...
