"""``mockserver``'s public API: exactly what ``__all__`` promises, each name importable, loaded lazily."""

from __future__ import annotations

import subprocess
import sys

import mockserver

PROMISED_NAMES = """
    ALL_VENDORS Admin AdminError Call FakesApp HttpAdmin InProcessAdmin Param Problem ProviderState
    Reply ServerThread Vendor VendorError __version__ build_app
"""
PROMISED = set(PROMISED_NAMES.split())


def test_all_lists_the_promised_names() -> None:
    assert set(mockserver.__all__) == PROMISED
    assert len(mockserver.__all__) == len(PROMISED)


def test_every_public_name_resolves_to_the_object_of_its_module() -> None:
    from mockserver.admin import HttpAdmin
    from mockserver.app import build_app
    from mockserver.interface import Vendor

    for name in mockserver.__all__:
        assert getattr(mockserver, name) is not None, name
    assert mockserver.build_app is build_app
    assert mockserver.Vendor is Vendor
    assert mockserver.HttpAdmin is HttpAdmin


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        mockserver.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("mockserver.no_such_name resolved")


def test_importing_the_package_loads_no_web_framework() -> None:
    code = "import sys, mockserver; print('connexion' in sys.modules, 'starlette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
