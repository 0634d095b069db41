"""``mockserver serve`` as a user runs it: a real process on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 20) -> list[str]:
    """Lines printed by the server up to (and including) the first one containing ``marker``."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(
        f"server never printed {marker!r}; got {lines}, stderr={process.stderr.read() if process.stderr else ''}"
    )


def wait_healthy(base: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/__admin/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server never became healthy")


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    port = free_port()
    process = start("--port", str(port))
    try:
        lines = read_until(process, "/__admin")
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        yield process, base, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_serve_prints_every_base_url_and_stops_cleanly_on_ctrl_c(
    served: tuple[subprocess.Popen[str], str, list[str]],
) -> None:
    process, base, lines = served
    urls = dict(line.split() for line in lines)
    assert urls["admin"] == f"{base}/__admin"
    assert urls["vcita"] == f"{base}/vcita"
    assert httpx.get(f"{base}/__admin/health").json()["status"] == "ok"
    process.send_signal(signal.SIGINT)
    assert process.wait(15) == 0
    assert "Traceback" not in (process.stderr.read() if process.stderr else "")


def test_port_in_use_is_one_line_and_exit_2(served: tuple[subprocess.Popen[str], str, list[str]]) -> None:
    _, base, _ = served
    port = base.rsplit(":", 1)[1]
    second = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", port],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"mockserver: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_seed_file_applies_provider_states_at_start(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "settings: {rate_limits: false}\n"
        "states:\n"
        "  - api: vcita\n"
        "    state: calendar_sync\n"
        "    params: {provider: outlook_v1.0, account: me@example.com}\n",
        encoding="utf-8",
    )
    port = free_port()
    process = start("--port", str(port), "--seed", str(seed))
    try:
        lines = read_until(process, "/__admin")
        seeded = [line for line in lines if line.startswith("seeded vcita/calendar_sync: ")]
        assert len(seeded) == 1
        data = json.loads(seeded[0].split(": ", 1)[1])
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        state = httpx.get(f"{base}/__admin/state", params={"api": "vcita"}).json()["vcita"]
        assert [(s["uid"], s["provider"], s["account"]) for s in state["calendar_syncs"]] == [
            (data["calendar_sync_uid"], "outlook_v1.0", "me@example.com")
        ]
        assert httpx.get(f"{base}/__admin/settings").json()["rate_limits"] is False
        response = httpx.put(
            f"{base}/vcita/business/scheduling/v1/external_calendar_items/disconnect",
            json={
                "staff_uid": data["staff_uid"],
                "calendar_sync": {"provider": "outlook_v1.0", "account": "me@example.com"},
            },
            headers={"Authorization": f"Bearer {data['tokens']['staff']}"},
        )
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(15) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("states: [{api: vcita, state: nope}]", "vcita has no provider state 'nope'"),
        ("states: [{api: vcita}]", "states[0] needs 'api' and 'state'"),
        ("states: {api: vcita}", "'states' must be a list"),
        ("[unclosed", "seed.yaml"),
    ],
)
def test_bad_seed_file_exits_2_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), "--seed", str(seed)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_documents_serve() -> None:
    top = subprocess.run(
        [sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert top.returncode == 0 and "serve" in top.stdout and "/__admin" in top.stdout
    serve = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--help"], capture_output=True, text=True, env=ENV, timeout=60
    )
    for flag in ("--host", "--port", "--seed", "--validate-responses", "seed file", "exit codes"):
        assert flag in serve.stdout
