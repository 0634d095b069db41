"""State that survives with the memory engine: export/import, ``--state-file``, ``--seed`` as the
reset point."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import httpx
import pytest
from support import serve as served
from support.vcita import action

from mockserver.admin import InProcessAdmin
from mockserver.errors import AdminError

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process, lines = served.serve("--port", "0", *args)
    admin = next(line for line in lines if line.startswith("admin"))
    return process, admin.split()[1].removesuffix("/__admin")


def test_export_and_import_put_back_one_exact_snapshot(fake_admin: InProcessAdmin) -> None:
    fake_admin.apply_state("vcita", "calendar_sync", {"account": "qa@example.com"})
    fake_admin.apply_state("calcom", "user", {})
    fake_admin.apply_state("recall", "calendar_user", {})
    fake_admin.apply_state("ravan", "agent", {"private_key": True})
    fake_admin.add_fault("vcita", "disconnectExternalCalendar", status=503, times=2)
    fake_admin.update_settings({"apis": {"vcita": {"error_envelope": "success_false"}}})
    fake_admin.advance_clock(90)
    exported = fake_admin.export_state()
    assert json.loads(json.dumps(exported)) == exported  # plain JSON
    fake_admin.reset()
    assert fake_admin.export_state() != exported
    fake_admin.import_state(exported)
    again = fake_admin.export_state()
    assert again == exported


def test_an_export_carries_tokens_and_a_dump_does_not(fake_admin: InProcessAdmin) -> None:
    made = fake_admin.apply_state("vcita", "calendar_sync", {})
    token = made["tokens"]["staff"]
    assert token in json.dumps(fake_admin.export_state())
    assert token not in json.dumps(fake_admin.state())


@pytest.mark.parametrize(
    "document",
    [{}, {"format": "something else"}, {"format": "mockserver-state/1"}, {"format": "mockserver-state/1", "stores": 5}],
)
def test_a_bad_import_is_400_and_changes_nothing(fake_admin: InProcessAdmin, document: dict[str, object]) -> None:
    fake_admin.apply_state("vcita", "calendar_sync", {})
    before = fake_admin.export_state()
    with pytest.raises(AdminError) as refused:
        fake_admin.import_state(document)
    assert refused.value.status == 400 and refused.value.code == "invalid_state"
    assert fake_admin.export_state() == before


def test_import_over_http_refuses_a_non_export_in_the_control_plane_envelope(fake_server: object) -> None:
    base = fake_server.base_url  # type: ignore[attr-defined]
    answer = httpx.put(f"{base}/__admin/state", json={"format": "nope"})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {"code": "invalid_state", "message": "not a state export: 'format' must be 'mockserver-state/1'"}
    }


def test_save_without_a_state_file_is_409(fake_admin: InProcessAdmin) -> None:
    with pytest.raises(AdminError) as refused:
        fake_admin.save_state()
    assert (refused.value.status, refused.value.code) == (409, "no_state_file")


def test_the_state_file_is_saved_on_shutdown_and_loaded_at_start(tmp_path: Path) -> None:
    path = tmp_path / "fakes.json"
    process, base = _start("--state-file", str(path))
    synced = httpx.post(f"{base}/__admin/states", json={"api": "vcita", "state": "calendar_sync"}).json()["data"]
    assert not path.exists()
    _, stderr = served.stop(process)
    assert f"saved the state to {path}" in stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # it holds every token
    assert [p.name for p in tmp_path.iterdir()] == ["fakes.json"]  # no temporary file left
    process, base = _start("--state-file", str(path))
    try:
        headers = {"Authorization": f"Bearer {synced['tokens']['staff']}"}
        answer = httpx.put(f"{base}{ITEMS}/connect", json=action(synced["staff_uid"]), headers=headers)
        assert answer.status_code == 200, answer.text
    finally:
        served.stop(process)


def test_save_now_writes_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "fakes.json"
    path.write_text(json.dumps({"format": "mockserver-state/1", "stores": {}}))  # not loadable: refused
    result = served.run("serve", "--port", "0", "--state-file", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"mockserver: cannot load {path}: ")
    assert len(result.stderr.strip().splitlines()) == 1
    path.unlink()
    process, base = _start("--state-file", str(path))
    try:
        httpx.post(f"{base}/__admin/states", json={"api": "recall", "state": "calendar_user"})
        saved = httpx.post(f"{base}/__admin/state/save")
        assert saved.status_code == 200 and saved.json() == {"saved": str(path)}
        assert json.loads(path.read_text())["stores"]["recall"]["users"]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        session = httpx.post(f"{base}/__admin/sessions", json={}).json()["id"]
        in_session = httpx.post(f"{base}/s/{session}/__admin/state/save")
        assert in_session.status_code == 409
    finally:
        served.stop(process)


def test_a_state_file_is_for_the_memory_engine() -> None:
    result = served.run("serve", "--port", "0", "--state", "redis://127.0.0.1:1/0", "--state-file", "x.json")
    assert result.returncode == 2
    assert "--state-file is for --state memory" in result.stderr


def test_a_bad_state_value_is_one_line_and_exit_2() -> None:
    result = served.run("serve", "--port", "0", "--state", "postgres://db")
    assert result.returncode == 2
    assert result.stderr.strip() == "mockserver: --state must be 'memory' or a redis:// URL, not 'postgres://db'"


def test_a_reset_returns_to_the_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("states:\n  - api: vcita\n    state: calendar_sync\n")
    process, lines = served.serve("--port", "0", "--seed", str(seed))
    base = next(line for line in lines if line.startswith("admin")).split()[1].removesuffix("/__admin")
    seeded = json.loads(next(line for line in lines if line.startswith("seeded")).split(": ", 1)[1])
    try:
        headers = {"Authorization": f"Bearer {seeded['tokens']['staff']}"}
        body = action(seeded["staff_uid"])
        assert httpx.put(f"{base}{ITEMS}/disconnect", json=body, headers=headers).status_code == 200
        assert httpx.post(f"{base}/__admin/reset").status_code == 200
        # back to the seeded sync, whose token still works: disconnect succeeds again
        assert httpx.put(f"{base}{ITEMS}/disconnect", json=body, headers=headers).status_code == 200
    finally:
        served.stop(process)


@pytest.mark.parametrize("body", [b'{"format": ', b'{"format": 5}', b'"mockserver-state/1"', b""])
def test_a_malformed_import_is_400_and_changes_nothing(fake_server: object, body: bytes) -> None:
    base = fake_server.base_url  # type: ignore[attr-defined]
    httpx.post(f"{base}/__admin/states", json={"api": "vcita", "state": "calendar_sync"})
    before = httpx.get(f"{base}/__admin/state", params={"format": "export"}).json()
    answer = httpx.put(f"{base}/__admin/state", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"error"}
    after = httpx.get(f"{base}/__admin/state", params={"format": "export"}).json()
    before.pop("journal")  # the refused request itself is journaled
    after.pop("journal")
    assert after == before
