"""The performance layer: Connexion's own request handling with the per-operation work done once.

Everything here answers exactly as Connexion's ``AsyncApp`` with its default middlewares does
(``tests/integration/test_fastpath_equivalence.py`` replays the same requests through both and
fails when any stage differs); ``mockserver serve --no-fast-path`` serves through Connexion's own
stack instead. README.md beside this file lists every Connexion internal it relies on.
"""

from __future__ import annotations

from typing import Any

from connexion import AsyncApp

from .app import BundledSpecification, PreparedAsyncApp, middlewares
from .security import SECURITY_MAP
from .validation import validator_map

__all__ = ["BundledSpecification", "PreparedAsyncApp", "fast_async_app"]


def fast_async_app(import_name: str, **options: Any) -> AsyncApp:
    """An ``AsyncApp`` serving through the prepared operations, validators and checks."""
    return PreparedAsyncApp(
        import_name,
        middlewares=middlewares(),
        validator_map=validator_map(),
        security_map=SECURITY_MAP,
        **options,
    )
