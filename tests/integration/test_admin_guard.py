"""The control plane's guard over real HTTP: Host allow-list, cross-site refusal, admin token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.serve import ENV, ENV_WITHOUT_ADMIN_TOKEN, free_port, serve, stop

from mockserver.admin import AdminError, HttpAdmin
from mockserver.admin_guard import TOKEN_ENV
from mockserver.app import build_app
from mockserver.harness import SetupError, StepFailure, UrlTarget, load_step_file, run_step_file
from mockserver.server import ServerThread

SEEDED_API, SEEDED_STATE, SEEDED_PARAMS = "vcita", "calendar_sync", {"provider": "google_v3"}


@pytest.fixture(scope="module")
def loopback() -> Iterator[ServerThread]:
    with ServerThread(build_app(), allow_hosts=("fake.test",)) as server:
        yield server


@pytest.fixture
def seeded(loopback: ServerThread) -> dict[str, Any]:
    """The loopback server with one provider state applied; answers its state dump."""
    loopback.app.runtime.reset()
    loopback.app.admin.apply_state(SEEDED_API, SEEDED_STATE, SEEDED_PARAMS)
    return loopback.app.admin.state()


def port_of(server: ServerThread) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_clients_that_send_no_browser_headers_work_unchanged(loopback: ServerThread, seeded: dict[str, Any]) -> None:
    # What curl, httpx, the harness and the README's examples send: no Origin, no Sec-Fetch-*.
    assert httpx.get(f"{loopback.base_url}/__admin/health").status_code == 200
    assert httpx.post(f"{loopback.base_url}/__admin/reset").status_code == 200
    with HttpAdmin(loopback.base_url) as admin:
        admin.apply_state(SEEDED_API, SEEDED_STATE, SEEDED_PARAMS)
        assert admin.state()["vcita"]["calendar_syncs"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "fake.test"])
def test_loopback_names_the_bound_name_and_allowed_hosts_are_accepted(loopback: ServerThread, host: str) -> None:
    for value in (host, f"{host}:{port_of(loopback)}"):
        response = httpx.get(f"{loopback.base_url}/__admin/health", headers={"Host": value})
        assert response.status_code == 200, (value, response.text)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "localhost.evil.example:{port}", "10.0.0.1"])
def test_a_foreign_host_is_refused_and_changes_nothing(
    loopback: ServerThread, seeded: dict[str, Any], host: str
) -> None:
    value = host.format(port=port_of(loopback))
    for method, path in (("POST", "/__admin/reset"), ("GET", "/__admin/state"), ("POST", "//__admin/reset")):
        response = httpx.request(method, f"{loopback.base_url}{path}", headers={"Host": value})
        assert_refused(response, 403, "host_not_allowed")
    assert loopback.app.admin.state() == seeded


def test_the_fakes_are_not_guarded(loopback: ServerThread) -> None:
    # A foreign Host and a cross-site browser request reach the fake, which answers with its own auth.
    response = httpx.put(
        f"{loopback.base_url}/vcita/business/scheduling/v1/external_calendar_items/disconnect",
        headers={"Host": "evil.example", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        json={},
    )
    assert response.status_code == 401
    assert response.json() == {"success": False, "errors": [{"code": "unauthorized", "message": "401 Unauthorized"}]}


def test_a_cross_site_html_form_post_cannot_reset(loopback: ServerThread, seeded: dict[str, Any]) -> None:
    # What a browser sends for <form method=post action=http://127.0.0.1:8080/__admin/reset> on another site.
    response = httpx.post(
        f"{loopback.base_url}/__admin/reset",
        headers={
            "Origin": "https://evil.example",
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        content=b"api=vcita",
    )
    assert_refused(response, 403, "cross_site_request")
    assert loopback.app.admin.state() == seeded


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:3000"},  # another local origin: only --allow-host admits it
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:{port}.evil.example"},
    ],
)
def test_cross_site_requests_are_refused(
    loopback: ServerThread, seeded: dict[str, Any], headers: dict[str, str]
) -> None:
    sent = {k: v.format(port=port_of(loopback)) for k, v in headers.items()}
    response = httpx.post(f"{loopback.base_url}/__admin/reset", headers=sent)
    assert_refused(response, 403, "cross_site_request")
    assert loopback.app.admin.state() == seeded


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain;charset=UTF-8", "TEXT/PLAIN"],
)
def test_form_content_types_are_refused(loopback: ServerThread, seeded: dict[str, Any], content_type: str) -> None:
    response = httpx.post(
        f"{loopback.base_url}/__admin/states",
        headers={"Content-Type": content_type},
        content=b'{"api": "vcita", "state": "staff"}',
    )
    assert_refused(response, 403, "form_content_refused")
    assert loopback.app.admin.state() == seeded


def test_same_origin_browser_requests_work(loopback: ServerThread) -> None:
    # The Swagger UI at /__admin/ui/ posts with its own origin.
    origin = loopback.base_url
    for headers in (
        {"Origin": origin, "Sec-Fetch-Site": "same-origin"},
        {"Origin": f"http://localhost:{port_of(loopback)}", "Host": f"localhost:{port_of(loopback)}"},
        {"Origin": "http://fake.test"},  # an --allow-host name
    ):
        response = httpx.post(f"{loopback.base_url}/__admin/reset", headers=headers, json=None)
        assert response.status_code == 200, (headers, response.text)


@pytest.fixture(scope="module")
def with_token() -> Iterator[ServerThread]:
    with ServerThread(build_app(), admin_token="s3cret-admin-token-for-tests") as server:
        yield server


def test_a_token_given_on_loopback_is_required(with_token: ServerThread) -> None:
    url = f"{with_token.base_url}/__admin/health"
    missing = httpx.get(url)
    assert_refused(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_refused(httpx.get(url, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert_refused(httpx.get(url, headers={"Authorization": "Basic s3cret-admin-token-for-tests"}), 401, "unauthorized")
    ok = httpx.get(url, headers={"Authorization": "Bearer s3cret-admin-token-for-tests"})
    assert ok.status_code == 200
    ok = httpx.get(url, headers={"Authorization": "bearer s3cret-admin-token-for-tests"})
    assert ok.status_code == 200


def test_http_admin_sends_the_token_given_or_from_the_environment(
    with_token: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with HttpAdmin(with_token.base_url) as admin, pytest.raises(AdminError) as refused:
        admin.health()
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    with HttpAdmin(with_token.base_url, token="s3cret-admin-token-for-tests") as admin:
        assert admin.health()["status"] == "ok"
    monkeypatch.setenv(TOKEN_ENV, "s3cret-admin-token-for-tests")
    with HttpAdmin(with_token.base_url) as admin:
        assert admin.reset()


def test_bound_beyond_loopback_every_admin_call_needs_the_generated_token() -> None:
    with ServerThread(build_app(), host="0.0.0.0") as server:
        token = server.admin_token
        assert token
        base = f"http://127.0.0.1:{port_of(server)}"
        for path in ("/__admin/health", "/__admin/state", "/__admin/ui/"):
            assert_refused(httpx.get(f"{base}{path}"), 401, "unauthorized")
        # Any Host is accepted here (the token is the protection), cross-site still refused.
        headers = {"Authorization": f"Bearer {token}", "Host": "mockserver.internal:8080"}
        assert httpx.get(f"{base}/__admin/health", headers=headers).status_code == 200
        assert_refused(
            httpx.post(f"{base}/__admin/reset", headers={**headers, "Sec-Fetch-Site": "cross-site"}),
            403,
            "cross_site_request",
        )
        with HttpAdmin(base, token=token) as admin:
            assert admin.reset()
        # The fakes answer with their own authentication, not the admin token.
        response = httpx.get(f"{base}/recall/api/v1/calendar/user/")
        assert response.status_code == 401


def test_serve_beyond_loopback_warns_and_prints_a_generated_token_once() -> None:
    port = free_port()
    process, lines = serve("--host", "0.0.0.0", "--port", str(port), env=ENV_WITHOUT_ADMIN_TOKEN)
    try:
        token_lines = [line for line in lines if line.startswith("admin token")]
        assert len(token_lines) == 1, lines
        token = token_lines[0].rsplit(" ", 1)[1]
        base = f"http://127.0.0.1:{port}"
        assert_refused(httpx.get(f"{base}/__admin/health", timeout=5), 401, "unauthorized")
        with HttpAdmin(base, token=token) as admin:
            assert admin.health()["status"] == "ok"
    finally:
        _, stderr = stop(process)
    assert "not loopback" in stderr and "warning" in stderr
    assert token not in stderr


def test_serve_takes_the_token_from_the_environment_and_does_not_print_it() -> None:
    port = free_port()
    process, lines = serve("--host", "0.0.0.0", "--port", str(port), env={**ENV, TOKEN_ENV: "env-admin-token-123456"})
    try:
        assert not [line for line in lines if "env-admin-token-123456" in line or "admin token" in line]
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/__admin/health", timeout=5).status_code == 401
        headers = {"Authorization": "Bearer env-admin-token-123456"}
        assert httpx.get(f"{base}/__admin/health", headers=headers, timeout=5).status_code == 200
    finally:
        stop(process)


def test_serve_on_loopback_prints_no_warning_and_honours_allow_host() -> None:
    port = free_port()
    process, lines = serve("--port", str(port), "--allow-host", "devbox.test", env=ENV_WITHOUT_ADMIN_TOKEN)
    try:
        assert not [line for line in lines if "admin token" in line]
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/__admin/health", headers={"Host": f"devbox.test:{port}"}).status_code == 200
        assert_refused(httpx.get(f"{base}/__admin/health", headers={"Host": "other.test"}), 403, "host_not_allowed")
    finally:
        _, stderr = stop(process)
    assert "warning" not in stderr


CONTROL_PLANE_STEP_FILES = sorted(
    path
    for path in (Path(__file__).resolve().parents[2] / "contracts").rglob("*.yaml")
    if path.name != "targets.yaml" and "api: admin" in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("path", CONTROL_PLANE_STEP_FILES[:3], ids=lambda path: f"{path.parent.name}/{path.name}")
def test_step_files_that_call_the_control_plane_pass_the_credential(with_token: ServerThread, path: Path) -> None:
    # The harness sends the admin credential on a step's own control-plane request too.
    target = UrlTarget("protected", with_token.base_url)
    with HttpAdmin(with_token.base_url, token="s3cret-admin-token-for-tests") as admin:
        target.admin = admin
        report = run_step_file(load_step_file(path), target)
    assert report.ok, report.headline()
    # Without the credential the same file cannot even be set up.
    bare = UrlTarget("bare", with_token.base_url)
    with HttpAdmin(with_token.base_url, token=None) as admin:
        bare.admin = admin
        with pytest.raises((StepFailure, SetupError)):
            run_step_file(load_step_file(path), bare)
