"""Faithful, stateful fakes of four calendar-disconnect APIs, their control plane and contract suites.

The public API is what ``__all__`` lists; everything else may change between releases. Names are
imported on first use, so ``import mockserver`` (which pytest does for the fixtures plugin) stays
cheap in a project that never touches them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # serving
    "FakesApp": "mockserver.app",
    "build_app": "mockserver.app",
    "ServerThread": "mockserver.server",
    # driving the fakes
    "Admin": "mockserver.admin",
    "AdminError": "mockserver.errors",
    "HttpAdmin": "mockserver.admin",
    "InProcessAdmin": "mockserver.admin",
    # writing a vendor fake
    "Call": "mockserver.interface",
    "Param": "mockserver.interface",
    "Problem": "mockserver.errors",
    "ProviderState": "mockserver.interface",
    "Reply": "mockserver.interface",
    "Vendor": "mockserver.interface",
    "VendorError": "mockserver.errors",
    "ALL_VENDORS": "mockserver.vendors",
}

__all__ = [
    "ALL_VENDORS",
    "Admin",
    "AdminError",
    "Call",
    "FakesApp",
    "HttpAdmin",
    "InProcessAdmin",
    "Param",
    "Problem",
    "ProviderState",
    "Reply",
    "ServerThread",
    "Vendor",
    "VendorError",
    "__version__",
    "build_app",
]

if TYPE_CHECKING:
    from .admin import Admin, HttpAdmin, InProcessAdmin
    from .app import FakesApp, build_app
    from .errors import AdminError, Problem, VendorError
    from .interface import Call, Param, ProviderState, Reply, Vendor
    from .server import ServerThread
    from .vendors import ALL_VENDORS


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
