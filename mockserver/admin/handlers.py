"""``/__admin`` operations (specs/admin.yaml): each one calls the in-process Admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.context import scope as current_scope
from starlette.datastructures import Headers

from ..errors import AdminError
from ..faults import FAULT_OPTIONS
from .local import InProcessAdmin

Result = tuple[Any, int]


def health(admin: InProcessAdmin) -> Result:
    return admin.health(), 200


def reset(admin: InProcessAdmin, api: str | None = None) -> Result:
    return {"reset": admin.reset(api)}, 200


def getState(admin: InProcessAdmin, api: str | None = None, format: str = "dump") -> Result:
    if format == "export":
        if api is not None:
            raise AdminError(400, "invalid_parameter", "an export covers every API: leave out api")
        return admin.export_state(), 200
    return admin.state(api), 200


def importState(admin: InProcessAdmin, body: dict[str, Any]) -> Result:
    return {"imported": admin.import_state(body)}, 200


def saveState(admin: InProcessAdmin) -> Result:
    return {"saved": admin.save_state()}, 200


def listSessions(admin: InProcessAdmin) -> Result:
    return {"data": admin.sessions()}, 200


def createSession(admin: InProcessAdmin, body: dict[str, Any] | None = None) -> Result:
    body = body or {}
    created = admin.create_session(body.get("name"), body.get("ttl_seconds"))
    return {**created, "base_url": f"{_server_root()}/s/{created['id']}"}, 201


def getSession(admin: InProcessAdmin, session_id: str) -> Result:
    return admin.session(session_id), 200


def deleteSession(admin: InProcessAdmin, session_id: str) -> Result:
    admin.delete_session(session_id)
    return {"deleted": session_id}, 200


def _server_root() -> str:
    """The server's own base URL as this request reached it."""
    scope = current_scope._get_current_object()
    headers = Headers(scope=scope)
    host = headers.get("host", "127.0.0.1")
    return f"{scope.get('scheme', 'http')}://{host}"


def getSpec(admin: InProcessAdmin, api: str) -> Result:
    return admin.spec(api), 200


def listProviderStates(admin: InProcessAdmin, api: str | None = None) -> Result:
    return {"data": admin.provider_states(api)}, 200


def applyProviderState(admin: InProcessAdmin, body: dict[str, Any]) -> Result:
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        raise AdminError(400, "invalid_params", "params must be an object")
    return {"data": admin.apply_state(body["api"], body["state"], params)}, 201


def mintToken(admin: InProcessAdmin, body: dict[str, Any]) -> Result:
    ids = {k: v for k, v in body.items() if k not in ("api", "kind", "expired")}
    return {"token": admin.mint_token(body["api"], body["kind"], bool(body.get("expired", False)), **ids)}, 201


def listRequests(admin: InProcessAdmin, api: str | None = None, limit: int | None = None) -> Result:
    return {"data": admin.requests(api, limit)}, 200


_FILTER_NAMES = {"operationId": "operation_id", "pathPattern": "path_pattern", "jsonPath": "json_path"}


def _filters(body: dict[str, Any] | None) -> dict[str, Any]:
    return {_FILTER_NAMES.get(name, name): value for name, value in (body or {}).items()}


def getRequest(admin: InProcessAdmin, id: int) -> Result:
    return admin.request(id), 200


def findRequests(admin: InProcessAdmin, body: dict[str, Any] | None = None) -> Result:
    return {"data": admin.find_requests(**_filters(body))}, 200


def countRequests(admin: InProcessAdmin, body: dict[str, Any] | None = None) -> Result:
    filters = _filters(body)
    filters.pop("limit", None)
    return {"count": admin.count_requests(**filters)}, 200


def clearRequests(admin: InProcessAdmin) -> Result:
    return {"cleared": admin.clear_requests()}, 200


def listFaults(admin: InProcessAdmin) -> Result:
    return {"data": admin.faults()}, 200


def addFault(admin: InProcessAdmin, body: dict[str, Any]) -> Result:
    options: Any = {name: body[name] for name in FAULT_OPTIONS if name in body}
    fault = admin.add_fault(body["api"], body["operation_id"], **options)
    return {"data": fault}, 201


def clearFaults(admin: InProcessAdmin, api: str | None = None) -> Result:
    return {"cleared": admin.clear_faults(api)}, 200


def getSettings(admin: InProcessAdmin) -> Result:
    return admin.settings(), 200


def updateSettings(admin: InProcessAdmin, body: dict[str, Any]) -> Result:
    return admin.update_settings(body), 200


def getClock(admin: InProcessAdmin) -> Result:
    return admin.clock(), 200


def advanceClock(admin: InProcessAdmin, body: dict[str, Any]) -> Result:
    return admin.advance_clock(float(body["advance_seconds"])), 200


OPERATIONS: dict[str, Callable[..., Result]] = {
    function.__name__: function
    for function in (
        health,
        reset,
        getState,
        getSpec,
        listProviderStates,
        applyProviderState,
        mintToken,
        listRequests,
        getRequest,
        findRequests,
        countRequests,
        clearRequests,
        listFaults,
        addFault,
        clearFaults,
        getSettings,
        updateSettings,
        getClock,
        advanceClock,
        importState,
        saveState,
        listSessions,
        createSession,
        getSession,
        deleteSession,
    )
}
