"""The README's reference tables say what the code does: provider states and the Python Admin methods."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from mockserver.admin import Admin, InProcessAdmin
from mockserver.app import build_app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
NAME = re.compile(r"`([^`]+)`")


def _state_rows() -> dict[tuple[str, str], list[str]]:
    table = README.split("<!-- provider-states", 1)[1].split("<!-- /provider-states -->", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("API", "---"):
            continue
        rows[(cells[0], NAME.findall(cells[1])[0])] = cells[2:]
    return rows


ROWS = _state_rows()


@pytest.fixture(scope="module")
def admin() -> InProcessAdmin:
    return build_app().admin


def test_the_table_lists_every_registered_provider_state(admin: InProcessAdmin) -> None:
    registered = {(entry["api"], entry["state"]) for entry in admin.provider_states()}
    assert set(ROWS) == registered


@pytest.mark.parametrize(("api", "state"), sorted(ROWS))
def test_a_states_row_names_its_parameters_what_it_answers_and_its_tokens(
    admin: InProcessAdmin, api: str, state: str
) -> None:
    parameters, answers, tokens = ROWS[(api, state)]
    (entry,) = [e for e in admin.provider_states(api) if e["state"] == state]

    assert set(NAME.findall(parameters)) == set(entry["params"])
    for name, param in entry["params"].items():
        if param.get("default") is not None:
            assert json.dumps(param["default"]).strip('"') in parameters, f"{name}'s default"
    result = admin.apply_state(api, state, {})
    assert set(NAME.findall(answers)) == set(result) - {"tokens"}
    assert set(NAME.findall(tokens)) == set(result.get("tokens", {}))


def test_the_admin_table_lists_every_method_of_the_protocol() -> None:
    methods = [name for name, _ in inspect.getmembers(Admin, inspect.isfunction) if not name.startswith("_")]
    assert len(methods) > 10
    missing = [name for name in methods if f"| `{name}(" not in README]
    assert missing == []
