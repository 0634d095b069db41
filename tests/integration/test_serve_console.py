"""What ``mockserver serve`` prints and reads: the access log, -q, no library noise for ordinary bad
input, --api, --version, MOCKSERVER_* variables and the CORS default - on a real served process."""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.serve import COMMAND, ENV, free_port, run, serve, stop, wait_healthy

from mockserver import __version__
from mockserver.app import build_app
from mockserver.console import ACCESS_LOGGER, OrdinaryBadInput
from mockserver.server import ServerThread

CALENDARS = "/calcom/v2/calendars"
ACCESS_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<target>\S+) (?P<status>\d{3}) (?P<operation>\S+) (?P<ms>\d+\.\d)ms$")
NOISE = "not defined in"


class Served:
    """A ``mockserver serve`` process on a free port."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process, self.lines = serve("--port", str(port), *args, env=env)
        wait_healthy(self.process, self.base)

    def calcom_token(self) -> str:
        created = httpx.post(
            f"{self.base}/__admin/states", json={"api": "calcom", "state": "connected_calendar", "params": {}}
        )
        assert created.status_code == 201, created.text
        token: str = created.json()["data"]["tokens"]["api_key"]
        return token

    def stop(self) -> tuple[str, str]:
        return stop(self.process)


@pytest.fixture
def served_default() -> Iterator[Served]:
    served = Served()
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.kill()
        served.process.wait(10)


def access_lines(stderr: str) -> list[dict[str, Any]]:
    return [match.groupdict() for line in stderr.splitlines() if (match := ACCESS_LINE.match(line))]


def test_access_log_names_each_request_and_masks_secrets(served_default: Served) -> None:
    token = served_default.calcom_token()
    base = served_default.base
    assert httpx.get(f"{base}{CALENDARS}?note={token}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{base}{CALENDARS}/{token}/x%0aGET%20/forged%20200").status_code == 404
    assert httpx.post(f"{base}/__admin/reset", headers={"Origin": "https://evil.example"}).status_code == 403
    _, stderr = served_default.stop()
    assert token not in stderr
    lines = access_lines(stderr)
    shown = [(line["method"], line["status"], line["operation"]) for line in lines]
    assert shown == [
        ("GET", "200", "health"),  # wait_healthy's probe
        ("POST", "201", "applyProviderState"),
        ("GET", "200", "CalendarsController_getCalendars"),
        ("GET", "404", "-"),
        ("POST", "403", "-"),  # refused by the admin guard: logged too
    ], stderr
    assert lines[2]["target"] == f"{CALENDARS}?note={token[:6]}…"
    # The path as sent, percent-encoded: one word on one line, no forged line.
    assert lines[3]["target"] == f"{CALENDARS}/{token[:6]}…/x%0aGET%20/forged%20200"
    assert len(stderr.splitlines()) == len(lines), stderr


def test_quiet_prints_no_access_log_and_connexion_complains_of_no_bad_input() -> None:
    served = Served("-q")
    token = served.calcom_token()
    # An undeclared query parameter and an undeclared body property, as Schemathesis sends them:
    # Connexion logs the first at ERROR level unless told not to (see console.py).
    for _ in range(3):
        listed = httpx.get(
            f"{served.base}{CALENDARS}",
            params={"xschemathesisunknownproperty": "1", "": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert listed.status_code == 200
    ids = httpx.get(f"{served.base}/__admin/state", params={"api": "calcom"}).json()["calcom"]
    credential = ids["credentials"][0]["id"]
    disconnected = httpx.post(
        f"{served.base}{CALENDARS}/google/disconnect",
        json={"id": credential, "xschemathesisunknownproperty": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert disconnected.status_code == 200, disconnected.text
    stdout, stderr = served.stop()
    assert stderr == ""
    assert stdout == ""


def test_connexion_noise_is_dropped_and_only_that(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with ServerThread(build_app(), access_log=True) as server:
        token = server.app.admin.apply_state("calcom", "connected_calendar", {})["tokens"]["api_key"]
        url = f"{server.base_url}{CALENDARS}?xschemathesisunknownproperty=1"
        headers = {"Authorization": f"Bearer {token}"}
        parameter_logger = logging.getLogger("connexion.decorators.parameter")
        installed = [f for f in parameter_logger.filters if isinstance(f, OrdinaryBadInput)]
        assert installed, "the server installs the filter when it starts"
        # Without the filter the same request does make Connexion complain: the check can fail.
        for f in installed:
            parameter_logger.removeFilter(f)
        try:
            assert httpx.get(url, headers=headers).status_code == 200
        finally:
            for f in installed:
                parameter_logger.addFilter(f)
        assert [r for r in caplog.records if NOISE in r.getMessage()]
        caplog.clear()
        assert httpx.get(url, headers=headers).status_code == 200
    assert not [r for r in caplog.records if NOISE in r.getMessage()]
    # The access line of that request is still there.
    assert next(r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER).startswith(f"GET {CALENDARS}?x")


def test_fixture_servers_log_no_access_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with ServerThread(build_app()) as server:
        assert httpx.get(server.base_url + "/__admin/health").status_code == 200
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]


def test_api_serves_a_subset_and_the_control_plane_knows_only_it() -> None:
    served = Served("--api", "calcom,recall", "--no-access-log")
    try:
        urls = dict(line.split() for line in served.lines)
        assert set(urls) == {"calcom", "recall", "admin"}
        unknown = httpx.get(f"{served.base}/no/such/path")
        vcita = httpx.get(f"{served.base}/vcita/platform/v1/scheduling/staff")
        assert vcita.status_code == unknown.status_code == 404
        assert vcita.headers["content-type"] == unknown.headers["content-type"]
        assert set(httpx.get(f"{served.base}/__admin/state").json()) == {"calcom", "recall"}
        refused = httpx.post(
            f"{served.base}/__admin/states", json={"api": "vcita", "state": "calendar_sync", "params": {}}
        )
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "unknown_api"
        assert httpx.get(f"{served.base}/calcom/ui/").status_code == 200
        assert httpx.get(f"{served.base}/vcita/ui/").status_code == 404
    finally:
        served.stop()


def test_variables_configure_serve_and_the_command_line_wins() -> None:
    env = {**ENV, "MOCKSERVER_API": "vcita", "MOCKSERVER_ACCESS_LOG": "0", "MOCKSERVER_CORS": "none"}
    served = Served(env=env)
    try:
        assert [line.split()[0] for line in served.lines] == ["vcita", "admin"]
        preflight = httpx.options(
            f"{served.base}/vcita/platform/v1/scheduling/staff",
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers
    finally:
        _, stderr = served.stop()
    assert stderr == ""
    overridden = Served("--api", "recall", "--access-log", env=env)
    try:
        assert [line.split()[0] for line in overridden.lines] == ["recall", "admin"]
    finally:
        _, stderr = overridden.stop()
    assert access_lines(stderr)


def test_cors_is_on_for_any_origin_by_default_on_loopback(served_default: Served) -> None:
    preflight = httpx.options(
        f"{served_default.base}{CALENDARS}",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--api", "vcita,zoom"], {}, "argument --api: unknown fake 'zoom'; known: vcita"),
        ([], {"MOCKSERVER_API": "zoom"}, "argument --api (from MOCKSERVER_API): unknown fake 'zoom'"),
        ([], {"MOCKSERVER_PORT": "eighty"}, "argument --port (from MOCKSERVER_PORT): invalid int value: 'eighty'"),
        (["--cors", "localhost:3000"], {}, "argument --cors: not an origin: 'localhost:3000'"),
        (["-q", "-v"], {}, "argument -v/--verbose: not allowed with argument -q/--quiet"),
    ],
)
def test_bad_values_are_one_clear_error_and_exit_2(args: list[str], env: dict[str, str], message: str) -> None:
    result = subprocess.run([*COMMAND, "serve", *args], capture_output=True, text=True, env={**ENV, **env}, timeout=60)
    assert result.returncode == 2
    assert f"mockserver serve: error: {message}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--version"], ["serve", "--version"]])
def test_version(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 0
    assert result.stdout.strip() == f"mockserver {__version__}"
