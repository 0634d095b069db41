"""Everything one running set of fakes holds: the vendors' stores and the shared services."""

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
    """The vendors' stores plus the clock, journal, faults, rate limiter and switches.

    One Runtime backs one app; the control plane (in process or over HTTP) drives it.
    """

    def __init__(
        self,
        vendors: Iterable[type[Vendor]],
        journal_cap: int = DEFAULT_CAP,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.clock = Clock()
        self.journal = Journal(journal_cap, journal_max_bytes)
        self.faults = FaultStore()
        self.limiter = RateLimiter(self.clock)
        self.rate_limits_enabled = True
        self.vendors: dict[str, Vendor] = {}
        self.specs: dict[str, dict[str, Any]] = {}
        self.routes: dict[str, Routes] = {}
        self.rate_limit_overrides: dict[str, dict[str, Limit]] = {}
        self._default_journal_cap = journal_cap
        self._default_journal_max_bytes = journal_max_bytes
        for vendor_class in vendors:
            vendor = vendor_class(self.clock)
            spec = load_spec(vendor.spec_file)
            self.vendors[vendor.name] = vendor
            self.specs[vendor.name] = spec
            self.routes[vendor.name] = Routes(spec)
            self.rate_limit_overrides[vendor.name] = {}

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
        return self.rate_limit_overrides[vendor.name].get(bucket) or vendor.rate_limits.get(bucket)

    def check_rate_limits(self, vendor: Vendor, call: Call) -> None:
        """Count the call in each of its buckets; raises a 429 Problem when one is exhausted."""
        if not self.rate_limits_enabled:
            return
        for bucket, key in vendor.rate_limit_keys(call).items():
            limit = self.limit_for(vendor, bucket)
            if limit is None:
                continue
            wait = self.limiter.hit(vendor.name, bucket, key, limit)
            if wait is not None:
                raise Problem(
                    429,
                    RATE_LIMITED,
                    f"Request was throttled. Expected available in {retry_after_header(wait)} seconds.",
                    headers={"Retry-After": retry_after_header(wait)},
                )

    # -- settings ---------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The switches in force."""
        apis: dict[str, Any] = {}
        for name, vendor in self.vendors.items():
            limits = {
                bucket: {"limit": lim.limit, "window_seconds": lim.window_seconds}
                for bucket in vendor.rate_limits
                if (lim := self.limit_for(vendor, bucket)) is not None
            }
            apis[name] = {**copy.deepcopy(vendor.settings), "rate_limits": limits}
        return {
            "rate_limits": self.rate_limits_enabled,
            "journal_cap": self.journal.cap,
            "journal_max_bytes": self.journal.max_bytes,
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
        if "rate_limits" in patch:
            self.rate_limits_enabled = bool(patch["rate_limits"])
        if "journal_cap" in patch:
            self.journal.set_cap(int(patch["journal_cap"]))
        if "journal_max_bytes" in patch:
            self.journal.set_max_bytes(int(patch["journal_max_bytes"]))
        for name, api_patch in api_patches.items():
            vendor = self.vendors[name]
            for bucket, values in (api_patch.get("rate_limits") or {}).items():
                current = self.limit_for(vendor, bucket)
                assert current is not None  # buckets were checked against vendor.rate_limits
                self.rate_limit_overrides[name][bucket] = Limit(
                    int(values.get("limit", current.limit)),
                    float(values.get("window_seconds", current.window_seconds)),
                )
            with vendor.lock:
                vendor.settings.update({k: v for k, v in api_patch.items() if k != "rate_limits"})
        return self.settings()

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything the runtime holds, deep-copied, for :meth:`restore`."""
        return {
            "stores": {name: vendor.snapshot() for name, vendor in self.vendors.items()},
            "settings": {name: copy.deepcopy(vendor.settings) for name, vendor in self.vendors.items()},
            "rate_limit_overrides": copy.deepcopy(self.rate_limit_overrides),
            "rate_limits_enabled": self.rate_limits_enabled,
            "clock_offset": self.clock.offset,
            "journal": self.journal.snapshot(),
            "journal_max_bytes": self.journal.max_bytes,
            "faults": self.faults.snapshot(),
            "counters": self.limiter.snapshot(),
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back exactly what :meth:`snapshot` took."""
        for name, vendor in self.vendors.items():
            vendor.restore(snapshot["stores"][name])
            with vendor.lock:
                vendor.settings = copy.deepcopy(snapshot["settings"][name])
        self.rate_limit_overrides = copy.deepcopy(snapshot["rate_limit_overrides"])
        self.rate_limits_enabled = snapshot["rate_limits_enabled"]
        self.clock.set_offset(snapshot["clock_offset"])
        self.journal.set_max_bytes(snapshot["journal_max_bytes"])
        self.journal.restore(snapshot["journal"])
        self.faults.restore(snapshot["faults"])
        self.limiter.restore(snapshot["counters"])

    # -- reset ------------------------------------------------------------------------------
    def reset(self, api: str | None = None) -> list[str]:
        """Reset one API (store, journal entries, faults, counters, switches) or everything."""
        names = [self.vendor(api).name] if api is not None else list(self.vendors)
        for name in names:
            self.vendors[name].reset()
            self.rate_limit_overrides[name] = {}
            self.journal.clear(name)
            self.faults.clear(name)
            self.limiter.reset(name)
        if api is None:
            self.journal.clear()
            self.journal.set_cap(self._default_journal_cap)
            self.journal.set_max_bytes(self._default_journal_max_bytes)
            self.rate_limits_enabled = True
            self.clock.reset()
        return names
