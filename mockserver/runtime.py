"""What one running set of fakes holds: the vendors, their specs, and the engine keeping their state."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from typing import Any

import jsonschema

from .clock import Clock
from .errors import RATE_LIMITED, Problem
from .faults import FaultStore
from .interface import Call, Vendor
from .journal import DEFAULT_CAP, DEFAULT_MAX_BYTES, Journal
from .ratelimit import Limit, RateLimiter, retry_after_header
from .specs import Routes, UnknownApi, load_spec, operation_ids
from .state.codec import store_from_data
from .state.engine import Engine
from .state.memory import MemoryEngine
from .state.world import CURRENT_WORLD, DEFAULT_SESSION, World, current_session

_LIMIT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "limit": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
        # A millisecond at least (a denormal window overflows the window arithmetic); at most
        # ~317 years, which suites use for "never rolls over".
        "window_seconds": {"type": "number", "minimum": 0.001, "maximum": 10_000_000_000},
    },
}


MIN_JOURNAL_BYTES = 1024


def _non_finite(value: Any, where: str = "") -> str | None:
    """Where a NaN or infinity hides in ``value`` (JSON Schema cannot see them), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "value"
    if isinstance(value, dict):
        for key, child in value.items():
            found = _non_finite(child, f"{where}.{key}" if where else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, child in enumerate(value):
            found = _non_finite(child, f"{where}[{index}]")
            if found:
                return found
    return None


class Runtime:
    """The served vendors, their specs and routes, and the engine that keeps their state.

    One Runtime backs one app; the control plane (in process or over HTTP) drives it. The
    clock, journal, faults, rate limiter and switches belong to a session's
    :class:`~mockserver.state.world.World`: the attributes of the same names answer the world
    in force (the current request's or control-plane call's session), else the default
    session's.
    """

    def __init__(
        self,
        vendors: Iterable[type[Vendor]],
        journal_cap: int = DEFAULT_CAP,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
        engine: Engine | None = None,
    ) -> None:
        self.vendors: dict[str, Vendor] = {}
        self.specs: dict[str, dict[str, Any]] = {}
        self.routes: dict[str, Routes] = {}
        self._default_journal_cap = journal_cap
        self._default_journal_max_bytes = journal_max_bytes
        for vendor_class in vendors:
            vendor = vendor_class()
            spec = load_spec(vendor.spec_file)
            self.vendors[vendor.name] = vendor
            self.specs[vendor.name] = spec
            self.routes[vendor.name] = Routes(spec)
        self.baseline: dict[str, Any] | None = None
        self.engine: Engine = engine if engine is not None else MemoryEngine()
        self.engine.attach(self)
        home = self._home = self.engine.home_world()
        for vendor in self.vendors.values():
            vendor.deployment_secret = self.engine.deployment_secret
            vendor.home = home

    def keep_as_baseline(self) -> None:
        """Make what the default session's stores hold now what a reset returns them to
        (``serve --seed``: the seeded ids and tokens outlive a reset)."""
        self.baseline = self.engine.export_session(DEFAULT_SESSION)["stores"]

    def new_world(self) -> World:
        """An empty world for this runtime's vendors (a new session, or a reset one)."""
        return World(self.vendors, self._default_journal_cap, self._default_journal_max_bytes)

    # -- the world in force --------------------------------------------------------------------
    @property
    def world(self) -> World:
        """The world of the current request or control-plane call, else the default session's."""
        world = CURRENT_WORLD.get()
        if world is not None and world.vendors is self.vendors:
            return world
        return self._home

    @property
    def clock(self) -> Clock:
        """The clock of the world in force."""
        return self.world.clock

    @property
    def journal(self) -> Journal:
        """The journal of the world in force."""
        return self.world.journal

    @property
    def faults(self) -> FaultStore:
        """The faults of the world in force."""
        return self.world.faults

    @property
    def limiter(self) -> RateLimiter:
        """The rate-limit counters of the world in force."""
        return self.world.limiter

    @property
    def rate_limits_enabled(self) -> bool:
        """Whether rate limits are enforced in the world in force."""
        return self.world.rate_limits_enabled

    @property
    def rate_limit_overrides(self) -> dict[str, dict[str, Limit]]:
        """Per-API bucket limits set through the control plane, in the world in force."""
        return self.world.rate_limit_overrides

    # -- lookup -----------------------------------------------------------------------------
    def vendor(self, api: str) -> Vendor:
        """The fake named ``api``; raises :class:`UnknownApi`."""
        try:
            return self.vendors[api]
        except KeyError:
            raise UnknownApi(f"unknown api {api!r}; served: {', '.join(self.vendors)}") from None

    def vendor_for_path(self, path: str) -> Vendor | None:
        """The fake whose prefix ``path`` starts with."""
        # "//vcita/..." is still below vcita's prefix (and answered there, in vcita's envelope).
        first = path.lstrip("/").split("/", 1)[0]
        return self.vendors.get(first)

    def operation_ids(self, api: str) -> list[str]:
        """The operationIds of ``api``'s spec."""
        return operation_ids(self.specs[self.vendor(api).name])

    # -- rate limits ------------------------------------------------------------------------
    def limit_for(self, vendor: Vendor, bucket: str) -> Limit | None:
        """The limit in force for a vendor's bucket (an override, else the vendor default)."""
        return self.world.rate_limit_overrides[vendor.name].get(bucket) or vendor.rate_limits.get(bucket)

    def check_rate_limits(self, vendor: Vendor, call: Call) -> None:
        """Count the call in each of its buckets; raises a 429 Problem when one is exhausted."""
        world = self.world
        if not world.rate_limits_enabled:
            return
        for bucket, key in vendor.rate_limit_keys(call).items():
            limit = self.limit_for(vendor, bucket)
            if limit is not None:
                _raise_if_throttled(world.limiter.hit(vendor.name, bucket, key, limit))

    async def check_rate_limits_async(self, vendor: Vendor, call: Call) -> None:
        """:meth:`check_rate_limits` for the request path, where counters may live in another
        process (the Redis engine counts them there, atomically)."""
        world = self.world
        if not world.rate_limits_enabled:
            return
        for bucket, key in vendor.rate_limit_keys(call).items():
            limit = self.limit_for(vendor, bucket)
            if limit is not None:
                _raise_if_throttled(await world.limiter.hit_async(vendor.name, bucket, key, limit))

    # -- settings ---------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The switches in force."""
        world = self.world
        apis: dict[str, Any] = {}
        for name, vendor in self.vendors.items():
            limits = {
                bucket: {"limit": lim.limit, "window_seconds": lim.window_seconds}
                for bucket in vendor.rate_limits
                if (lim := self.limit_for(vendor, bucket)) is not None
            }
            apis[name] = {**copy.deepcopy(world.settings[name]), "rate_limits": limits}
        return {
            "rate_limits": world.rate_limits_enabled,
            "journal_cap": world.journal.cap,
            "journal_max_bytes": world.journal.max_bytes,
            "apis": apis,
        }

    def update_settings(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial settings document; all of it is checked before any of it applies."""
        bad = _non_finite(patch)
        if bad is not None:
            raise ValueError(f"{bad}: must be a finite number")
        max_bytes = patch.get("journal_max_bytes", MIN_JOURNAL_BYTES)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or not MIN_JOURNAL_BYTES <= max_bytes <= 2**32:
            raise ValueError(f"journal_max_bytes: must be a whole number of bytes from {MIN_JOURNAL_BYTES} to {2**32}")
        api_patches = patch.get("apis") or {}
        for name, api_patch in api_patches.items():
            vendor = self.vendor(name)
            schema = {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    **vendor.settings_schema,
                    "rate_limits": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {bucket: _LIMIT_SCHEMA for bucket in vendor.rate_limits},
                    },
                },
            }
            try:
                jsonschema.validate(api_patch, schema)
            except jsonschema.ValidationError as exc:
                where = ".".join(str(p) for p in exc.absolute_path)
                raise ValueError(f"apis.{name}{'.' + where if where else ''}: {exc.message}") from None
        world = self.world
        with world.lock:
            if "rate_limits" in patch:
                world.rate_limits_enabled = bool(patch["rate_limits"])
            if "journal_cap" in patch:
                world.journal.set_cap(int(patch["journal_cap"]))
            if "journal_max_bytes" in patch:
                world.journal.set_max_bytes(int(patch["journal_max_bytes"]))
            for name, api_patch in api_patches.items():
                vendor = self.vendors[name]
                for bucket, values in (api_patch.get("rate_limits") or {}).items():
                    current = self.limit_for(vendor, bucket)
                    assert current is not None  # buckets were checked against vendor.rate_limits
                    world.rate_limit_overrides[name][bucket] = Limit(
                        int(values.get("limit", current.limit)),
                        float(values.get("window_seconds", current.window_seconds)),
                    )
                world.settings[name].update({k: v for k, v in api_patch.items() if k != "rate_limits"})
        return self.settings()

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything the world in force holds, deep-copied, for :meth:`restore`."""
        world = self.world
        with world.lock:
            return {
                "stores": copy.deepcopy(world.stores),
                "settings": copy.deepcopy(world.settings),
                "rate_limit_overrides": copy.deepcopy(world.rate_limit_overrides),
                "rate_limits_enabled": world.rate_limits_enabled,
                "clock_offset": world.clock.offset,
                "journal": world.journal.snapshot(),
                "journal_max_bytes": world.journal.max_bytes,
                "faults": world.faults.snapshot(),
                "counters": world.limiter.snapshot(),
            }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back exactly what :meth:`snapshot` took."""
        world = self.world
        with world.lock:
            world.stores = copy.deepcopy(snapshot["stores"])
            world.settings = copy.deepcopy(snapshot["settings"])
            world.rate_limit_overrides = copy.deepcopy(snapshot["rate_limit_overrides"])
            world.rate_limits_enabled = snapshot["rate_limits_enabled"]
            world.clock.set_offset(snapshot["clock_offset"])
            world.journal.set_max_bytes(snapshot["journal_max_bytes"])
            world.journal.restore(snapshot["journal"])
            world.faults.restore(snapshot["faults"])
            world.limiter.restore(snapshot["counters"])

    # -- reset ------------------------------------------------------------------------------
    def reset(self, api: str | None = None) -> list[str]:
        """Reset one API (store, journal entries, faults, counters, switches) or everything."""
        names = [self.vendor(api).name] if api is not None else list(self.vendors)
        world = self.world
        with world.lock:
            for name in names:
                world.reset_api(name)
                if self.baseline is not None and current_session() == DEFAULT_SESSION:
                    world.stores[name] = store_from_data(self.vendors[name], self.baseline[name])
            if api is None:
                world.journal.clear()
                world.journal.set_cap(self._default_journal_cap)
                world.journal.set_max_bytes(self._default_journal_max_bytes)
                world.rate_limits_enabled = True
                world.clock.reset()
        return names


def _raise_if_throttled(wait: float | None) -> None:
    if wait is not None:
        raise Problem(
            429,
            RATE_LIMITED,
            f"Request was throttled. Expected available in {retry_after_header(wait)} seconds.",
            headers={"Retry-After": retry_after_header(wait)},
        )
