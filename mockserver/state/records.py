"""A vendor store as records: one per entry of each dictionary field, one per other field.

An engine that keeps state outside the process (Redis) stores a store this way, so that a
request reads and writes a few records instead of the whole store, and two requests that touch
different entries never wait for each other. Records are named ``e:<api>:<field>:<key as JSON>``
(an entry of a dictionary field) and ``e:<api>:<field>`` (any other field, whole).

Reads are found by tracking: a decoded store's dictionary fields are :class:`TrackedDict`, which
note each key looked up (present or not) while a :class:`Tracker` is on, and note the whole field
when it is iterated or counted. A request's writes are found among what it read: handlers change
entities in place, so every record a request read is encoded again at its end and compared with
the bytes it was decoded from (:func:`touched`). Entities must therefore be reached through the
dictionary fields only; fields whose names start with ``_`` are caches the store derives (left
out of the records, reset and rebuilt when records arrive from elsewhere).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

if TYPE_CHECKING:
    from ..interface import Vendor

ENTRY = "e:"
"""The prefix of every store record's name in an engine."""


class Tracker:
    """What one request read of a store: entries (field, key) and whole fields."""

    __slots__ = ("on", "reads", "whole")

    def __init__(self) -> None:
        self.on = False
        self.reads: set[tuple[str, Any]] = set()
        self.whole: set[str] = set()

    def start(self) -> None:
        """Forget what was read and track from now on."""
        self.reads.clear()
        self.whole.clear()
        self.on = True

    def stop(self) -> None:
        """Stop tracking (what was read is kept until the next :meth:`start`)."""
        self.on = False


