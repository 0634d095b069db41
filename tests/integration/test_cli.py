"""``mockserver serve`` as a user runs it: a real process on loopback."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.serve import free_port, run, serve, wait_healthy


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    port = free_port()
    process, lines = serve("--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(process, base)
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
    second = run("serve", "--port", port)
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
    process, lines = serve("--port", str(port), "--seed", str(seed))
    try:
        seeded = [line for line in lines if line.startswith("seeded vcita/calendar_sync: ")]
        assert len(seeded) == 1
        data = json.loads(seeded[0].split(": ", 1)[1])
        base = f"http://127.0.0.1:{port}"
        wait_healthy(process, base)
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
    result = run("serve", "--port", str(free_port()), "--seed", str(seed))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_documents_serve() -> None:
    top = run("--help")
    assert top.returncode == 0 and "serve" in top.stdout and "/__admin" in top.stdout
    serve_help = run("serve", "--help")
    for flag in ("--host", "--port", "--seed", "--validate-responses", "seed file", "exit codes"):
        assert flag in serve_help.stdout


def test_the_help_lists_every_registered_fake_by_prefix_and_title() -> None:
    from mockserver.cli import build_parser
    from mockserver.vendors import ALL_VENDORS

    shown = build_parser().format_help()
    for vendor in ALL_VENDORS:
        assert f"/{vendor.name}" in shown and vendor.title in shown, vendor.name
