"""What the spec says about one journal entry (its "verdict"), as far as the entry shows it.

Worked out when entries are read, from the entry and its API's spec alone:

``no_operation``
    no operation of the spec serves the method and path (404/405; see the entry's near misses);
``not_routed``
    answered before any operation was matched (a body over the size cap, bad framing);
``response_invalid``
    the fake's answer broke its own spec (response validation was on and caught it);
``undeclared_status``
    the operation matched, but the spec declares no such status for it;
``declared``
    the operation matched and answered a status its spec declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .specs import operations

INVALID_RESPONSE_CODE = "FAKE_RESPONSE_INVALID"


def declared_statuses(spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Each operationId of ``spec`` with the response keys it declares (``"200"``, ``"4XX"``, ``"default"``)."""
    return {
        operation.operation_id: frozenset(str(key).upper() for key in (operation.definition.get("responses") or {}))
        for operation in operations(spec)
    }


def verdict(entry: Mapping[str, Any], declared: Mapping[str, frozenset[str]]) -> dict[str, str]:
    """``{"result", "message"}`` for ``entry``, given its API's :func:`declared_statuses`."""
    operation_id = entry.get("operationId")
    status = entry.get("status")
    if operation_id is None:
        if status in (404, 405):
            return {
                "result": "no_operation",
                "message": f"no operation of the spec serves {entry.get('method')} {entry.get('path')}",
            }
        return {"result": "not_routed", "message": f"answered {status} before an operation was matched"}
    response = entry.get("response")
    body = response.get("body") if isinstance(response, Mapping) else None
    if status == 500 and isinstance(body, str) and INVALID_RESPONSE_CODE in body:
        return {"result": "response_invalid", "message": "the fake's answer broke its own spec"}
    keys = declared.get(operation_id)
    if keys is None:
        return {"result": "unknown", "message": f"{operation_id} is not in the spec"}
    if str(status) in keys or f"{str(status)[:1]}XX" in keys or "DEFAULT" in keys:
        return {"result": "declared", "message": f"{status} is a declared response of {operation_id}"}
    return {
        "result": "undeclared_status",
        "message": f"{operation_id} declares {', '.join(sorted(keys))}; it answered {status}",
    }
