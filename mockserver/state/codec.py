"""A world as JSON: the small records an engine keeps apart, and the whole export.

Stores are dataclasses of plain fields; pydantic's ``TypeAdapter`` turns them into JSON-ready
data and back (int dictionary keys, nested dataclasses and optional fields included). Fields
whose names start with ``_`` are what a store derives (caches): they are left out and rebuilt by
the vendor's :meth:`~mockserver.interface.Vendor.revive`. An engine keeps a store as records
(:mod:`mockserver.state.records`).
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from ..faults import Fault
from ..ratelimit import Limit
from . import records

if TYPE_CHECKING:
    from ..interface import Vendor
    from .world import World

FORMAT = "mockserver-state/1"
"""What an export's ``format`` says; an import refuses any other."""


@cache
def _adapter(store_class: type) -> TypeAdapter[Any]:
    return TypeAdapter(store_class)


def _derived(store_class: type) -> set[str]:
    return set(records.layout(store_class).derived)


def store_data(vendor: Vendor, store: Any) -> Any:
    """A store as JSON-ready data (for an export)."""
    cls: type = type(store)
    return _adapter(cls).dump_python(store, mode="json", exclude=_derived(cls))


def store_from_data(vendor: Vendor, data: Any) -> Any:
    """The store an export's data describes; raises ``ValueError`` when it does not fit."""
    store = _adapter(vendor.store_class).validate_python(data)
    vendor.revive(store)
    return store


# -- the small records -------------------------------------------------------------------------
def settings_data(world: World) -> dict[str, Any]:
    """Switches, overrides and the journal cap, as one record."""
    return {
        "apis": world.settings,
        "overrides": {
            api: {bucket: [lim.limit, lim.window_seconds] for bucket, lim in buckets.items()}
            for api, buckets in world.rate_limit_overrides.items()
        },
        "rate_limits": world.rate_limits_enabled,
        "journal_cap": world.journal.cap,
        "journal_max_bytes": world.journal.max_bytes,
    }


def apply_settings(world: World, data: dict[str, Any]) -> None:
    """Put a :func:`settings_data` record into ``world``."""
    for api in world.vendors:
        if api in data["apis"]:
            world.settings[api] = data["apis"][api]
        world.rate_limit_overrides[api] = {
            bucket: Limit(int(pair[0]), float(pair[1])) for bucket, pair in data["overrides"].get(api, {}).items()
        }
    world.rate_limits_enabled = bool(data["rate_limits"])
    world.journal.set_cap(int(data["journal_cap"]))
    if "journal_max_bytes" in data:
        world.journal.set_max_bytes(int(data["journal_max_bytes"]))


def faults_data(world: World) -> dict[str, Any]:
    """The active faults and the next fault id."""
    faults, next_id, _ = world.faults.snapshot()
    return {"faults": [dataclasses.asdict(f) for f in faults], "next_id": next_id}


def apply_faults(world: World, data: dict[str, Any]) -> None:
    """Put a :func:`faults_data` record into ``world``."""
    _, _, random_state = world.faults.snapshot()
    world.faults.restore(([Fault(**f) for f in data["faults"]], int(data["next_id"]), random_state))


def dumps(data: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(data, separators=(",", ":")).encode()


# -- the whole world ----------------------------------------------------------------------------
def export_world(world: World) -> dict[str, Any]:
    """Everything ``world`` holds as JSON-ready data, tokens included (an export, never a dump).

    Rate-limit window counters are left out: they are transient by nature (a window rolls over
    on its own) and an engine keeps them apart.
    """
    journal_entries, journal_cap, journal_next = world.journal.snapshot()
    return {
        "format": FORMAT,
        "stores": {api: store_data(vendor, world.stores[api]) for api, vendor in world.vendors.items()},
        "settings": settings_data(world) | {"journal_cap": journal_cap},
        "clock_offset": world.clock.offset,
        "faults": faults_data(world),
        "journal": {"entries": journal_entries, "next_id": journal_next},
    }


def import_world(world: World, data: dict[str, Any]) -> None:
    """Replace ``world``'s state with an :func:`export_world` document.

    Everything is decoded before anything changes, so a document that does not fit raises
    ``ValueError`` and leaves ``world`` as it was.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a state export: 'format' must be {FORMAT!r}")
    try:
        stores = {api: store_from_data(vendor, data["stores"][api]) for api, vendor in world.vendors.items()}
        settings = data["settings"]
        faults = data["faults"]
        journal = data["journal"]
        offset = float(data["clock_offset"])
        scratch = type(world)(world.vendors)
        apply_settings(scratch, settings)
        apply_faults(scratch, faults)
        scratch.journal.restore((list(journal["entries"]), scratch.journal.cap, int(journal["next_id"])))
        scratch.clock.set_offset(offset)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the state export does not fit these fakes: {exc}") from None
    with world.lock:
        world.stores = stores
        world.settings = scratch.settings
        world.rate_limit_overrides = scratch.rate_limit_overrides
        world.rate_limits_enabled = scratch.rate_limits_enabled
        world.faults = scratch.faults
        world.journal.restore(scratch.journal.snapshot())
        world.clock.set_offset(offset)
