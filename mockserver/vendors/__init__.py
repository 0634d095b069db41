"""The vendor fakes, one package each. ``ALL_VENDORS`` is what ``mockserver serve`` serves."""

from __future__ import annotations

from ..vendor import Vendor
from .vcita import VcitaVendor

ALL_VENDORS: tuple[type[Vendor], ...] = (VcitaVendor,)

__all__ = ["ALL_VENDORS", "VcitaVendor"]
