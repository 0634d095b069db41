"""``/__admin`` operations (specs/admin.yaml): each one calls the in-process Admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import AdminError
from ..faults import FAULT_OPTIONS
from .local import InProcessAdmin

Result = tuple[Any, int]


def health(admin: InProcessAdmin) -> Result:
    return admin.health(), 200


def reset(admin: InProcessAdmin, api: str | None = None) -> Result:
    return {"reset": admin.reset(api)}, 200


def getState(admin: InProcessAdmin, api: str | None = None) -> Result:
    return admin.state(api), 200


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
    )
}
