"""The control plane's Python interface: one :class:`Admin` protocol, two implementations.

:class:`InProcessAdmin` drives a :class:`~mockserver.runtime.Runtime` directly (pytest fixtures);
:class:`HttpAdmin` drives a running ``mockserver serve`` through ``/__admin`` (CLI, CI, other
processes). Both have the same methods and answer the same data.
"""

from ..errors import AdminError
from .http import HttpAdmin
from .local import InProcessAdmin
from .protocol import Admin

__all__ = ["Admin", "AdminError", "HttpAdmin", "InProcessAdmin"]
