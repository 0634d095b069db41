"""The vendor fakes, one package each. ``ALL_VENDORS`` is what ``mockserver serve`` serves."""

from __future__ import annotations

from ..interface import Vendor
from .calcom import CalcomVendor
from .ravan import RavanVendor
from .recall import RecallVendor
from .vcita import VcitaVendor

ALL_VENDORS: tuple[type[Vendor], ...] = (VcitaVendor, RecallVendor, CalcomVendor, RavanVendor)

__all__ = ["ALL_VENDORS", "CalcomVendor", "RavanVendor", "RecallVendor", "VcitaVendor"]
