"""Bad input to the Cal.com fake over real HTTP: Cal.com's error envelope, nothing changed.

Cal.com's errors (mockserver/vendors/calcom/envelope.py): ``{"status": "error", "timestamp",
"path", "error": {"code": <Nest exception class>, "message"}}``; a body Express leaves unparsed
(any non-JSON media type) fails the DTO check as 400 "Bad Request Exception".
"""

from __future__ import annotations

from support.bad_input import Answer, BadInputSuite, BodyOperation, IsoTimestamp, Seed

from mockserver.admin import InProcessAdmin

BAD_REQUEST = "BadRequestException"


def _api_key(seed: Seed) -> dict[str, str]:
    return {"Authorization": f"Bearer {seed['tokens']['api_key']}"}


def error(status: int, code: str, message: str, path: str) -> Answer:
    body = {
        "status": "error",
        "timestamp": IsoTimestamp(),
        "path": path.removeprefix("/calcom"),
        "error": {"code": code, "message": message},
    }
    return status, body


class TestCalcomBadInput(BadInputSuite):
    api = "calcom"
    operations = (
        BodyOperation(
            "CalendarsController_syncCredentials",
            "POST",
            "/calcom/v2/calendars/apple/credentials",
            "POST",
            201,
            _api_key,
            lambda seed: {"username": "someone@icloud.com", "password": "abcd-efgh-ijkl-mnop"},
            {"username": 5, "password": "abcd-efgh-ijkl-mnop"},
        ),
        BodyOperation(
            "CalendarsController_deleteCalendarCredentials",
            "POST",
            "/calcom/v2/calendars/google/disconnect",
            "POST",
            200,
            _api_key,
            lambda seed: {"id": seed["credential_ids"][0]},
            {"id": "one"},
        ),
    )

    def seed(self, admin: InProcessAdmin) -> Seed:
        return admin.apply_state("calcom", "connected_calendar", {"type": "google"})

    def wrong_type_answer(self, operation: BodyOperation, path: str) -> Answer:
        return error(400, BAD_REQUEST, "Bad Request Exception", path)

    def malformed_answer(self, path: str, message: str) -> Answer:
        return error(400, BAD_REQUEST, message, path)

    def media_type_answer(self, path: str, media_type: str) -> Answer:
        return error(400, BAD_REQUEST, "Bad Request Exception", path)

    def untyped_answer(self, operation: BodyOperation, path: str) -> Answer | None:
        # Express's JSON parser skips a body without a type: the DTO check sees {}.
        return self.media_type_answer(path, "application/octet-stream")

    def too_large_answer(self, path: str) -> Answer:
        return error(413, "PayloadTooLargeException", "Payload Too Large", path)

    def not_allowed_answer(self, path: str, method: str) -> Answer:
        return error(405, "MethodNotAllowedException", "Method Not Allowed", path)

    def not_found_answer(self, path: str) -> Answer:
        return error(404, "NotFoundException", "Not Found", path)
