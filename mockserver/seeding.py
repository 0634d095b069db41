"""Applying a YAML seed file of provider states and settings (``mockserver serve --seed``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .admin import Admin
from .errors import AdminError


class SeedError(ValueError):
    """The seed file is unreadable or names something the fakes do not know."""


def load_seed(path: Path) -> dict[str, Any]:
    """Read and shape-check a seed file.

    The file holds ``states:`` (a list of ``{api, state, params}``, applied in order) and an
    optional ``settings:`` document for ``PATCH /__admin/settings``.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: {exc}") from None
    if not isinstance(document, dict) or not set(document) <= {"states", "settings"}:
        raise SeedError(f"{path}: expected a mapping with 'states' and/or 'settings'")
    states = document.get("states") or []
    if not isinstance(states, list):
        raise SeedError(f"{path}: 'states' must be a list")
    for index, entry in enumerate(states):
        if not isinstance(entry, dict) or "api" not in entry or "state" not in entry:
            raise SeedError(f"{path}: states[{index}] needs 'api' and 'state'")
    return document


def apply_seed(admin: Admin, document: dict[str, Any], source: str = "seed") -> list[dict[str, Any]]:
    """Apply a loaded seed document; answers one ``{api, state, data}`` per applied state."""
    applied = []
    try:
        if document.get("settings"):
            admin.update_settings(document["settings"])
        for entry in document.get("states") or []:
            data = admin.apply_state(entry["api"], entry["state"], entry.get("params") or {})
            applied.append({"api": entry["api"], "state": entry["state"], "data": data})
    except AdminError as exc:
        raise SeedError(f"{source}: {exc.message}") from None
    return applied
