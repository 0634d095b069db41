"""Writing step files for the harness tests."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "contracts" / "targets.yaml"
DISCONNECT = "/business/scheduling/v1/external_calendar_items/disconnect"


def write(tmp_path: Path, name: str, text: str) -> Path:
    """``text`` written to ``tmp_path / name``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def step_text(steps: list[dict], api: str = "vcita", **extra: object) -> str:
    """The text of a step file of ``api`` with ``steps`` and other top-level keys (JSON, which is YAML)."""
    return json.dumps({"api": api, **extra, "steps": steps})


def step_file(tmp_path: Path, steps: list[dict], api: str = "vcita", **extra: object) -> Path:
    """A new step file of ``api`` with ``steps`` and other top-level keys."""
    name = f"f{len(list(tmp_path.glob('f*.yaml')))}.yaml"
    return write(tmp_path, name, step_text(steps, api, **extra))


def disconnect_step(account: str = "a@b.c", **changes: object) -> dict[str, object]:
    """vcita's disconnect as a step for the staff member's calendar on ``account``, with ``changes`` applied."""
    step: dict[str, object] = {
        "id": "disconnect",
        "method": "PUT",
        "path": DISCONNECT,
        "token": "staff",
        "body": {"staff_uid": "{{staff_uid}}", "calendar_sync": {"provider": "google_v3", "account": account}},
        "expect": {"status": 200, "schema": False},
    }
    step.update(changes)
    return step
