"""Where the bundled OpenAPI specs live, from a checkout and from an installed wheel."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (its wheels are): the pure-Python loader took
# most of the start-up time, and both build the same documents (tests/unit/test_specs_valid.py).
SpecLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PACKAGE_DIR = Path(__file__).resolve().parent


def spec_dir() -> Path:
    """The folder holding the specs: ``mockserver/specs`` in a wheel, ``specs/`` in a checkout."""
    for candidate in (_PACKAGE_DIR / "specs", _PACKAGE_DIR.parent / "specs"):
        if (candidate / "admin.yaml").is_file():
            return candidate
    raise FileNotFoundError("mockserver's bundled specs were not found next to the package")


@functools.cache
def _load(name: str) -> dict[str, Any]:
    with open(spec_dir() / name, encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=SpecLoader)
    if not isinstance(loaded, dict):
        raise ValueError(f"{name} is not an OpenAPI document")
    return loaded


def load_spec(name: str) -> dict[str, Any]:
    """A fresh copy of the spec ``name`` (e.g. ``vcita.yaml``), safe to modify."""
    return copy.deepcopy(_load(name))


def spec_path(name: str) -> Path:
    """The file path of a bundled spec."""
    return spec_dir() / name
