"""Bad input to the vcita fake over real HTTP: vcita's envelope, the right status, nothing changed.

vcita's error body in its default variant (seed 004): ``{"status": "Error", "errors": [{code,
field?, message}]}``; body problems are 400 (unreadable) or 422 (schema), see
mockserver/vendors/vcita/envelope.py.
"""

from __future__ import annotations

from typing import Any

from support.bad_input import Answer, BadInputSuite, BodyOperation, Probe, ProblemWording, Seed, assert_answer

from mockserver.admin import InProcessAdmin

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"
SYNCS = "/vcita/platform/v1/scheduling/calendar_syncs"


def _staff(seed: Seed) -> dict[str, str]:
    return {"Authorization": f"Bearer {seed['tokens']['staff']}"}


def _action(seed: Seed) -> dict[str, Any]:
    return {"staff_uid": seed["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "x@example.com"}}


def _wrong_action() -> dict[str, Any]:
    return {"staff_uid": 7, "calendar_sync": {"provider": "google_v3", "account": "x@example.com"}}


def _action_operation(operation_id: str, action: str) -> BodyOperation:
    return BodyOperation(operation_id, "PUT", f"{ITEMS}/{action}", "PUT", 200, _staff, _action, _wrong_action())


def error(status: int, code: str, message: str, field: str | None = None) -> Answer:
    entry = {"code": code, **({"field": field} if field else {}), "message": message}
    return status, {"status": "Error", "errors": [entry]}


class TestVcitaBadInput(ProblemWording, BadInputSuite):
    api = "vcita"
    operations = (
        _action_operation("connectExternalCalendar", "connect"),
        _action_operation("disconnectExternalCalendar", "disconnect"),
        _action_operation("disableExternalCalendar", "disable"),
        BodyOperation(
            "createCalendarSync",
            "POST",
            SYNCS,
            "POST",
            200,
            lambda seed: {"Authorization": f"Admin {seed['tokens']['admin']}"},
            lambda seed: {"staff_uid": seed["staff_uid"], "provider": "google_v3"},
            {"staff_uid": "0000000000000000", "provider": 5},
        ),
    )

    def seed(self, admin: InProcessAdmin) -> Seed:
        # A sync bound to the account the actions name: connect, disconnect and disable all succeed.
        return admin.apply_state("vcita", "calendar_sync", {"account": "x@example.com"})

    def wrong_type_answer(self, operation: BodyOperation, path: str) -> Answer:
        if operation.operation_id == "createCalendarSync":
            return error(422, "invalid", "provider must be of type string", "provider")
        return error(422, "invalid", "staff_uid must be of type string", "staff_uid")

    def malformed_answer(self, path: str, message: str) -> Answer:
        return error(400, "invalid", message, "body")

    def untyped_answer(self, operation: BodyOperation, path: str) -> Answer | None:
        # Rails parses no body it has no type for; the fake answers it like any non-JSON body.
        return self.media_type_answer(path, "application/octet-stream")

    def problem(self, status: int, kind: str, message: str, field: str | None = None) -> Answer:
        # The refusals below the handlers name no field (only body and schema errors do).
        return error(status, kind, message)

    # -- vcita only --------------------------------------------------------------------------------
    def test_double_slash_path_is_answered_in_vcitas_envelope(self, probe: Probe) -> None:
        """``PUT //vcita/...`` (issue 14, class 5) is below vcita's prefix, not the control plane's."""
        path = f"/{ITEMS}/connect"
        headers = {**_staff(probe.seed), "Content-Type": "application/json"}
        body = b'{"staff_uid": "x"}'
        with probe.unchanged(), probe.raw() as raw:
            raw.send(raw.head("PUT", path, {**headers, "Content-Length": str(len(body))}) + body)
            answer = raw.read_response()
        assert answer is not None
        assert (answer.status, answer.json()) == error(404, "not_found", f"No such path: {path}")
        assert answer.headers["content-type"] == "application/json"

    def test_success_false_variant_carries_the_same_refusals(self, probe: Probe) -> None:
        """The other documented envelope (``success: false``), switched on, for a malformed body."""
        probe.client.patch("/__admin/settings", json={"apis": {"vcita": {"error_envelope": "success_false"}}})
        operation = self.operations[0]
        with probe.unchanged():
            response = probe.send(operation, b'{"staff_uid": NaN}')
        message = "the body is not valid JSON: NaN is not a JSON value"
        assert_answer(response, (400, {"success": False, "errors": [{"code": "invalid", "message": message}]}))
