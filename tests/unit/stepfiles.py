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


def step_file(tmp_path: Path, steps: list[dict], api: str = "vcita", **extra: object) -> Path:
    """A new step file of ``api`` with ``steps`` and other top-level keys."""
    name = f"f{len(list(tmp_path.glob('f*.yaml')))}.yaml"
    return write(tmp_path, name, json.dumps({"api": api, **extra, "steps": steps}))


def disconnect_step(**changes: object) -> dict[str, object]:
    """vcita's disconnect as a step, with ``changes`` applied."""
    step: dict[str, object] = {
        "id": "disconnect",
        "method": "PUT",
        "path": DISCONNECT,
        "token": "staff",
        "body": {"staff_uid": "{{staff_uid}}", "calendar_sync": {"provider": "google_v3", "account": "a@b.c"}},
        "expect": {"status": 200, "schema": False},
    }
    step.update(changes)
    return step
