"""Bad input to the Ravan fake over real HTTP: ``{success: false, message, code}``, nothing changed.

Ravan (FastAPI) answers every validation failure with 400 INVALID_REQUEST and keeps 405/413 with
that code (mockserver/vendors/ravan/envelope.py). A body sent without Content-Type is parsed as
JSON, as FastAPI does (``json_without_content_type``).
"""

from __future__ import annotations

from support.bad_input import TOO_LARGE, Answer, BadInputSuite, BodyOperation, Seed, invalid_content_type

from mockserver.admin import InProcessAdmin

INVALID = "INVALID_REQUEST"


def _jwt(seed: Seed) -> dict[str, str]:
    return {"Authorization": f"Bearer {seed['tokens']['jwt']}"}


def error(status: int, message: str, code: str = INVALID) -> Answer:
    return status, {"success": False, "message": message, "code": code}


class TestRavanBadInput(BadInputSuite):
    api = "ravan"
    operations = (
        BodyOperation(
            "DisconnectCalcom",
            "POST",
            "/ravan/api/v1/calcom/disconnect",
            "POST",
            200,
            _jwt,
            lambda seed: {"org_id": seed["org_id"]},
            {"org_id": 5},
        ),
        BodyOperation(
            "AssignAgentCalcomAccount",
            "PUT",
            "/ravan/api/v1/calcom/agents/{agent_id}/account",
            "GET, PUT",
            200,
            _jwt,
            lambda seed: {"calcom_account_id": None},
            {"calcom_account_id": 5},
        ),
    )

    def seed(self, admin: InProcessAdmin) -> Seed:
        return admin.apply_state("ravan", "agent", {})

    def wrong_type_answer(self, operation: BodyOperation, path: str) -> Answer:
        field = "org_id" if operation.operation_id == "DisconnectCalcom" else "calcom_account_id"
        return error(400, f"{field} must be of type string")

    def malformed_answer(self, path: str, message: str) -> Answer:
        return error(400, message)

    def media_type_answer(self, path: str, media_type: str) -> Answer:
        return error(400, invalid_content_type(media_type))

    def untyped_answer(self, operation: BodyOperation, path: str) -> Answer | None:
        return None  # FastAPI reads it as JSON

    def too_large_answer(self, path: str) -> Answer:
        return error(413, TOO_LARGE)

    def not_allowed_answer(self, path: str, method: str) -> Answer:
        return error(405, "Method Not Allowed")

    def not_found_answer(self, path: str) -> Answer:
        return error(404, "Not Found", "NOT_FOUND")
