"""The outermost layer: body size cap, the vendor's standing headers, and the request journal."""

from __future__ import annotations

import pytest
from support.asgi import NOTES, call, note_and_token, tiny_app

from mockserver.app import FakesApp, build_app
from mockserver.middleware import MAX_BODY_BYTES, FakesMiddleware
from mockserver.vendors import ALL_VENDORS

CAP = 64


@pytest.fixture(params=[True, False], ids=["fast_path", "connexion"])
def app(request: pytest.FixtureRequest) -> FakesApp:
    return tiny_app(fast_path=request.param)


def capped(app: FakesApp, limit: int = CAP) -> FakesMiddleware:
    """The same app behind a middleware with a small cap."""
    return FakesMiddleware(app.connexion_app, app.runtime, max_body_bytes=limit)


def _body(text: str) -> bytes:
    return b'{"text": "' + text.encode() + b'"}'


JSON = {"Content-Type": "application/json"}


def test_the_served_app_refuses_a_body_over_one_mebibyte(app: FakesApp) -> None:
    note, headers = note_and_token(app)
    body = _body("x" * MAX_BODY_BYTES)
    response = call(app, "PUT", f"{NOTES}/{note}", headers={**headers, **JSON}, content=body)
    assert MAX_BODY_BYTES == 1024 * 1024
    assert (response.status_code, response.json()) == (
        413,
        {"ok": False, "reason": "the body is larger than 1048576 bytes"},
    )


def test_a_declared_content_length_over_the_cap_is_refused_in_the_vendors_envelope(app: FakesApp) -> None:
    note, headers = note_and_token(app)
    body = _body("x" * CAP)
    assert len(body) > CAP
    response = call(capped(app), "PUT", f"{NOTES}/{note}", headers={**headers, **JSON}, content=body)
    assert response.status_code == 413
    assert response.json() == {"ok": False, "reason": f"the body is larger than {CAP} bytes"}
    assert app.admin.state("tiny")["tiny"]["notes"] == [{"id": note, "text": "hello", "pinned": False}]
    assert app.admin.requests("tiny")[0]["status"] == 413


def test_a_body_at_the_cap_is_served(app: FakesApp) -> None:
    note, headers = note_and_token(app)
    body = _body("y" * (CAP - len(_body(""))))
    assert len(body) == CAP
    response = call(capped(app), "PUT", f"{NOTES}/{note}", headers={**headers, **JSON}, content=body)
    assert response.status_code == 200
    assert response.json()["text"] == "y" * (CAP - len(_body("")))


def test_a_streamed_body_past_the_cap_is_refused_in_the_vendors_envelope(app: FakesApp) -> None:
    # The body runs past the Content-Length it declared. An HTTP server holds a client to its
    # Content-Length; this is the app's own guard for a server (or a stream) that does not.
    note, headers = note_and_token(app)
    body = _body("z" * 200)
    chunks = [body[i : i + 16] for i in range(0, len(body), 16)]
    lying = {**headers, **JSON, "Content-Length": str(CAP)}
    response = call(capped(app), "PUT", f"{NOTES}/{note}", headers=lying, chunks=chunks)
    assert response.status_code == 413
    assert response.json() == {"ok": False, "reason": f"the body is larger than {CAP} bytes"}
    assert app.admin.state("tiny")["tiny"]["notes"][0]["text"] == "hello"


def test_every_answer_below_a_prefix_carries_the_vendors_standing_headers() -> None:
    app = build_app(vendors=[v for v in ALL_VENDORS if v.name == "calcom"])
    assert app.runtime.vendor("calcom").response_headers(), "Cal.com sends X-Request-Id on every response"
    answers = [
        call(app, "GET", "/calcom/v2/calendars"),  # 401 from Connexion's security check
        call(app, "GET", "/calcom/v2/nowhere"),  # 404 from routing
        call(app, "PUT", "/calcom/v2/calendars"),  # 405
        call(capped(app, 8), "POST", "/calcom/v2/calendars/apple/credentials", json={"username": "a" * 20}),
    ]
    assert [a.status_code for a in answers] == [401, 404, 405, 413]
    ids = [a.headers.get_list("x-request-id") for a in answers]
    assert all(len(found) == 1 for found in ids), ids
    assert len({found[0] for found in ids}) == len(ids), "a new id per response"
    assert "x-request-id" not in call(app, "GET", "/__admin/health").headers


def test_each_vendor_request_is_journaled_with_its_operation_and_status(app: FakesApp) -> None:
    note, headers = note_and_token(app)
    call(app, "GET", f"{NOTES}/{note}?x=1", headers=headers)
    call(app, "DELETE", f"{NOTES}/{note}", headers={"Authorization": "Bearer wrong"})
    call(app, "GET", "/tiny/nowhere")
    entries = app.admin.requests()
    assert [(e["method"], e["path"], e["operationId"], e["status"]) for e in entries] == [
        ("GET", "/tiny/nowhere", None, 404),
        ("DELETE", f"{NOTES}/{note}", "deleteNote", 401),
        ("GET", f"{NOTES}/{note}", "getNote", 200),
    ]
    assert entries[2]["query"] == "x=1" and entries[2]["api"] == "tiny"
    assert all(e["duration_ms"] >= 0 and e["time"].endswith("Z") for e in entries)


def test_the_control_plane_and_unprefixed_paths_are_not_journaled(app: FakesApp) -> None:
    assert call(app, "GET", "/__admin/health").status_code == 200
    assert call(app, "GET", "/__admin/requests").status_code == 200
    assert call(app, "GET", "/nowhere").status_code == 404
    assert app.admin.requests() == []
