"""Building the app: which vendors it serves, both ways of serving, response validation, its URLs."""

from __future__ import annotations

from typing import Any

import pytest
from support.asgi import NOTES, call, note_and_token, tiny_app, tiny_vendor

from mockserver.app import build_app, describe_urls
from mockserver.interface import Call, Reply
from mockserver.runtime import Runtime
from mockserver.vendors import ALL_VENDORS
from mockserver.vendors.ravan import RavanVendor


def test_by_default_every_registered_vendor_is_served() -> None:
    app = build_app()
    assert app.apis == [vendor.name for vendor in ALL_VENDORS]
    assert call(app, "GET", "/__admin/health").json() == {"status": "ok", "apis": app.apis}


def test_a_subset_of_vendors_is_served_and_nothing_else() -> None:
    app = tiny_app(tiny_vendor(), RavanVendor)
    assert app.apis == ["tiny", "ravan"]
    assert call(app, "GET", "/__admin/health").json()["apis"] == ["tiny", "ravan"]
    note, headers = note_and_token(app)
    assert call(app, "GET", f"{NOTES}/{note}", headers=headers).status_code == 200
    missing = call(app, "GET", "/vcita/business/scheduling/v1/external_calendar_items")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "No such path: /vcita/business/scheduling/v1/external_calendar_items"}
    }


def test_an_existing_runtime_is_served_as_it_is() -> None:
    runtime = Runtime([tiny_vendor()])
    note = runtime.vendor("tiny").store.add_note("made before the app")
    token = runtime.vendor("tiny").store.issue_token(None)
    app = build_app(runtime)
    assert app.runtime is runtime
    answer = call(app, "GET", f"{NOTES}/{note.id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.json() == {"id": note.id, "text": "made before the app", "pinned": False}


def _exchange(fast_path: bool) -> list[tuple[int, Any]]:
    app = tiny_app(fast_path=fast_path)
    note, headers = note_and_token(app)
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"{NOTES}/{note}", {"headers": headers}),
        ("PUT", f"{NOTES}/new", {"headers": headers, "json": {"text": "two", "pinned": True}}),
        ("PUT", f"{NOTES}/new", {"headers": headers, "json": {"text": 2}}),
        ("PUT", f"{NOTES}/new", {"headers": headers, "json": {"text": "x", "extra": 1}}),
        ("PUT", f"{NOTES}/new", {"headers": {**headers, "Content-Type": "text/plain"}, "content": b"hi"}),
        ("PUT", f"{NOTES}/new", {"headers": {**headers, "Content-Type": "application/json"}, "content": b"{oops"}),
        ("GET", f"{NOTES}/{note}", {"headers": {"Authorization": "Bearer wrong"}}),
        ("GET", f"{NOTES}/{note}", {}),
        ("POST", f"{NOTES}/{note}", {"headers": headers}),
        ("DELETE", f"{NOTES}/{note}", {"headers": headers}),
        ("GET", f"{NOTES}/{note}", {"headers": headers}),
        ("GET", "/tiny/nowhere", {}),
        ("GET", "/__admin/requests?limit=lots", {}),
    ]
    answers = []
    for method, path, options in requests:
        response = call(app, method, path, **options)
        answers.append((response.status_code, response.json()))
    answers.append((200, app.admin.state()["tiny"]["notes"]))
    return answers


def test_serving_without_the_fast_path_answers_the_same() -> None:
    fast, full = _exchange(fast_path=True), _exchange(fast_path=False)
    assert [status for status, _ in fast] == [200, 200, 400, 400, 415, 400, 401, 401, 405, 200, 404, 404, 400, 200]
    assert fast == full


class _OffSpec(tiny_vendor()):  # type: ignore[misc]
    """Answers a note without the fields its spec requires."""

    handlers = {"getNote": lambda vendor, call: _off_spec(call)}


def _off_spec(call: Call) -> Reply:
    return Reply({"id": call.params["note_id"]})


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast_path", "connexion"])
def test_validate_responses_turns_an_off_spec_answer_into_a_500(fast_path: bool) -> None:
    checked = tiny_app(_OffSpec, fast_path=fast_path, validate_responses=True)
    _, headers = note_and_token(checked)
    refused = call(checked, "GET", f"{NOTES}/n1", headers=headers)
    assert refused.status_code == 500
    assert refused.json()["reason"].startswith("FAKE_RESPONSE_INVALID: ")
    unchecked = tiny_app(_OffSpec, fast_path=fast_path, validate_responses=False)
    _, headers = note_and_token(unchecked)
    assert call(unchecked, "GET", f"{NOTES}/n1", headers=headers).json() == {"id": "n1"}


def test_describe_urls_names_each_api_and_the_control_plane() -> None:
    app = tiny_app(tiny_vendor(), RavanVendor)
    expected = {
        "tiny": "http://127.0.0.1:9000/tiny",
        "ravan": "http://127.0.0.1:9000/ravan",
        "admin": "http://127.0.0.1:9000/__admin",
    }
    assert describe_urls("http://127.0.0.1:9000/", app) == expected
    assert describe_urls("http://127.0.0.1:9000", app) == expected
