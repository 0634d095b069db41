"""Every vendor the tests run over: the registered ones plus the test-only ones in tests/vendors/.

A package in tests/vendors/ that exposes ``VENDOR`` is picked up by the conformance, equivalence
and fuzz tests with no other file changing (the proof that the vendor shape is enough).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from mockserver.interface import Vendor
from mockserver.vendors import ALL_VENDORS

_TEST_VENDORS = Path(__file__).resolve().parent.parent / "vendors"


def test_only_vendors() -> tuple[type[Vendor], ...]:
    """The vendor classes of the packages in tests/vendors/."""
    if str(_TEST_VENDORS) not in sys.path:
        sys.path.insert(0, str(_TEST_VENDORS))
    found = []
    for package in sorted(path.parent for path in _TEST_VENDORS.glob("*/__init__.py")):
        found.append(importlib.import_module(package.name).VENDOR)
    return tuple(found)


def vendor_classes() -> tuple[type[Vendor], ...]:
    """The registered vendors, then the test-only ones."""
    return (*ALL_VENDORS, *test_only_vendors())
