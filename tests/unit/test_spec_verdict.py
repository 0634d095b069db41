"""The spec verdict of a journal entry."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.spec_verdict import declared_statuses, verdict

SPEC = {
    "paths": {
        "/items": {
            "post": {"operationId": "createItem", "responses": {"201": {}, "400": {}}},
            "get": {"operationId": "listItems", "responses": {"200": {}, "4XX": {}}},
        },
        "/other": {"get": {"operationId": "other", "responses": {"default": {}}}},
    }
}
DECLARED = declared_statuses(SPEC)


@pytest.mark.parametrize(
    ("entry", "result"),
    [
        ({"operationId": "createItem", "status": 201}, "declared"),
        ({"operationId": "createItem", "status": 404}, "undeclared_status"),
        ({"operationId": "listItems", "status": 429}, "declared"),  # 4XX
        ({"operationId": "other", "status": 503}, "declared"),  # default
        ({"operationId": None, "status": 404, "method": "GET", "path": "/x"}, "no_operation"),
        ({"operationId": None, "status": 405}, "no_operation"),
        ({"operationId": None, "status": 413}, "not_routed"),
        ({"operationId": "gone", "status": 200}, "unknown"),
        (
            {"operationId": "createItem", "status": 500, "response": {"body": '{"m": "FAKE_RESPONSE_INVALID: x"}'}},
            "response_invalid",
        ),
    ],
)
def test_verdicts(entry: dict[str, Any], result: str) -> None:
    judged = verdict(entry, DECLARED)
    assert judged["result"] == result and judged["message"]


def test_the_undeclared_message_names_what_is_declared() -> None:
    assert verdict({"operationId": "createItem", "status": 404}, DECLARED)["message"] == (
        "createItem declares 201, 400; it answered 404"
    )
