"""Where the contract suites that ship with mockserver are: inside the package in a wheel, beside it in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
TARGETS_FILE = "targets.yaml"


def contracts_dir() -> Path:
    """The bundled suites' folder: ``mockserver/contracts`` in a wheel, ``contracts/`` in a checkout."""
    for candidate in (_PACKAGE_DIR / "contracts", _PACKAGE_DIR.parent / "contracts"):
        if (candidate / TARGETS_FILE).is_file():
            return candidate
    raise FileNotFoundError("mockserver's bundled contract suites were not found next to the package")


def targets_file() -> Path:
    """The bundled suites' ``targets.yaml`` (``fake``, ``local``, ``production`` and the vcita defaults)."""
    return contracts_dir() / TARGETS_FILE
