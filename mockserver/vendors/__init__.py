"""The vendor fakes, one package each; ``ALL_VENDORS`` is what ``mockserver serve`` serves.

Every package has the same modules with the same roles (ARCHITECTURE.md, "Adding a vendor"):
``__init__`` (the :class:`~mockserver.interface.Vendor` subclass, exported as ``VENDOR``),
``auth``, ``store``, ``handlers`` (a :class:`~mockserver.interface.HandlerTable` filled by
decorators), ``envelope`` and ``states``; its fuzz set-up is in its spec.
"""

from __future__ import annotations

from ..interface import Vendor
from . import calcom, ravan, recall, vcita
from .calcom import CalcomVendor
from .ravan import RavanVendor
from .recall import RecallVendor
from .vcita import VcitaVendor

ALL_VENDORS: tuple[type[Vendor], ...] = tuple(package.VENDOR for package in (vcita, recall, calcom, ravan))

__all__ = ["ALL_VENDORS", "CalcomVendor", "RavanVendor", "RecallVendor", "VcitaVendor"]
