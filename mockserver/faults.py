"""Faults injected per operation through the control plane: latency and forced error statuses."""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any, TypedDict, Unpack


class FaultOptions(TypedDict, total=False):
    """What a fault does: a forced error status, a delay, or both; for the next ``times`` calls
    (every call without it), and for a ``ratio`` of them (all by default)."""

    status: int | None
    delay_ms: int
    times: int | None
    ratio: float


FAULT_OPTIONS = tuple(FaultOptions.__annotations__)
"""The option names, as the control plane's JSON carries them."""


@dataclass
class Fault:
    """One injected fault on ``api``'s ``operation_id``."""

    id: int
    api: str
    operation_id: str
    status: int | None = None
    delay_ms: int = 0
    times: int | None = None  # remaining calls it applies to; None = every call
    ratio: float = 1.0
    hits: int = 0

    def to_dict(self) -> dict[str, object]:
        """The fault as the control plane shows it."""
        return asdict(self)


_FaultList = list[Fault]


class FaultStore:
    """Active faults; :meth:`take` decides, per call, which fault (if any) applies."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(self, api: str, operation_id: str, **options: Unpack[FaultOptions]) -> Fault:
        """Register a fault; the newest fault on an operation wins."""
        with self._lock:
            fault = Fault(self._next_id, api, operation_id, **options)
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def take(self, api: str, operation_id: str) -> Fault | None:
        """The fault that applies to this call, counting it against ``times``."""
        with self._lock:
            for fault in reversed(self._faults):
                if fault.api != api or fault.operation_id != operation_id:
                    continue
                if fault.ratio < 1.0 and self._random.random() >= fault.ratio:
                    return None
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        """The active faults, oldest first."""
        with self._lock:
            return list(self._faults)

    def clear(self, api: str | None = None) -> int:
        """Remove faults (all, or one API's); answers how many were removed."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if api is not None and f.api != api]
            return before - len(self._faults)

    def snapshot(self) -> tuple[_FaultList, int, object]:
        """Everything it holds (faults, next id, the ratio draws' state), for :meth:`restore`."""
        with self._lock:
            return copy.deepcopy(self._faults), self._next_id, self._random.getstate()

    def restore(self, snapshot: tuple[_FaultList, int, Any]) -> None:
        """Put back what :meth:`snapshot` took."""
        faults, next_id, random_state = snapshot
        with self._lock:
            self._faults = copy.deepcopy(faults)
            self._next_id = next_id
            self._random.setstate(random_state)
