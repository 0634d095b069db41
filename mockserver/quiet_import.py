"""Connexion, imported without the deprecation warnings its own imports raise.

Connexion 3.3 imports ``starlette.testclient`` (which warns under Starlette 1.x that httpx should
be replaced by httpx2) and jsonschema's deprecated ``RefResolver`` names when it is first imported.
Those warnings are about connexion's dependencies, not about a user's code, yet in a suite run
with ``-W error`` they turn every test that starts the fakes into an error. The fixtures and the
harness import connexion through :func:`import_connexion` first: just those warnings are ignored,
just for that import, and later imports find the modules loaded and raise nothing.
"""

from __future__ import annotations

import sys
import warnings

_STARLETTE_TESTCLIENT = r"Using `httpx` with `starlette\.testclient` is deprecated"


def import_connexion() -> None:
    """Import connexion (and the test client it imports) once, without their import-time deprecation warnings."""
    if "connexion" in sys.modules and "starlette.testclient" in sys.modules:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_STARLETTE_TESTCLIENT)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import connexion  # noqa: F401
        import starlette.testclient  # noqa: F401
