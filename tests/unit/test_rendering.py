"""Every failure becomes an answer: vendor envelopes below a prefix, the control plane's elsewhere."""

from __future__ import annotations

import json
import logging

import pytest
from connexion.exceptions import (
    BadRequestProblem,
    NonConformingResponseBody,
    OAuthProblem,
    OAuthResponseProblem,
    OAuthScopeProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from starlette.exceptions import HTTPException
from support.asgi import NOTES, call, note_and_token, tiny_app

from mockserver import errors
from mockserver.errors import AdminError, Problem, VendorError
from mockserver.rendering import admin_error, encode, fault_error, to_problem, vendor_error
from mockserver.runtime import Runtime
from mockserver.vendors import ALL_VENDORS


@pytest.mark.parametrize(
    ("exc", "status", "kind", "message"),
    [
        (
            NonConformingResponseBody("body broke\n\nthe long part"),
            500,
            errors.INTERNAL,
            "FAKE_RESPONSE_INVALID: body broke",
        ),
        (OAuthScopeProblem(["read"], ["write"]), 403, errors.FORBIDDEN, None),
        (OAuthProblem("No authorization token provided"), 401, errors.UNAUTHORIZED, "No authorization token provided"),
        (OAuthResponseProblem("bad token\n\nmore"), 401, errors.UNAUTHORIZED, "bad token"),
        (UnsupportedMediaTypeProblem("Invalid Content-type (text/plain)"), 415, errors.UNSUPPORTED_MEDIA_TYPE, None),
        (
            BadRequestProblem("Wrong type, expected 'integer' for query parameter 'limit'"),
            400,
            errors.INVALID_PARAMETER,
            None,
        ),
        (ProblemException(status=422, detail="odd"), 400, errors.INVALID_PARAMETER, "odd"),
        (ProblemException(status=503, detail="down"), 503, errors.INTERNAL, "down"),
        (HTTPException(404), 404, errors.NOT_FOUND, "No such path: /x/y"),
        (HTTPException(418, "teapot"), 418, errors.INVALID_PARAMETER, "teapot"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), 400, errors.MALFORMED_BODY, None),
    ],
)
def test_to_problem_describes_connexion_and_starlette_failures(
    exc: Exception, status: int, kind: str, message: str | None
) -> None:
    problem = to_problem(exc, "/x/y", [])
    assert (problem.status, problem.kind) == (status, kind)
    assert problem.message
    if message is not None:
        assert problem.message == message


def test_to_problem_passes_a_problem_through() -> None:
    original = Problem(422, errors.INVALID_BODY, "a is missing", "a", "missing")
    assert to_problem(original, "/x", []) is original


def test_to_problem_names_the_allowed_methods_on_405() -> None:
    problem = to_problem(HTTPException(405), "/x", ["GET", "PUT"])
    assert (problem.status, problem.kind, problem.headers) == (405, errors.METHOD_NOT_ALLOWED, {"Allow": "GET, PUT"})


def test_a_bug_is_logged_and_answered_as_internal_without_its_details(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="mockserver.rendering"):
        problem = to_problem(KeyError("secret detail"), "/x", [])
    assert (problem.status, problem.kind) == (500, errors.INTERNAL)
    assert problem.message == "internal error in the fake: KeyError"
    assert "secret detail" not in problem.message
    assert [record.message for record in caplog.records] == ["unhandled error serving /x"]


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime(ALL_VENDORS)


def test_a_404_on_a_path_with_other_methods_is_a_405_with_allow_from_the_spec(runtime: Runtime) -> None:
    ravan = runtime.vendor("ravan")
    path = "/ravan/api/v1/calcom/agents/a1/account"
    rendered = vendor_error(runtime, ravan, HTTPException(404), path, "DELETE")
    assert rendered.status == 405
    assert rendered.headers == {"Allow": ", ".join(runtime.routes["ravan"].allowed("/api/v1/calcom/agents/a1/account"))}
    assert set(rendered.headers["Allow"].split(", ")) == {"GET", "PUT"}
    assert vendor_error(runtime, ravan, HTTPException(404), "/ravan/nowhere", "GET").status == 404


def test_vendor_error_passes_a_vendor_error_through(runtime: Runtime) -> None:
    own = VendorError(409, {"exact": "body"}, {"X": "1"})
    assert vendor_error(runtime, runtime.vendor("vcita"), own, "/vcita/x", "GET") is own


def test_the_served_405_names_the_methods_the_spec_declares() -> None:
    app = tiny_app()
    note, headers = note_and_token(app)
    response = call(app, "POST", f"{NOTES}/{note}", headers=headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT, DELETE"
    assert response.json() == {"ok": False, "reason": "Method not allowed"}


def test_a_fault_keeps_the_status_asked_for_in_the_vendors_envelope(runtime: Runtime) -> None:
    ravan = runtime.vendor("ravan")
    # Ravan answers body validation (422's kind) with 400; a forced 422 must still be a 422.
    natural = ravan.render(Problem(422, errors.INVALID_BODY, "Fault injected through the control plane"), "/p")
    assert natural.status == 400
    forced = fault_error(ravan, 422, "/p")
    assert forced.status == 422
    assert forced.body == natural.body
    limited = fault_error(ravan, 429, "/p")
    assert (limited.status, limited.headers["Retry-After"]) == (429, "1")
    odd = fault_error(runtime.vendor("vcita"), 418, "/vcita/x")
    assert odd.status == 418 and odd.body


@pytest.mark.parametrize(
    ("exc", "status", "body", "headers"),
    [
        (
            AdminError(404, "unknown_api", "no such api"),
            404,
            {"error": {"code": "unknown_api", "message": "no such api"}},
            {},
        ),
        (
            Problem(422, errors.INVALID_BODY, "state is missing", "state", "missing"),
            400,
            {"error": {"code": "invalid_body:state", "message": "state is missing"}},
            {},
        ),
        (HTTPException(404), 404, {"error": {"code": "not_found", "message": "No such path: /__admin/x"}}, {}),
    ],
)
def test_admin_error_envelope(exc: Exception, status: int, body: object, headers: dict[str, str]) -> None:
    assert admin_error(exc, "/__admin/x") == (status, body, headers)


def test_encode_is_json_with_its_length_and_the_given_headers() -> None:
    status, body, headers = encode(429, {"a": "é"}, {"Retry-After": "3"})
    assert status == 429 and json.loads(body) == {"a": "é"}
    assert headers == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"3"),
    ]


def test_an_unprefixed_path_gets_the_control_planes_envelope() -> None:
    response = call(tiny_app(), "GET", "/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "No such path: /nowhere"}}
