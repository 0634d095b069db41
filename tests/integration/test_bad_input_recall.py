"""Bad input to the Recall fake over real HTTP: Django REST framework's bodies, nothing changed.

Recall answers as DRF does (mockserver/vendors/recall/envelope.py): ``{"detail": ...}`` for
parse, media-type, size, method and path errors, and a field-error dict for schema errors.
"""

from __future__ import annotations

from support.bad_input import Answer, BadInputSuite, BodyOperation, Seed

from mockserver.admin import InProcessAdmin

USER = "/recall/api/v1/calendar/user/"
_JSON_REASON = "the body is not valid JSON: "
_UTF8_REASON = "the body is not valid utf-8: "


def _calendar(seed: Seed) -> dict[str, str]:
    return {"x-recallcalendarauthtoken": seed["tokens"]["calendar"]}


def detail(status: int, message: str) -> Answer:
    return status, {"detail": message}


class TestRecallBadInput(BadInputSuite):
    api = "recall"
    operations = (
        BodyOperation(
            "calendar_authenticate_create",
            "POST",
            "/recall/api/v1/calendar/authenticate/",
            "POST",
            200,
            lambda seed: {"Authorization": f"Token {seed['tokens']['workspace']}"},
            lambda seed: {"user_id": seed["external_id"]},
            {"user_id": 5},
        ),
        BodyOperation(
            "calendar_user_update",
            "PUT",
            USER,
            "GET, PUT, DELETE",
            200,
            _calendar,
            lambda seed: {"preferences": {"record_external": True}},
            {"preferences": {"record_external": "sometimes"}},
        ),
        BodyOperation(
            "calendar_user_disconnect_create",
            "POST",
            f"{USER}disconnect/",
            "POST",
            200,
            _calendar,
            lambda seed: {"platform": "google"},
            {"platform": 5},
        ),
    )

    def seed(self, admin: InProcessAdmin) -> Seed:
        return admin.apply_state("recall", "calendar_user", {"google": "x@example.com"})

    def wrong_type_answer(self, operation: BodyOperation, path: str) -> Answer:
        errors = {
            "calendar_authenticate_create": {"user_id": ["Not a valid string."]},
            "calendar_user_update": {"preferences": {"record_external": ["Must be a valid boolean."]}},
            "calendar_user_disconnect_create": {"platform": ['"5" is not a valid choice.']},
        }
        return 400, errors[operation.operation_id]

    def malformed_answer(self, path: str, message: str) -> Answer:
        if message.startswith(_JSON_REASON):
            reason = message.removeprefix(_JSON_REASON)
        elif message.startswith(_UTF8_REASON):
            reason = "'utf-8' codec can't decode the body: " + message.removeprefix(_UTF8_REASON)
        else:
            reason = message
        return detail(400, f"JSON parse error - {reason}")

    def media_type_answer(self, path: str, media_type: str) -> Answer:
        return detail(415, f'Unsupported media type "{media_type}" in request.')

    def untyped_answer(self, operation: BodyOperation, path: str) -> Answer | None:
        # DRF parses no body without a media type; the fake names the one it stands for.
        return self.media_type_answer(path, "application/octet-stream")

    def too_large_answer(self, path: str) -> Answer:
        return detail(413, "The request body is larger than 1048576 bytes.")

    def not_allowed_answer(self, path: str, method: str) -> Answer:
        return detail(405, f'Method "{method}" not allowed.')

    def not_found_answer(self, path: str) -> Answer:
        return detail(404, "Not found.")
