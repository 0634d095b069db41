"""CORS on the fakes over real HTTP (preflights, headers on answers and errors), never on /__admin;
and a real browser calling a fake from a page on another loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from support.browser import StaticSite
from support.http import bearer

from mockserver.app import build_app
from mockserver.server import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Page

PAGE_ORIGIN = "http://127.0.0.1:5173"
LISTED = "http://localhost:3000"
CALENDARS = "/calcom/v2/calendars"
SAFE = {"Content-Type": "application/json"}


def preflight(base_url: str, path: str, origin: str = PAGE_ORIGIN, method: str = "GET", **extra: str) -> httpx.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    return httpx.options(base_url + path, headers=headers)


@pytest.fixture(scope="module")
def any_origin() -> Iterator[ServerThread]:
    with ServerThread(build_app(validate_responses=True, cors=["*"])) as server:
        yield server


@pytest.fixture(scope="module")
def listed_origin() -> Iterator[ServerThread]:
    with ServerThread(build_app(validate_responses=True, cors=[LISTED])) as server:
        yield server


@pytest.fixture
def calcom(any_origin: ServerThread) -> dict[str, Any]:
    any_origin.app.runtime.reset()
    return any_origin.app.admin.apply_state("calcom", "connected_calendar", {"count": 1})


def test_preflight_is_answered_with_what_the_browser_asked(any_origin: ServerThread) -> None:
    response = preflight(
        any_origin.base_url, CALENDARS, **{"Access-Control-Request-Headers": "authorization,cal-api-version"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"].split(", ")
    assert response.headers["access-control-allow-headers"] == "authorization,cal-api-version"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH"])
def test_preflight_of_a_write_reaches_nothing(any_origin: ServerThread, calcom: dict[str, Any], method: str) -> None:
    before = any_origin.app.admin.state()
    path = f"{CALENDARS}/google/disconnect"
    response = preflight(any_origin.base_url, path, method=method, **{"Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert method in response.headers["access-control-allow-methods"]
    # Answered before the fakes: not journaled, nothing changed.
    assert any_origin.app.admin.requests() == []
    assert any_origin.app.admin.state() == before


def test_answers_and_errors_carry_the_headers(any_origin: ServerThread, calcom: dict[str, Any]) -> None:
    token = calcom["tokens"]["api_key"]
    ok = httpx.get(any_origin.base_url + CALENDARS, headers={"Origin": PAGE_ORIGIN, **bearer(token)})
    assert ok.status_code == 200 and ok.json()["status"] == "success"
    assert ok.headers["access-control-allow-origin"] == "*"
    assert ok.headers["access-control-expose-headers"] == "*"
    # An error in the vendor's own envelope is readable by the page too.
    refused = httpx.get(any_origin.base_url + CALENDARS, headers={"Origin": PAGE_ORIGIN})
    assert refused.status_code == 401 and refused.json()["status"] == "error"
    assert refused.headers["access-control-allow-origin"] == "*"
    unknown = httpx.get(any_origin.base_url + "/vcita/no/such/path", headers={"Origin": PAGE_ORIGIN})
    assert unknown.status_code == 404
    assert unknown.headers["access-control-allow-origin"] == "*"


def test_requests_without_an_origin_are_answered_as_without_cors(any_origin: ServerThread) -> None:
    response = httpx.get(any_origin.base_url + CALENDARS)
    assert response.status_code == 401
    assert not [name for name in response.headers if name.startswith("access-control-") or name == "vary"]


def test_a_listed_origin_is_echoed_and_another_refused(listed_origin: ServerThread) -> None:
    allowed = preflight(listed_origin.base_url, CALENDARS, origin=LISTED)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == LISTED
    other = preflight(listed_origin.base_url, CALENDARS, origin=PAGE_ORIGIN)
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    simple = httpx.get(listed_origin.base_url + CALENDARS, headers={"Origin": PAGE_ORIGIN})
    assert simple.status_code == 401 and "access-control-allow-origin" not in simple.headers
    echoed = httpx.get(listed_origin.base_url + CALENDARS, headers={"Origin": LISTED})
    assert echoed.headers["access-control-allow-origin"] == LISTED and "Origin" in echoed.headers["vary"]


def test_private_network_access_only_for_listed_origins(any_origin: ServerThread, listed_origin: ServerThread) -> None:
    pna = {"Access-Control-Request-Private-Network": "true"}
    assert preflight(any_origin.base_url, CALENDARS, origin="https://app.example", **pna).status_code == 400
    granted = preflight(listed_origin.base_url, CALENDARS, origin=LISTED, **pna)
    assert granted.status_code == 200 and granted.headers["access-control-allow-private-network"] == "true"


def test_without_cors_a_preflight_gets_no_grant() -> None:
    with ServerThread(build_app()) as server:
        response = preflight(server.base_url, CALENDARS)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/__admin/reset", "//__admin/reset"])
def test_the_control_plane_is_never_granted_to_another_origin(any_origin: ServerThread, path: str) -> None:
    # Preflight and the write itself are both refused by the admin guard, with no CORS grant.
    response = preflight(any_origin.base_url, path, method="POST", **{"Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 403 and "access-control-allow-origin" not in response.headers
    any_origin.app.admin.apply_state("vcita", "calendar_sync", {"provider": "google_v3"})
    before = any_origin.app.admin.state()
    write = httpx.post(any_origin.base_url + path, headers={"Origin": PAGE_ORIGIN, **SAFE}, json={})
    assert write.status_code == 403 and write.json()["error"]["code"] == "cross_site_request"
    assert "access-control-allow-origin" not in write.headers
    assert any_origin.app.admin.state() == before


def test_the_control_plane_gets_no_cors_headers_even_from_its_own_origin(any_origin: ServerThread) -> None:
    own = any_origin.base_url  # same origin: the guard lets it through, and no CORS is added
    response = httpx.get(own + "/__admin/health", headers={"Origin": own})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


FETCH = """async ([url, token]) => {
  try {
    const response = await fetch(url, {headers: {Authorization: "Bearer " + token}});
    return {status: response.status, body: await response.json(), requestId: response.headers.get("x-request-id")};
  } catch (error) {
    return {error: String(error)};
  }
}"""


@pytest.mark.browser
def test_a_browser_page_on_another_port_reads_a_fake(
    browser_page: Page, any_origin: ServerThread, calcom: dict[str, Any]
) -> None:
    with StaticSite({"/": "<!doctype html><title>app</title>"}) as site:
        browser_page.goto(site.url("/"))
        result = browser_page.evaluate(FETCH, [any_origin.base_url + CALENDARS, calcom["tokens"]["api_key"]])
    assert "error" not in result, result
    assert result["status"] == 200
    listed = [entry["credentialId"] for entry in result["body"]["data"]["connectedCalendars"]]
    assert listed == calcom["credential_ids"]
    # A header beyond the CORS-safelisted ones is readable because it is exposed.
    assert len(result["requestId"] or "") == 36
    # The Authorization header forced a preflight; both reached the server, only the GET the fake.
    journal = any_origin.app.admin.requests()
    assert [(e["method"], e["path"]) for e in journal] == [("GET", CALENDARS)]


@pytest.mark.browser
def test_without_cors_the_browser_refuses_to_hand_over_the_answer(browser_page: Page) -> None:
    with ServerThread(build_app()) as server, StaticSite({"/": "<!doctype html><title>app</title>"}) as site:
        browser_page.goto(site.url("/"))
        result = browser_page.evaluate(FETCH, [server.base_url + CALENDARS, "cal_live_whatever"])
    assert result == {"error": "TypeError: Failed to fetch"}


def test_a_sessions_control_plane_gets_no_cors_either() -> None:
    """``/s/<id>/__admin`` is a control plane too: no CORS grant to another origin, even in an
    app without the admin guard in front (which refuses such calls first when served)."""
    from starlette.testclient import TestClient

    with TestClient(build_app(cors=["*"])) as http:
        session = http.post("/__admin/sessions", json={}).json()["id"]
        preflight = http.options(
            f"/s/{session}/__admin/faults",
            headers={"Origin": "http://127.0.0.1:9", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        fake = http.get(f"/s/{session}/calcom/v2/calendars", headers={"Origin": "http://127.0.0.1:9"})
        assert fake.headers.get("access-control-allow-origin") == "*"
