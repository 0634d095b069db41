"""Seed files: read and shape-checked, then applied through the control plane in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.asgi import tiny_vendor

from mockserver.admin import InProcessAdmin
from mockserver.runtime import Runtime
from mockserver.seeding import SeedError, apply_seed, load_seed


def _seed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_seed_file_is_read_as_written(tmp_path: Path) -> None:
    path = _seed(
        tmp_path,
        "settings: {rate_limits: false}\nstates:\n  - {api: tiny, state: note, params: {text: first}}\n",
    )
    assert load_seed(path) == {
        "settings": {"rate_limits": False},
        "states": [{"api": "tiny", "state": "note", "params": {"text": "first"}}],
    }
    assert load_seed(_seed(tmp_path, "")) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping with 'states' and/or 'settings'"),
        ("states: []\nextra: 1", "expected a mapping with 'states' and/or 'settings'"),
        ("states: {api: tiny}", "'states' must be a list"),
        ("states: [{api: tiny}]", "states[0] needs 'api' and 'state'"),
        ("states: [{api: tiny, state: note}, 7]", "states[1] needs 'api' and 'state'"),
        ("states: [unclosed", "seed.yaml"),
    ],
)
def test_a_malformed_seed_file_is_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SeedError) as raised:
        load_seed(_seed(tmp_path, text))
    assert message in str(raised.value)
    assert str(tmp_path / "seed.yaml") in str(raised.value)


def test_a_missing_seed_file_is_a_seed_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match=r"missing\.yaml"):
        load_seed(tmp_path / "missing.yaml")


@pytest.fixture
def admin() -> InProcessAdmin:
    return InProcessAdmin(Runtime([tiny_vendor()]))


def test_settings_then_states_are_applied_in_order(admin: InProcessAdmin) -> None:
    document = {
        "settings": {"apis": {"tiny": {"shout": True}}},
        "states": [
            {"api": "tiny", "state": "note", "params": {"text": "first"}},
            {"api": "tiny", "state": "note"},
        ],
    }
    applied = apply_seed(admin, document)
    assert [(a["api"], a["state"], a["data"]["note_id"]) for a in applied] == [
        ("tiny", "note", "n1"),
        ("tiny", "note", "n2"),
    ]
    assert all(a["data"]["tokens"]["token"].startswith("tiny_") for a in applied)
    assert admin.settings()["apis"]["tiny"]["shout"] is True
    notes = admin.state("tiny")["tiny"]["notes"]
    assert [(n["id"], n["text"]) for n in notes] == [("n1", "first"), ("n2", "hello")]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"states": [{"api": "nope", "state": "note"}]}, "boot.yaml: unknown api 'nope'"),
        ({"states": [{"api": "tiny", "state": "nope"}]}, "boot.yaml: tiny has no provider state 'nope'"),
        ({"states": [{"api": "tiny", "state": "note", "params": {"text": 5}}]}, "boot.yaml: tiny/note: text"),
        ({"settings": {"apis": {"tiny": {"shout": "loud"}}}}, "boot.yaml: apis.tiny.shout"),
    ],
)
def test_a_refused_entry_is_a_seed_error_naming_the_source(
    admin: InProcessAdmin, document: dict[str, object], message: str
) -> None:
    with pytest.raises(SeedError) as raised:
        apply_seed(admin, document, source="boot.yaml")
    assert str(raised.value).startswith(message)
