"""Bad input to the control plane (``/__admin``) over real HTTP: its envelope, nothing changed.

The control plane answers ``{"error": {"code", "message"}}``; body problems are 400 with a code
naming the kind and the field (mockserver/rendering.py ``admin_error``). On loopback it refuses
foreign ``Host`` headers, cross-site browser requests and form content types with 403
(mockserver/admin_guard.py). A body without Content-Type is JSON here, as the README's examples
send it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.bad_input import (
    MIB,
    TOO_LARGE,
    Answer,
    BadInputSuite,
    BodyOperation,
    Probe,
    ProblemWording,
    RawConnection,
    Seed,
    assert_answer,
    chunked,
    filler,
    rss_kib,
    serve_subprocess,
)

from mockserver.admin import InProcessAdmin

FAULT = {"api": "vcita", "operation_id": "connectExternalCalendar", "status": 503, "times": 1}


def _none(seed: Seed) -> dict[str, str]:
    return {}


def error(status: int, code: str, message: str) -> Answer:
    return status, {"error": {"code": code, "message": message}}


def _admin_operation(
    operation_id: str, method: str, path: str, allow: str, success: int, valid: Any, wrong: Any
) -> BodyOperation:
    return BodyOperation(operation_id, method, f"/__admin{path}", allow, success, _none, lambda seed: valid, wrong)


WRONG_TYPES = {
    "applyProviderState": ("api", "string"),
    "mintToken": ("kind", "string"),
    "addFault": ("status", "integer"),
    "updateSettings": ("journal_cap", "integer"),
    "advanceClock": ("advance_seconds", "number"),
}


def strict_json(text: str) -> Any:
    """JSON as the standard defines it (Python's parser also takes NaN and Infinity)."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


class TestAdminBadInput(ProblemWording, BadInputSuite):
    api = "admin"
    wrong_method = "PUT"
    # text/plain is a form type, refused by the guard before any media-type check (tested below).
    wrong_media_type = "application/xml"
    operations = (
        _admin_operation(
            "applyProviderState",
            "POST",
            "/states",
            "GET, POST",
            201,
            {"api": "vcita", "state": "staff"},
            {"api": 5, "state": "staff"},
        ),
        _admin_operation(
            "mintToken",
            "POST",
            "/tokens",
            "POST",
            201,
            {"api": "ravan", "kind": "jwt", "no_org_claim": True},
            {"api": "ravan", "kind": 5},
        ),
        _admin_operation("addFault", "POST", "/faults", "GET, POST, DELETE", 201, FAULT, {**FAULT, "status": "x"}),
        _admin_operation(
            "updateSettings", "PATCH", "/settings", "GET, PATCH", 200, {"journal_cap": 50}, {"journal_cap": "x"}
        ),
        _admin_operation(
            "advanceClock", "POST", "/clock", "GET, POST", 200, {"advance_seconds": 60}, {"advance_seconds": "x"}
        ),
    )

    def seed(self, admin: InProcessAdmin) -> Seed:
        # Some state of every kind the control plane shows, so that a change to any of it is seen.
        seeded = admin.apply_state("vcita", "calendar_sync", {"account": "x@example.com"})
        admin.add_fault("recall", "calendar_users_list", status=502, times=3)
        admin.update_settings({"apis": {"vcita": {"rate_limits": {"token": {"limit": 100, "window_seconds": 2.5}}}}})
        admin.advance_clock(30)
        return seeded

    def wrong_type_answer(self, operation: BodyOperation, path: str) -> Answer:
        name, kind = WRONG_TYPES[operation.operation_id]
        return error(400, f"invalid_body:{name}", f"{name} must be of type {kind}")

    def malformed_answer(self, path: str, message: str) -> Answer:
        return error(400, "malformed_body:body", message)

    def untyped_answer(self, operation: BodyOperation, path: str) -> Answer | None:
        return None  # JSON, as curl -d sends it

    def problem(self, status: int, kind: str, message: str, field: str | None = None) -> Answer:
        return error(status, f"{kind}:{field}" if field else kind, message)

    # -- issue 14, class 4: numbers the control plane must not take --------------------------------
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (
                b'{"advance_seconds": NaN}',
                error(400, "malformed_body:body", "the body is not valid JSON: NaN is not a JSON value"),
            ),
            (
                b'{"advance_seconds": -Infinity}',
                error(400, "malformed_body:body", "the body is not valid JSON: -Infinity is not a JSON value"),
            ),
            (
                b'{"advance_seconds": 1e400}',
                error(400, "malformed_body:body", "the body is not valid JSON: the number 1e400... is too large"),
            ),
            (
                b'{"advance_seconds": 1e300}',
                error(
                    400,
                    "invalid_body:advance_seconds",
                    "advance_seconds is invalid: 1e+300 is greater than the maximum of 315360000",
                ),
            ),
            (
                b'{"advance_seconds": 3200000000}',
                error(
                    400,
                    "invalid_body:advance_seconds",
                    "advance_seconds is invalid: 3200000000 is greater than the maximum of 315360000",
                ),
            ),
        ],
        ids=["NaN", "-Infinity", "1e400", "1e300", "over-100-years"],
    )
    def test_clock_refuses_non_finite_and_absurd_advances(self, probe: Probe, body: bytes, expected: Answer) -> None:
        with probe.unchanged():
            response = probe.client.post("/__admin/clock", content=body, headers={"Content-Type": "application/json"})
        assert_answer(response, expected)
        clock = probe.client.get("/__admin/clock")
        assert clock.status_code == 200 and strict_json(clock.text)["offset_seconds"] == 30.0

    @pytest.mark.parametrize(
        ("window", "expected"),
        [
            (
                "1e-320",
                error(
                    400,
                    "invalid_settings",
                    "apis.vcita.rate_limits.token.window_seconds: 1e-320 is less than the minimum of 0.001",
                ),
            ),
            (
                "0.0001",
                error(
                    400,
                    "invalid_settings",
                    "apis.vcita.rate_limits.token.window_seconds: 0.0001 is less than the minimum of 0.001",
                ),
            ),
            ("NaN", error(400, "malformed_body:body", "the body is not valid JSON: NaN is not a JSON value")),
            ("Infinity", error(400, "malformed_body:body", "the body is not valid JSON: Infinity is not a JSON value")),
            (
                "1e400",
                error(400, "malformed_body:body", "the body is not valid JSON: the number 1e400... is too large"),
            ),
        ],
    )
    def test_rate_limit_window_must_be_a_sane_number(self, probe: Probe, window: str, expected: Answer) -> None:
        # Built by hand: json.dumps would write NaN for a float NaN, and 1e400 cannot be a float.
        body = '{"apis": {"vcita": {"rate_limits": {"token": {"window_seconds": ' + window + "}}}}}"
        with probe.unchanged():
            response = probe.client.patch(
                "/__admin/settings", content=body, headers={"Content-Type": "application/json"}
            )
        assert_answer(response, expected)
        settings = probe.client.get("/__admin/settings")
        assert settings.status_code == 200
        assert strict_json(settings.text)["apis"]["vcita"]["rate_limits"]["token"] == {
            "limit": 100,
            "window_seconds": 2.5,
        }
        # The vendor the limit belongs to still answers (issue 14: every call of it was a 500).
        assert probe.client.put("/vcita/business/scheduling/v1/external_calendar_items/connect").status_code == 401

    def test_unknown_fields_are_refused(self, probe: Probe) -> None:
        with probe.unchanged():
            response = probe.client.post("/__admin/clock", json={"advance_seconds": 1, "rewind": True})
        assert_answer(response, error(400, "invalid_body:rewind", "rewind is not a known field"))

    @pytest.mark.parametrize("media_type", ["json", "a/b/c", "application/json; x=a/b"])
    def test_a_read_ignores_a_malformed_media_type(self, probe: Probe, media_type: str) -> None:
        """A GET carrying such a header was a 500 (Connexion split it at "/"); a read has no body to type."""
        response = probe.client.get("/__admin/clock", headers={"Content-Type": media_type})
        assert response.status_code == 200
        assert strict_json(response.text)["offset_seconds"] == 30.0

    # -- the guard: what a web page could send -------------------------------------------------------
    @pytest.mark.parametrize(
        "media_type",
        [
            "text/plain",
            "TEXT/PLAIN; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ],
    )
    def test_form_content_types_are_refused(self, probe: Probe, media_type: str) -> None:
        with probe.unchanged():
            response = probe.client.post("/__admin/reset", content=b"{}", headers={"Content-Type": media_type})
        message = "the control plane takes JSON; form content types are refused (an HTML form on another site could send them)"
        assert_answer(response, error(403, "form_content_refused", message))

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            (
                {"Sec-Fetch-Site": "cross-site"},
                error(403, "cross_site_request", "cross-site requests to the control plane are refused"),
            ),
            (
                {"Origin": "http://evil.example"},
                error(403, "cross_site_request", "Origin 'http://evil.example' may not call the control plane"),
            ),
            ({"Origin": "null"}, error(403, "cross_site_request", "Origin 'null' may not call the control plane")),
        ],
        ids=["sec-fetch-site", "origin", "null-origin"],
    )
    def test_cross_site_requests_are_refused(self, probe: Probe, headers: dict[str, str], expected: Answer) -> None:
        with probe.unchanged():
            response = probe.client.post("/__admin/reset", headers=headers)
        assert_answer(response, expected)

    def test_foreign_host_is_refused(self, probe: Probe) -> None:
        """DNS rebinding: a page on evil.example, its name pointed at 127.0.0.1."""
        with probe.unchanged(), probe.raw() as raw:
            raw.send(b"POST /__admin/reset HTTP/1.1\r\nHost: evil.example:8080\r\nContent-Length: 0\r\n\r\n")
            answer = raw.read_response()
        assert answer is not None
        message = (
            "Host 'evil.example:8080' is not allowed on the control plane (DNS rebinding protection); "
            "start the server with --allow-host NAME to accept it"
        )
        assert (answer.status, answer.json()) == error(403, "host_not_allowed", message)

    # -- class 5: paths and methods ----------------------------------------------------------------
    def test_reads_refuse_other_methods_with_allow(self, probe: Probe) -> None:
        for path, allow in (
            ("/health", "GET"),
            ("/state", "GET, PUT"),
            ("/requests", "GET, DELETE"),
            ("/reset", "POST"),
        ):
            with probe.unchanged():
                response = probe.client.request("PATCH", f"/__admin{path}")
            assert_answer(response, self.not_allowed_answer(path, "PATCH"), allow=allow)

    def test_double_slash_reaches_the_control_plane_envelope(self, probe: Probe) -> None:
        with probe.unchanged(), probe.raw() as raw:
            raw.send(raw.head("POST", "//__admin/reset", {"Content-Length": "0"}))
            answer = raw.read_response()
        assert answer is not None
        assert (answer.status, answer.json()) == self.not_found_answer("//__admin/reset")

    def test_path_below_no_prefix_is_a_json_404(self, probe: Probe) -> None:
        response = probe.client.post("/nowhere/at/all", content=b"{}")
        assert_answer(response, error(404, "not_found", "No such path: /nowhere/at/all"))


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_100_mb_body_is_refused_without_the_server_reading_it_into_memory(framing: str) -> None:
    """Issue 14: the control plane read 100 MB whole before refusing it (RSS 86 -> 424 MB)."""
    with serve_subprocess() as (process, base_url):
        for _ in range(20):  # warm up: the first requests build caches that are not the body's doing
            RawConnection(base_url).sock.close()
        with RawConnection(base_url) as warm:
            warm.send(
                warm.head("POST", "/__admin/states", {"Content-Length": "2", "Content-Type": "application/json"})
                + b"{}"
            )
            assert warm.read_response() is not None
        before = rss_kib(process.pid)
        headers = {"Content-Type": "application/json"}
        headers |= (
            {"Content-Length": str(100 * MIB)} if framing == "content-length" else {"Transfer-Encoding": "chunked"}
        )
        pieces = filler(100 * MIB, MIB)
        with RawConnection(base_url) as raw:
            raw.send(raw.head("POST", "/__admin/states", headers))
            sender = raw.stream(chunked(pieces) if framing == "chunked" else pieces)
            answer = raw.read_response()
            sender.join(60)
            assert answer is not None
            assert (answer.status, answer.json()) == error(413, "payload_too_large:body", TOO_LARGE)
            assert raw.still_usable_or_closed() in ("usable", "closed")
        after = rss_kib(process.pid)
    grown = after["VmHWM"] - before["VmHWM"]
    print(f"{framing}: VmRSS {before['VmRSS']} -> {after['VmRSS']} KiB, peak grew {grown} KiB")
    assert grown < 8 * 1024, f"the server's peak memory grew {grown} KiB"
