"""The dispatcher: the Call a handler gets, rate limits and faults before it, and the request path
and scheme exactly as starlette's URL would say."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import URL
from support.asgi import NOTES, call, note_and_token, tiny_app, tiny_vendor

from mockserver.app import FakesApp
from mockserver.dispatch import path_and_scheme
from mockserver.interface import Call, Reply

_PATH_CHARS = st.sampled_from(list("/abcXYZ019._~%!$&'()*+,;=:@-?#\\ \t\né\x00"))


def _scope(path: str, scheme: str, host: bytes | None, server: tuple[str, int] | None) -> dict[str, Any]:
    headers = [] if host is None else [(b"host", host)]
    return {
        "type": "http",
        "path": path,
        "scheme": scheme,
        "headers": headers,
        "server": server,
        "query_string": b"a=1",
    }


@settings(max_examples=500, derandomize=True)
@given(
    path=st.lists(_PATH_CHARS, max_size=12).map(lambda chars: "/" + "".join(chars)),
    scheme=st.sampled_from(["http", "https"]),
    host=st.sampled_from([b"127.0.0.1:8080", b"example.com", b"a/b", b"[::1]:80", b"bad host", None]),
    server=st.sampled_from([("127.0.0.1", 8080), ("::1", 80), None]),
)
def test_path_and_scheme_match_starlettes_url(
    path: str, scheme: str, host: bytes | None, server: tuple[str, int] | None
) -> None:
    scope = _scope(path, scheme, host, server)
    url = URL(scope=scope)
    assert path_and_scheme(scope) == (url.path, url.scheme)


def test_ordinary_paths_are_taken_as_they_are() -> None:
    scope = _scope("/vcita/business/scheduling/v1/x", "http", b"127.0.0.1:8080", ("127.0.0.1", 8080))
    assert path_and_scheme(scope) == ("/vcita/business/scheduling/v1/x", "http")


def test_unusual_paths_go_through_starlette() -> None:
    scope = _scope("/a?b#c\\d", "http", b"127.0.0.1:8080", ("127.0.0.1", 8080))
    assert path_and_scheme(scope) == ("/a%3Fb%23c%5Cd", "http")


# -- the dispatcher, through the served app ----------------------------------------------------------
@pytest.fixture(params=[True, False], ids=["fast_path", "connexion"])
def app(request: pytest.FixtureRequest) -> FakesApp:
    return tiny_app(fast_path=request.param)


class _ParsesUntypedJson(tiny_vendor()):  # type: ignore[misc]
    """The tiny vendor, on a framework that reads a body without Content-Type as JSON."""

    json_without_content_type = True


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast_path", "connexion"])
def test_a_json_body_without_content_type_reaches_the_handler_parsed_where_the_vendor_parses_it(
    fast_path: bool,
) -> None:
    app = tiny_app(_ParsesUntypedJson, fast_path=fast_path)
    note, headers = note_and_token(app)
    response = call(app, "PUT", f"{NOTES}/{note}", headers=headers, content=b'{"text": "no type"}')
    assert response.status_code == 200, response.text
    assert app.admin.state("tiny")["tiny"]["notes"][0]["text"] == "no type"


def test_elsewhere_a_body_without_content_type_is_a_body_of_no_known_type(app: FakesApp) -> None:
    note, headers = note_and_token(app)
    before = app.admin.state("tiny")
    response = call(app, "PUT", f"{NOTES}/{note}", headers=headers, content=b'{"text": "no type"}')
    assert response.status_code == 415, response.text
    assert "application/octet-stream" in response.json()["reason"]
    assert app.admin.state("tiny") == before


class _Recording(tiny_vendor()):  # type: ignore[misc]
    """The tiny vendor, noting the Call each handler is given."""

    seen: list[Call] = []

    def _record(self, call: Call) -> Reply:
        self.seen.append(call)
        return Reply({"id": call.params["note_id"], "text": "seen", "pinned": False})

    handlers = {"getNote": _record}


def test_the_handler_gets_the_call_as_the_request_made_it() -> None:
    _Recording.seen.clear()
    app = tiny_app(_Recording)
    _, headers = note_and_token(app)
    answered = call(app, "GET", f"{NOTES}/abc?unused=1", headers={**headers, "Host": "fake.test:9000"})
    assert answered.json() == {"id": "abc", "text": "seen", "pinned": False}
    (seen,) = _Recording.seen
    assert (seen.api, seen.operation_id, seen.path) == ("tiny", "getNote", f"{NOTES}/abc")
    assert seen.params == {"note_id": "abc"}
    assert seen.base_url == "http://fake.test:9000/tiny"
    assert seen.auth == {"token": headers["Authorization"].removeprefix("Bearer ")}
    assert seen.headers["host"] == "fake.test:9000"
    assert abs(seen.now - app.runtime.clock.now()) < 5


def test_an_operation_without_a_handler_answers_501_in_the_vendors_envelope() -> None:
    app = tiny_app(_Recording)
    note, headers = note_and_token(app)
    response = call(app, "DELETE", f"{NOTES}/{note}", headers=headers)
    assert response.status_code == 501
    assert response.json() == {"ok": False, "reason": "deleteNote is not simulated by the tiny fake"}
    assert len(app.admin.state("tiny")["tiny"]["notes"]) == 1


def test_rate_limits_are_counted_before_faults_and_a_fault_keeps_the_store(app: FakesApp) -> None:
    note, headers = note_and_token(app)
    app.admin.update_settings({"apis": {"tiny": {"rate_limits": {"token": {"limit": 1, "window_seconds": 3600}}}}})
    app.admin.add_fault("tiny", "deleteNote", status=503, times=1)
    faulted = call(app, "DELETE", f"{NOTES}/{note}", headers=headers)
    assert (faulted.status_code, faulted.json()) == (
        503,
        {"ok": False, "reason": "Fault injected through the control plane"},
    )
    assert len(app.admin.state("tiny")["tiny"]["notes"]) == 1
    limited = call(app, "DELETE", f"{NOTES}/{note}", headers=headers)
    assert limited.status_code == 429 and limited.headers["retry-after"]
    assert app.admin.faults() == [], "the fault was used up by the first call"