class TrackedDict(dict[Any, Any]):
    """A dictionary field of a decoded store that tells its :class:`Tracker` what was read.

    Every way of reaching a value by key counts as reading that key; iterating, counting or
    copying counts as reading the whole field (any entry, present or to come, may matter).
    Writes count as reads: what a request wrote is found by encoding what it read.
    """

    __slots__ = ("_field", "_tracker")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._field = ""
        self._tracker: Tracker | None = None

    def bind(self, field: str, tracker: Tracker) -> TrackedDict:
        """Report reads of this field to ``tracker``."""
        self._field = field
        self._tracker = tracker
        return self

    def _key(self, key: Any) -> None:
        tracker = self._tracker
        if tracker is not None and tracker.on:
            tracker.reads.add((self._field, key))

    def _all(self) -> None:
        tracker = self._tracker
        if tracker is not None and tracker.on:
            tracker.whole.add(self._field)

    def __getitem__(self, key: Any) -> Any:
        self._key(key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._key(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._key(key)
        return dict.__contains__(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._key(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._key(key)
        dict.__delitem__(self, key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._key(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._key(key)
        return dict.setdefault(self, key, default)

    def popitem(self) -> tuple[Any, Any]:
        self._all()
        return dict.popitem(self)

    def clear(self) -> None:
        self._all()
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._all()
        dict.update(self, *args, **kwargs)

    def keys(self) -> Any:
        self._all()
        return dict.keys(self)

    def values(self) -> Any:
        self._all()
        return dict.values(self)

    def items(self) -> Any:
        self._all()
        return dict.items(self)

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._all()
        return dict.__len__(self)

    def __bool__(self) -> bool:
        self._all()
        return dict.__len__(self) > 0

    def copy(self) -> dict[Any, Any]:
        self._all()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._all()
        return dict.__eq__(self, other)

    __hash__ = None

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A copy (copy.deepcopy, pickle) is a plain dictionary: it reports to no tracker.
        return (dict, (dict(dict.items(self)),))


@dataclasses.dataclass(frozen=True)
class _DictField:
    key: TypeAdapter[Any]
    value: TypeAdapter[Any]


@dataclasses.dataclass(frozen=True)
class Layout:
    """How one store class splits into records."""

    entries: dict[str, _DictField]
    """Dictionary fields: one record per key."""
    wholes: dict[str, TypeAdapter[Any]]
    """Other fields: one record each."""
    derived: dict[str, Callable[[], Any]]
    """Fields the store derives (``_`` names), with what makes their empty value."""


@cache
def layout(store_class: type) -> Layout:
    """The records of ``store_class`` (a dataclass; raises ``TypeError`` otherwise)."""
    if not dataclasses.is_dataclass(store_class):
        raise TypeError(f"{store_class.__name__} is not a dataclass: it cannot be kept outside the process")
    hints = typing.get_type_hints(store_class)
    entries: dict[str, _DictField] = {}
    wholes: dict[str, TypeAdapter[Any]] = {}
    derived: dict[str, Callable[[], Any]] = {}
    for field in dataclasses.fields(store_class):
        hint = hints[field.name]
        if field.name.startswith("_"):
            derived[field.name] = _empty_value(field)
        elif typing.get_origin(hint) is dict:
            key_type, value_type = typing.get_args(hint)
            entries[field.name] = _DictField(TypeAdapter(key_type), TypeAdapter(value_type))
        else:
            wholes[field.name] = TypeAdapter(hint)
    return Layout(entries, wholes, derived)


def _shape(store: Any) -> Layout:
    cls: type = type(store)
    return layout(cls)


def _empty_value(field: dataclasses.Field[Any]) -> Callable[[], Any]:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory
    default = field.default
    return lambda: default


def entry_name(api: str, field: str, key: Any = None, *, whole: bool = False) -> str:
    """The record name of one entry (or of a whole field)."""
    if whole:
        return f"{ENTRY}{api}:{field}"
    return f"{ENTRY}{api}:{field}:{json.dumps(key, separators=(',', ':'))}"


def field_name(api: str, field: str) -> str:
    """The name a field's last change is kept under (``fseq:<this>`` in an engine)."""
    return f"{api}:{field}"


def split(api: str, store: Any) -> dict[str, bytes]:
    """Every record of ``store``: name -> JSON bytes (empty dictionary fields have none)."""
    shape = _shape(store)
    records: dict[str, bytes] = {}
    for name, adapters in shape.entries.items():
        value_adapter = adapters.value
        for key, value in dict.items(getattr(store, name)):
            records[entry_name(api, name, key)] = value_adapter.dump_json(value)
    for name, adapter in shape.wholes.items():
        records[entry_name(api, name, whole=True)] = adapter.dump_json(getattr(store, name))
    return records


def assemble(vendor: Vendor, records: dict[str, bytes], tracker: Tracker | None) -> Any:
    """The store ``records`` (this API's only, as :func:`split` names them) hold, its dictionary
    fields tracked by ``tracker`` (plain dictionaries when None), derived fields rebuilt.

    An API with no records at all is a new store (:meth:`Vendor.new_store`)."""
    api = vendor.name
    store = vendor.new_store()
    shape = _shape(store)
    prefix = f"{ENTRY}{api}:"
    fields: dict[str, dict[Any, Any]] = {name: {} for name in shape.entries}
    for name, raw in records.items():
        if not name.startswith(prefix):
            continue
        field, _, key = name[len(prefix) :].partition(":")
        if field in shape.entries and key:
            adapters = shape.entries[field]
            fields[field][adapters.key.validate_python(json.loads(key))] = adapters.value.validate_json(raw)
        elif field in shape.wholes and not key:
            setattr(store, field, shape.wholes[field].validate_json(raw))
    if any(name.startswith(prefix) for name in records):
        for field, values in fields.items():
            setattr(store, field, values)
    if tracker is not None:
        for field in shape.entries:
            setattr(store, field, TrackedDict(getattr(store, field)).bind(field, tracker))
    vendor.revive(store)
    return store


def touched(api: str, store: Any, tracker: Tracker, baseline: dict[str, bytes]) -> dict[str, bytes | None]:
    """What a request that read what ``tracker`` says changed: record name -> new bytes (None:
    removed). Records it read are encoded again and compared with ``baseline``; whole fields
    are compared always (they are small by design)."""
    shape = _shape(store)
    changed: dict[str, bytes | None] = {}
    for field in tracker.whole:
        adapters = shape.entries[field]
        current = getattr(store, field)
        prefix = entry_name(api, field, whole=True) + ":"
        for key, value in dict.items(current):
            name = entry_name(api, field, key)
            encoded = adapters.value.dump_json(value)
            if baseline.get(name) != encoded:
                changed[name] = encoded
        for name in [n for n in baseline if n.startswith(prefix)]:
            key = adapters.key.validate_python(json.loads(name[len(prefix) :]))
            if not dict.__contains__(current, key):
                changed[name] = None
    for field, key in tracker.reads:
        if field in tracker.whole:
            continue
        name = entry_name(api, field, key)
        current = getattr(store, field)
        if dict.__contains__(current, key):
            encoded = shape.entries[field].value.dump_json(dict.__getitem__(current, key))
            if baseline.get(name) != encoded:
                changed[name] = encoded
        elif name in baseline:
            changed[name] = None
    for field, adapter in shape.wholes.items():
        name = entry_name(api, field, whole=True)
        encoded = adapter.dump_json(getattr(store, field))
        if baseline.get(name) != encoded:
            changed[name] = encoded
    return changed


def read_names(api: str, tracker: Tracker) -> tuple[list[str], list[str]]:
    """The record names a request read one by one, and the fields it read whole."""
    entries = [entry_name(api, field, key) for field, key in tracker.reads if field not in tracker.whole]
    return entries, [field_name(api, field) for field in tracker.whole]


def whole_names(api: str, store: Any) -> list[str]:
    """The records of ``store``'s fields that are kept whole (every request reads them)."""
    return [entry_name(api, field, whole=True) for field in _shape(store).wholes]


def put(vendor: Vendor, store: Any, name: str, raw: bytes | None) -> tuple[str, Any] | None:
    """Set one record of ``store`` from its bytes (None: remove it) without tracking; answers the
    (field, key) of an entry that now holds a value, else None."""
    shape = _shape(store)
    prefix = f"{ENTRY}{vendor.name}:"
    field, _, key_text = name[len(prefix) :].partition(":")
    if field in shape.wholes and not key_text:
        value = getattr(vendor.new_store(), field) if raw is None else shape.wholes[field].validate_json(raw)
        setattr(store, field, value)
        return None
    adapters = shape.entries[field]
    key = adapters.key.validate_python(json.loads(key_text))
    target = getattr(store, field)
    if raw is None:
        dict.pop(target, key, None)
        return None
    dict.__setitem__(target, key, adapters.value.validate_json(raw))
    return field, key


def refreshed(vendor: Vendor, store: Any, arrived: Iterable[tuple[str, Any]]) -> None:
    """After records arrived from elsewhere: caches reset, and secrets of the entries now held
    registered (``restored_entry`` when the store has it, else the whole ``restored()``)."""
    shape = _shape(store)
    for name, empty in shape.derived.items():
        setattr(store, name, empty())
    per_entry = getattr(store, "restored_entry", None)
    if per_entry is None:
        vendor.revive(store)
        return
    for field, key in arrived:
        per_entry(field, key, dict.__getitem__(getattr(store, field), key))
