"""The landing page, the dashboard's page, files and journal stream over real HTTP, and the control
plane's protection of them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from support.serve import ENV, free_port, serve, stop

from mockserver.app import build_app
from mockserver.dashboard import pages
from mockserver.server import ServerThread

TOKEN = "dashboard-admin-token-123456"


@pytest.fixture
def http(fake_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_server.base_url, timeout=10) as client:
        yield client


def test_the_landing_page_links_the_dashboard_and_every_swagger_ui(
    http: httpx.Client, fake_server: ServerThread
) -> None:
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    links = re.findall(r'href="([^"]+)"', page.text)
    expected = {"__admin/dashboard", "__admin/ui/", *(f"{api}/ui/" for api in fake_server.app.apis)}
    assert expected <= set(links)
    for link in expected:
        assert http.get(f"/{link}").status_code == 200, link
    for api, vendor in fake_server.app.runtime.vendors.items():
        assert vendor.title in page.text, api


@pytest.mark.parametrize("path", ["/__admin", "/__admin/", "/__admin/dashboard/"])
def test_the_control_plane_root_leads_to_the_dashboard(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert (response.status_code, response.headers["location"]) == (307, "/__admin/dashboard")


def test_the_dashboard_is_self_contained_and_locked_down(http: httpx.Client) -> None:
    page = http.get("/__admin/dashboard")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    script = http.get("/__admin/dashboard/static/dashboard.js")
    style = http.get("/__admin/dashboard/static/dashboard.css")
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for text in (page.text, script.text, style.text, http.get("/").text):
        # Works offline: nothing is loaded from another host (no CDN, no fonts, no analytics).
        assert not re.search(r"""(src|href)=["']?(https?:)?//|url\(\s*["']?(https?:)?//|https?://""", text)
    assert "<script>" not in page.text, "no inline script (the policy would block it)"


@pytest.mark.parametrize("name", ["nope.js", "../__init__.py", "..%2F__init__.py", "dashboard.html"])
def test_only_the_dashboards_own_files_are_served(http: httpx.Client, name: str) -> None:
    response = http.get(f"/__admin/dashboard/static/{name}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_methods_on_the_dashboard_paths_get_the_control_planes_answer(http: httpx.Client) -> None:
    for response in (http.post("/__admin/dashboard"), http.delete("/"), http.post("/__admin/requests/stream")):
        assert response.status_code in (404, 405), response.text
        assert response.json()["error"]["code"]


def stream_until(base_url: str, count: int, query: str = "", timeout: float = 5.0) -> list[str]:
    """The first ``count`` event blocks of the journal stream (``retry:`` aside)."""
    blocks: list[str] = []
    with httpx.stream("GET", f"{base_url}/__admin/requests/stream{query}", timeout=timeout) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        buffered = ""
        for text in response.iter_text():
            buffered += text
            while "\n\n" in buffered:
                block, buffered = buffered.split("\n\n", 1)
                if not block.startswith("retry:"):
                    blocks.append(block)
            if len(blocks) >= count:
                return blocks
    return blocks


def test_the_stream_sends_the_backlog_then_each_new_request_within_a_second(
    http: httpx.Client, fake_server: ServerThread
) -> None:
    http.get("/vcita/nowhere/1")
    first_id = fake_server.app.admin.requests()[0]["id"]
    sent_at: list[float] = []

    def later() -> None:
        time.sleep(0.5)
        sent_at.append(time.monotonic())
        httpx.get(f"{fake_server.base_url}/calcom/v2/nowhere/2")

    threading.Thread(target=later).start()
    first, second = stream_until(fake_server.base_url, 2)
    arrived = time.monotonic()
    assert first.startswith(f"event: entry\nid: {first_id}\n") and '"path":"/vcita/nowhere/1"' in first
    assert '"path":"/calcom/v2/nowhere/2"' in second and '"verdict":{"result":"no_operation"' in second
    assert '"request"' not in second, "headers and bodies are fetched per entry, not streamed"
    assert arrived - sent_at[0] < 1.0


def test_the_stream_resumes_after_the_last_id_seen_and_says_when_the_journal_is_cleared(
    http: httpx.Client, fake_server: ServerThread
) -> None:
    for n in range(3):
        http.get(f"/vcita/nowhere/{n}")
    newest = fake_server.app.admin.requests()[0]["id"]
    (resumed,) = stream_until(fake_server.base_url, 1, f"?after={newest - 1}")
    assert resumed.startswith(f"event: entry\nid: {newest}\n")

    def clear() -> None:
        time.sleep(0.5)
        httpx.delete(f"{fake_server.base_url}/__admin/requests")

    threading.Thread(target=clear).start()
    blocks = stream_until(fake_server.base_url, 4)
    assert [b.split("\n", 1)[0] for b in blocks] == ["event: entry"] * 3 + ["event: cleared"]


def test_head_of_the_stream_answers_at_once(http: httpx.Client) -> None:
    response = http.head("/__admin/requests/stream")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")


@pytest.fixture(scope="module")
def beyond_loopback() -> Iterator[tuple[ServerThread, str]]:
    with ServerThread(build_app(), host="0.0.0.0", admin_token=TOKEN) as server:
        yield server, f"http://127.0.0.1:{server.base_url.rsplit(':', 1)[1]}"


@pytest.mark.parametrize(
    "path",
    ["/__admin/dashboard", "/__admin/dashboard/static/dashboard.js", "/__admin/requests/stream", "/__admin/"],
)
def test_beyond_loopback_the_dashboard_needs_the_admin_token(
    beyond_loopback: tuple[ServerThread, str], path: str
) -> None:
    _, base = beyond_loopback
    host = {"Host": "mockserver.internal:8080"}
    refused = httpx.get(f"{base}{path}", headers=host)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    assert TOKEN not in refused.text
    wrong = httpx.get(f"{base}{path}", headers={**host, "Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    allowed = {**host, "Authorization": f"Bearer {TOKEN}"}
    if path.endswith("stream"):
        with httpx.stream("GET", f"{base}{path}", headers=allowed, timeout=5) as response:
            assert response.status_code == 200
    else:
        assert httpx.get(f"{base}{path}", headers=allowed).status_code in (200, 307)


def test_the_landing_page_holds_no_data_and_needs_no_token(beyond_loopback: tuple[ServerThread, str]) -> None:
    _, base = beyond_loopback
    page = httpx.get(f"{base}/", headers={"Host": "mockserver.internal:8080"})
    assert page.status_code == 200 and TOKEN not in page.text


def test_a_cross_site_page_cannot_read_or_open_the_dashboard(beyond_loopback: tuple[ServerThread, str]) -> None:
    _, base = beyond_loopback
    headers = {"Authorization": f"Bearer {TOKEN}", "Sec-Fetch-Site": "cross-site"}
    for path in ("/__admin/dashboard", "/__admin/requests/stream"):
        response = httpx.get(f"{base}{path}", headers=headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == "cross_site_request"


def test_serve_with_the_token_in_the_environment_guards_the_dashboard() -> None:
    port = free_port()
    process, _ = serve("--host", "0.0.0.0", "--port", str(port), env={**ENV, "MOCKSERVER_ADMIN_TOKEN": TOKEN})
    try:
        base, host = f"http://127.0.0.1:{port}", {"Host": f"devbox.example:{port}"}
        assert httpx.get(f"{base}/__admin/dashboard", headers=host, timeout=5).status_code == 401
        allowed = {**host, "Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(f"{base}/__admin/dashboard", headers=allowed, timeout=5).status_code == 200
    finally:
        stop(process)


def test_the_page_escapes_what_it_renders() -> None:
    assert pages._e('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"


def test_an_open_stream_does_not_hold_a_stop_for_its_grace_period() -> None:
    """A dashboard left open keeps its journal stream going; stopping the server ends it at
    once instead of waiting out the shutdown grace period (5 s)."""
    server = ServerThread(build_app()).start()
    opened = threading.Event()

    def watch() -> None:
        try:
            with httpx.stream("GET", f"{server.base_url}/__admin/requests/stream", timeout=30) as answer:
                for _ in answer.iter_bytes():
                    opened.set()
        except httpx.HTTPError:
            pass

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert opened.wait(10)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    watcher.join(5)
