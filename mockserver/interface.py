"""What every vendor fake provides, and the small data types handlers work with.

A vendor fake is one :class:`Vendor` subclass plus a spec in ``specs/``. Generic machinery
(dispatch, validation, auth plumbing, journal, faults, rate limits, the control plane) calls the
hooks below and never looks inside a vendor's store.
"""

from __future__ import annotations

import copy
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from .clock import Clock
from .errors import Problem, VendorError
from .ratelimit import Limit
from .state.world import CURRENT_WORLD, World


@dataclass
class Call:
    """One request as a vendor handler sees it, after auth and validation passed."""

    api: str
    operation_id: str
    path: str  # the request path as received, prefix included (/calcom/v2/calendars)
    body: Any
    params: dict[str, Any]
    headers: Mapping[str, str]
    auth: dict[str, Any] | None
    base_url: str  # the fake's own base URL for this API, e.g. http://127.0.0.1:8080/vcita
    now: float


@dataclass
class Reply:
    """A handler's answer."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """One parameter of a provider state, shown by ``GET /__admin/states``."""

    type: str  # a JSON Schema type name
    required: bool = False
    default: Any = None
    description: str = ""
    enum: tuple[Any, ...] | None = None
    nullable: bool = False

    def schema(self) -> dict[str, Any]:
        """The JSON Schema that checks a value of this parameter."""
        types: list[str] = [self.type] + (["null"] if self.nullable else [])
        schema: dict[str, Any] = {"type": types if len(types) > 1 else self.type}
        if self.enum is not None:
            schema["enum"] = list(self.enum) + ([None] if self.nullable else [])
        return schema


@dataclass(frozen=True)
class ProviderState:
    """A named, parameterised set-up step (Pact's provider state) that a vendor offers."""

    name: str
    description: str
    params: dict[str, Param]
    apply: Callable[[dict[str, Any]], dict[str, Any]]


Handler = Callable[[Any, Call], Reply]
_H = TypeVar("_H", bound=Handler)


class HandlerTable(dict[str, Handler]):
    """A vendor's handlers by operationId, filled by decorating each handler with the operations
    it serves (so the table and the functions cannot drift apart)::

        OPERATIONS = HandlerTable()

        @OPERATIONS.serves("disconnectExternalCalendar")
        def disconnect(vendor, call): ...
    """

    def serves(self, *operation_ids: str) -> Callable[[_H], _H]:
        """Register the decorated function as the handler of ``operation_ids``."""

        def register(function: _H) -> _H:
            for operation_id in operation_ids:
                if operation_id in self:
                    raise ValueError(f"{operation_id} already has a handler")
                self[operation_id] = function
            return function

        return register


class Vendor(ABC):
    """Base class of a vendor fake.

    Subclasses set the class attributes and implement the abstract hooks. State lives in
    ``self.store`` (built by :meth:`new_store`), which is the store of the session the current
    request or control-plane call belongs to (a :class:`~mockserver.state.world.World`); every
    handler runs while ``self.lock`` is held, so handlers need no locking of their own. A store
    must survive a JSON round trip (a dataclass of plain fields) so an engine can keep it
    outside the process; what it derives it rebuilds in ``restored()`` (:meth:`revive`).
    """

    name: ClassVar[str]
    """The API's name; also its URL prefix (``/<name>``)."""
    title: ClassVar[str] = ""
    """The vendor API as people know it (``mockserver --help`` lists it)."""
    spec_file: ClassVar[str]
    """The OpenAPI file in ``specs/``."""
    handlers: ClassVar[Mapping[str, Handler]]
    """operationId -> handler(vendor, call) (a :class:`HandlerTable`)."""
    store_class: ClassVar[type]
    """What :meth:`new_store` builds (the vendor's store class)."""
    rate_limits: ClassVar[Mapping[str, Limit]] = {}
    """Default limits per bucket; :meth:`rate_limit_keys` says which buckets a call counts in."""
    default_settings: ClassVar[Mapping[str, Any]] = {}
    """This API's switches (besides rate limits) and their defaults."""
    settings_schema: ClassVar[Mapping[str, Any]] = {}
    """JSON Schema ``properties`` for the switches in :attr:`default_settings`."""
    token_kinds: ClassVar[tuple[str, ...]] = ()
    """The ``kind`` values :meth:`mint_token` accepts."""
    json_without_content_type: ClassVar[bool] = False
    """Whether the vendor's framework parses a body sent without ``Content-Type`` as JSON
    (FastAPI does); otherwise such a body is answered like any non-JSON body."""

    def __init__(self, clock: Clock | None = None) -> None:
        # A per-process secret the server replaces with its engine's (so keys derived from it,
        # like a signing key, are the same in every worker and after a restart).
        self.deployment_secret: bytes = secrets.token_bytes(32)
        # The world used outside any request or control-plane call (a vendor made on its own
        # gets one of its own; a Runtime gives its vendors its default session's).
        self.home: World = World({self.name: self})
        if clock is not None:
            self.home.clock = clock

    def _world(self) -> World:
        world = CURRENT_WORLD.get()
        if world is None or world.vendors.get(self.name) is not self:
            return self.home
        return world

    # -- state -------------------------------------------------------------------------------
    @property
    def store(self) -> Any:
        """This fake's store in the world in force (the request's session)."""
        return self._world().stores[self.name]

    @store.setter
    def store(self, value: Any) -> None:
        self._world().stores[self.name] = value

    @property
    def settings(self) -> dict[str, Any]:
        """This fake's switches in the world in force."""
        return self._world().settings[self.name]

    @property
    def clock(self) -> Clock:
        """The clock of the world in force."""
        return self._world().clock

    @property
    def lock(self) -> threading.RLock:
        """The lock of the world in force; handlers run under it."""
        return self._world().lock

    def new_store(self) -> Any:
        """A fresh, empty store: :attr:`store_class` called with no arguments."""
        return self.store_class()

    def dump(self) -> dict[str, Any]:
        """The store as JSON-ready data (``GET /__admin/state``); stores provide ``dump()``."""
        return self.store.dump()

    def reset(self) -> None:
        """Empty the store and restore default settings."""
        with self.lock:
            world = self._world()
            world.stores[self.name] = self.new_store()
            world.settings[self.name] = copy.deepcopy(dict(self.default_settings))

    def snapshot(self) -> Any:
        """A deep copy of the store, for :meth:`restore`."""
        with self.lock:
            return copy.deepcopy(self.store)

    def restore(self, snapshot: Any) -> None:
        """Put back a store taken with :meth:`snapshot`."""
        with self.lock:
            self.store = copy.deepcopy(snapshot)

    def revive(self, store: Any) -> None:
        """Rebuild what ``store`` derives (indexes, the issued-secret registry) after it was
        decoded from JSON (another worker's, or a saved state). Stores offer ``restored()``."""
        restored = getattr(store, "restored", None)
        if restored is not None:
            restored()

    # -- HTTP hooks --------------------------------------------------------------------------
    @abstractmethod
    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        """Check a credential for an operation.

        Args:
            scheme: the security scheme type that found it (``bearer``, ``apikey``, ``basic``).
            credential: the token or key as sent (without the ``Bearer`` prefix for bearer).
            headers: the request headers.
            operation_id: the operation being called.

        Returns:
            The token info handed to the handler as ``call.auth``. Every refusal raises
            :class:`VendorError` with the vendor's own status and body.
        """

    @abstractmethod
    def render(self, problem: Problem, path: str) -> VendorError:
        """Turn a vendor-neutral problem into this vendor's error response.

        ``problem.status`` is the generic suggestion; a vendor may answer another status for a
        kind (Ravan answers body validation with 400, vcita with 422). ``path`` is the request
        path, prefix included, for envelopes that echo it.
        """

    def rate_limit_keys(self, call: Call) -> dict[str, str]:
        """The rate-limit buckets this call counts in, with the key within each bucket."""
        return {}

    def response_headers(self) -> dict[str, str]:
        """Headers every response under this API's prefix carries."""
        return {}

    # -- control plane hooks -------------------------------------------------------------------
    @property
    def provider_states(self) -> Mapping[str, ProviderState]:
        """The named provider states this fake offers."""
        return {}

    def mint_token(self, kind: str, params: dict[str, Any], expired: bool) -> str:
        """A credential of ``kind`` for the ids in ``params`` (already expired if asked)."""
        raise Problem(400, "invalid_parameter", f"{self.name} mints no tokens")
