"""The in-process control plane, used by the pytest fixtures and by the HTTP handlers."""

from __future__ import annotations

import copy
import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, Unpack

import jsonschema

from .. import issued
from ..clock import iso
from ..errors import AdminError, Problem
from ..faults import FaultOptions
from ..interface import Vendor
from ..issued import mask_data
from ..journal_query import RequestFilter, RequestFilterOptions, count, filter_body, find, parse_filter
from ..runtime import Runtime
from ..spec_verdict import declared_statuses, verdict
from ..specs import UnknownApi, load_spec
from ..state.engine import EngineUnavailable, SessionInfo, TooManySessions, UnknownSession
from ..state.files import StateFile
from ..state.world import DEFAULT_SESSION, World, current_session, in_session, using

T = TypeVar("T")


class InProcessAdmin:
    """Drives a :class:`Runtime` in the same process. See :class:`~mockserver.admin.Admin`.

    Each call acts on the session of the request it serves (``/s/<id>/__admin``), else on
    ``session`` (the default session unless given), as one atomic change of the engine.
    """

    def __init__(self, runtime: Runtime, session: str | None = None) -> None:
        self.runtime = runtime
        self._session = session
        self.state_file: StateFile | None = None
        self._declared: dict[str, dict[str, frozenset[str]]] = {}

    def _session_id(self) -> str:
        return self._session if self._session is not None else current_session()

    def _run(self, work: Callable[[], T]) -> T:
        """``work`` inside one transaction on this call's session."""
        session = self._session_id()

        def in_world(world: World) -> T:
            with using(world), in_session(session):
                return work()

        try:
            return self.runtime.engine.transact(session, in_world)
        except UnknownSession:
            raise AdminError(404, "unknown_session", f"no session {session!r}") from None
        except EngineUnavailable as exc:
            raise AdminError(503, "state_unavailable", str(exc)) from None

    def _vendor(self, api: str) -> Vendor:
        try:
            return self.runtime.vendor(api)
        except UnknownApi as exc:
            raise AdminError(404, "unknown_api", str(exc)) from None

    def _apis(self, api: str | None) -> list[Vendor]:
        return [self._vendor(api)] if api is not None else list(self.runtime.vendors.values())

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "apis": [...]}``."""
        return {"status": "ok", "apis": list(self.runtime.vendors)}

    def reset(self, api: str | None = None) -> list[str]:
        """Reset one API, or all of them plus the clock; answers the APIs reset."""
        if api is not None:
            self._vendor(api)
        return self._run(lambda: self.runtime.reset(api))

    def state(self, api: str | None = None) -> dict[str, Any]:
        """The store dump of one API, or of all, keyed by API name."""
        vendors = self._apis(api)
        # Dumps show prefixes; the masking catches any slip.
        return self._run(lambda: {vendor.name: mask_data(vendor.dump()) for vendor in vendors})

    def spec(self, api: str) -> dict[str, Any]:
        """The OpenAPI document the served ``api`` answers by (``admin``: the control plane's)."""
        if api == "admin":
            return load_spec("admin.yaml")
        return copy.deepcopy(self.runtime.specs[self._vendor(api).name])

    def provider_states(self, api: str | None = None) -> list[dict[str, Any]]:
        """The named provider states (of one API) and their parameters."""
        listed = []
        for vendor in self._apis(api):
            for state in vendor.provider_states.values():
                params = {}
                for name, param in state.params.items():
                    shown: dict[str, Any] = {"type": param.type, "required": param.required}
                    if not param.required:
                        shown["default"] = param.default
                    if param.description:
                        shown["description"] = param.description
                    if param.enum is not None:
                        shown["enum"] = list(param.enum)
                    params[name] = shown
                listed.append(
                    {"api": vendor.name, "state": state.name, "description": state.description, "params": params}
                )
        return listed

    def apply_state(self, api: str, state: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Apply a provider state; answers every id and token it created."""
        vendor = self._vendor(api)
        found = vendor.provider_states.get(state)
        if found is None:
            known = ", ".join(vendor.provider_states) or "none"
            raise AdminError(404, "unknown_state", f"{api} has no provider state {state!r}; known: {known}")
        given = dict(params or {})
        schema = {
            "type": "object",
            "additionalProperties": False,
            "required": [n for n, p in found.params.items() if p.required],
            "properties": {n: p.schema() for n, p in found.params.items()},
        }
        try:
            jsonschema.validate(given, schema)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "params"
            raise AdminError(400, "invalid_params", f"{api}/{state}: {where}: {exc.message}") from None
        for name, param in found.params.items():
            given.setdefault(name, param.default)
        return self._run(lambda: found.apply(given))

    def mint_token(self, api: str, kind: str, expired: bool = False, **ids: Any) -> str:
        """A credential of ``kind`` for the given ids."""
        vendor = self._vendor(api)
        if kind not in vendor.token_kinds:
            raise AdminError(400, "unknown_kind", f"{api} tokens are of kinds: {', '.join(vendor.token_kinds)}")
        try:
            return self._run(lambda: vendor.mint_token(kind, ids, expired))
        except Problem as exc:
            raise AdminError(400, "invalid_params", exc.message) from None

    def requests(self, api: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Journal entries, newest first."""
        if api is not None:
            self._vendor(api)
        return self._run(lambda: self._judged(self.runtime.journal.entries(api, limit)))

    def request(self, entry_id: int) -> dict[str, Any]:
        """One journal entry, with its bodies, headers, near misses and verdict."""
        for entry in self._run(lambda: self.runtime.journal.entries()):
            if entry["id"] == entry_id:
                return self._judged([entry])[0]
        raise AdminError(
            404, "unknown_request", f"the journal holds no request {entry_id} (cleared, or dropped by its cap)"
        )

    def find_requests(self, **filters: Unpack[RequestFilterOptions]) -> list[dict[str, Any]]:
        """Journal entries every given filter matches, newest first (see
        :class:`~mockserver.journal_query.RequestFilterOptions`)."""
        selected = self._filter(filter_body(filters))
        entries = self._run(lambda: self.runtime.journal.entries(selected.api))
        return self._judged([dict(e) for e in find(entries, selected)])

    def count_requests(self, **filters: Unpack[RequestFilterOptions]) -> int:
        """How many journal entries every given filter matches (``limit`` does not apply)."""
        selected = self._filter(filter_body(filters))
        return count(self._run(lambda: self.runtime.journal.entries(selected.api)), selected)

    def _filter(self, body: dict[str, Any]) -> RequestFilter:
        try:
            selected = parse_filter(body)
        except ValueError as exc:
            raise AdminError(400, "invalid_filter", str(exc)) from None
        if selected.api is not None:
            self._vendor(selected.api)
        return selected

    def _judged(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``entries`` with each one's spec verdict (see :mod:`mockserver.spec_verdict`)."""
        for entry in entries:
            api = entry.get("api")
            if api in self.runtime.specs:
                if api not in self._declared:
                    self._declared[api] = declared_statuses(self.runtime.specs[api])
                entry["verdict"] = verdict(entry, self._declared[api])
        return entries

    def clear_requests(self) -> int:
        """Empty the journal; answers how many entries were dropped."""
        return self._run(lambda: self.runtime.journal.clear())

    def add_fault(self, api: str, operation_id: str, **options: Unpack[FaultOptions]) -> dict[str, Any]:
        """Inject a fault into one operation (see :class:`~mockserver.faults.FaultOptions`); answers the fault."""
        status, delay_ms, ratio = options.get("status"), options.get("delay_ms", 0), options.get("ratio", 1.0)
        self._vendor(api)
        known = self.runtime.operation_ids(api)
        if operation_id not in known:
            raise AdminError(
                404, "unknown_operation", f"{api} has no operation {operation_id!r}; known: {', '.join(known)}"
            )
        if status is None and not delay_ms:
            raise AdminError(400, "invalid_fault", "a fault needs a status, a delay_ms, or both")
        if status is not None and not 400 <= status <= 599:
            raise AdminError(400, "invalid_fault", "status must be between 400 and 599")
        if not 0.0 <= ratio <= 1.0:
            raise AdminError(400, "invalid_fault", "ratio must be between 0 and 1")
        return self._run(lambda: self.runtime.faults.add(api, operation_id, **options).to_dict())

    def faults(self) -> list[dict[str, Any]]:
        """The active faults."""
        return self._run(lambda: [fault.to_dict() for fault in self.runtime.faults.list()])

    def clear_faults(self, api: str | None = None) -> int:
        """Remove faults; answers how many were removed."""
        if api is not None:
            self._vendor(api)
        return self._run(lambda: self.runtime.faults.clear(api))

    def settings(self) -> dict[str, Any]:
        """The switches in force."""
        return self._run(self.runtime.settings)

    def update_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Deep-merge a partial settings document; answers the result."""
        try:
            return self._run(lambda: self.runtime.update_settings(patch))
        except UnknownApi as exc:
            raise AdminError(404, "unknown_api", str(exc)) from None
        except ValueError as exc:
            raise AdminError(400, "invalid_settings", str(exc)) from None

    def clock(self) -> dict[str, Any]:
        """``{"now": iso, "offset_seconds": n}``."""
        return self._run(self._clock)

    def _clock(self) -> dict[str, Any]:
        clock = self.runtime.clock
        return {"now": clock.isoformat(), "offset_seconds": clock.offset}

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the fake's clock forward; answers the clock."""

        def advance() -> dict[str, Any]:
            self.runtime.clock.advance(seconds)
            return self._clock()

        try:
            return self._run(advance)
        except ValueError as exc:
            raise AdminError(400, "invalid_clock", str(exc)) from None

    # -- whole state -----------------------------------------------------------------------------
    def export_state(self) -> dict[str, Any]:
        """One exact snapshot of this session (tokens included): for :meth:`import_state`."""
        return self._engine_call(lambda engine, session: engine.export_session(session))

    def import_state(self, data: dict[str, Any]) -> list[str]:
        """Replace this session's whole state with an export; answers the APIs imported."""
        try:
            self._engine_call(lambda engine, session: engine.import_session(session, data))
        except ValueError as exc:
            raise AdminError(400, "invalid_state", str(exc)) from None
        return list(self.runtime.vendors)

    def save_state(self) -> str:
        """Write the export to the server's state file now; answers its path."""
        if self.state_file is None:
            raise AdminError(409, "no_state_file", "this server was started without --state-file")
        if self._session_id() != DEFAULT_SESSION:
            raise AdminError(409, "no_state_file", "the state file holds the default session only")
        self.state_file.save(self.export_state())
        return str(self.state_file.path)

    def _engine_call(self, work: Callable[[Any, str], T]) -> T:
        try:
            return work(self.runtime.engine, self._session_id())
        except UnknownSession:
            raise AdminError(404, "unknown_session", f"no session {self._session_id()!r}") from None
        except EngineUnavailable as exc:
            raise AdminError(503, "state_unavailable", str(exc)) from None

    # -- sessions --------------------------------------------------------------------------------
    def _at_root(self) -> None:
        if self._session_id() != DEFAULT_SESSION:
            raise AdminError(404, "not_found", "sessions are managed at the server's root /__admin/sessions")

    def create_session(self, name: str | None = None, ttl_seconds: float | None = None) -> dict[str, Any]:
        """A new isolated session: its id, its own admin token (shown once) and its details.

        Its base URL is ``<server>/s/<id>``.
        """
        self._at_root()
        token = issued.register("mss_" + secrets.token_urlsafe(24))
        try:
            info = self._engine_call(lambda engine, _: engine.create_session(name, ttl_seconds, token_digest(token)))
        except TooManySessions as exc:
            raise AdminError(429, "too_many_sessions", str(exc)) from None
        return {**_shown(info), "token": token}

    def sessions(self) -> list[dict[str, Any]]:
        """The live sessions, oldest first."""
        self._at_root()
        return [_shown(info) for info in self._engine_call(lambda engine, _: engine.sessions())]

    def session(self, session_id: str) -> dict[str, Any]:
        """One live session."""
        self._at_root()
        return _shown(self._engine_call(lambda engine, _: _one(engine.session, session_id)))

    def delete_session(self, session_id: str) -> None:
        """Free everything a session holds."""
        self._at_root()
        self._engine_call(lambda engine, _: _one(engine.delete_session, session_id))


def token_digest(token: str) -> str:
    """What a session keeps of its token: its SHA-256 (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _one(call: Callable[[str], T], session_id: str) -> T:
    try:
        return call(session_id)
    except UnknownSession:
        raise AdminError(404, "unknown_session", f"no session {session_id!r}") from None


def _shown(info: SessionInfo) -> dict[str, Any]:
    shown = info.public()
    shown["created"] = iso(info.created)
    shown["last_used"] = iso(info.last_used)
    return shown
