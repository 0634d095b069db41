"""A vcita fake with one planted bug, for the tests that prove a contract catches what breaks the spec."""

from __future__ import annotations

from mockserver.interface import Call, HandlerTable, Reply
from mockserver.vendors.vcita import VcitaVendor
from mockserver.vendors.vcita import handlers as vcita_handlers


def disconnect_with_bug(vendor: VcitaVendor, call: Call) -> Reply:
    """vcita's disconnect, answering ``enabled`` as a string."""
    reply = vcita_handlers.disconnect(vendor, call)
    reply.body["data"]["enabled"] = "no"  # Planted bug: a string where the spec says boolean.
    return reply


class PlantedBugVcita(VcitaVendor):
    """vcita whose disconnect breaks its own spec."""

    handlers = HandlerTable({**VcitaVendor.handlers, "disconnectExternalCalendar": disconnect_with_bug})
