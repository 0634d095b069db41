"""The Redis engine: every session's world in Redis, shared by every worker and host.

A request reads the records it needs in one round trip (a Lua script that also counts the
session as used), runs against a world built from them, and commits what it changed with one
generic Lua script that first checks the versions of everything it read; when another process
committed first, nothing is written and the request runs again on fresh data (at most
:data:`MAX_ATTEMPTS` times). Rate-limit counters are separate keys counted atomically on the
spot; the journal is a capped stream appended by the commit.

Vendor requests use redis-py's asyncio client (they run on the event loop); control-plane
calls, which Connexion runs in its thread pool, and the pytest fixtures use the blocking one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import random
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from redis.exceptions import RedisError

from ..journal import Journal
from ..journal_query import entry_size, materialized
from ..ratelimit import Limit, RateLimiter
from . import codec
from .engine import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_SESSION_TTL,
    Engine,
    EngineUnavailable,
    SessionInfo,
    T,
    TooManySessions,
    UnknownSession,
)
from .redis_scripts import COMMIT, HIT, LOAD
from .world import DEFAULT_SESSION, World

log = logging.getLogger("mockserver.state")

MAX_ATTEMPTS = 64
"""How often a transaction runs again after losing a race before it gives up (503). Writers to
one fake in one session serialise (a store is one record), so a burst of N writers needs up to
N runs for the last of them; between runs a writer waits a little, at random (:func:`backoff`)."""


def backoff(attempt: int) -> float:
    """Seconds to wait before run ``attempt + 1``: random, growing, at most 20 ms."""
    return random.uniform(0, min(0.02, 0.0005 * 2**attempt))


DEFAULT_NAMESPACE = "mockserver"
_SMALL_FIELDS = ("settings", "clock", "faults")
_KEPT_STORES = 256
"""Decoded stores a process keeps (see :meth:`RedisEngine.load`): one per fake and session in use."""


def split_namespace(url: str) -> tuple[str, str]:
    """The Redis URL without a ``namespace=`` query parameter, and that namespace (the prefix of
    every key; servers with different namespaces on one Redis are separate fakes)."""
    parts = urlsplit(url)
    query = [pair for pair in parts.query.split("&") if pair]
    namespace = DEFAULT_NAMESPACE
    kept = []
    for pair in query:
        name, _, value = pair.partition("=")
        if name == "namespace" and value:
            namespace = value
        else:
            kept.append(pair)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment)), namespace


def redacted_url(url: str) -> str:
    """``url`` without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class Loaded:
    """A world built from Redis for one transaction, and what it was built from."""

    session: str
    world: World
    apis: list[str]
    versions: dict[str, str]
    baseline: dict[str, bytes] = field(default_factory=dict)
    written: dict[str, bytes] = field(default_factory=dict)
    cache_key: tuple[int, str, str] | None = None


class RedisJournal(Journal):
    """A session's journal in a Redis stream: appends go out with the commit, reads go to Redis."""

    def __init__(self, engine: RedisEngine, session: str, cap: int) -> None:
        super().__init__(cap)
        self._engine = engine
        self._session = session
        self._cap = cap
        self.pending: list[tuple[int | None, dict[str, Any]]] = []
        self.ops: list[tuple[str, str]] = []

    @property
    def cap(self) -> int:
        return self._cap

    def set_cap(self, cap: int) -> None:
        self._cap = cap

    def set_max_bytes(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes  # the commit script trims the stream to it

    def record(self, entry: dict[str, Any]) -> None:
        self.pending.append((None, materialized(entry)))

    def _stored(self) -> list[dict[str, Any]]:
        """Every stored entry, oldest first (a blocking read: control-plane calls only)."""
        rows = self._engine.sync_call(lambda r: r.xrange(self._engine.keys(self._session)[1], "-", "+"))
        return [_entry(fields) for _, fields in rows]

    def clear(self, api: str | None = None) -> int:
        items = self._stored()
        if api is None:
            self.ops.append(("clear", ""))
            return len(items)
        self.ops.append(("clear_api", api))
        return sum(1 for e in items if e["api"] == api)

    def __len__(self) -> int:
        return int(self._engine.sync_call(lambda r: r.xlen(self._engine.keys(self._session)[1])))

    def snapshot(self) -> tuple[list[dict[str, Any]], int, int]:
        items = self._stored()
        next_id = self._engine.sync_call(lambda r: r.hget(self._engine.keys(self._session)[0], "jnext"))
        return items, self._cap, int(next_id or 0) + 1

    def restore(self, snapshot: tuple[list[dict[str, Any]], int, int]) -> None:
        entries, cap, next_id = snapshot
        self._cap = cap
        self.ops = [("clear", ""), ("next_id", str(next_id))]
        self.pending = [
            (int(e["id"]) if "id" in e else None, {k: v for k, v in e.items() if k != "id"}) for e in entries
        ]


def _entry(fields: dict[bytes, bytes]) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(fields[b"e"])
    entry["id"] = int(fields[b"id"])
    return entry


class RedisLimiter(RateLimiter):
    """Fixed windows on the session's fake clock, counted in Redis keys that expire on their own.

    A reset moves the API's counter generation (``rle:<api>``), so the old keys are never read
    again and Redis reclaims them when they expire.
    """

    def __init__(self, engine: RedisEngine, session: str, world: World, generations: dict[str, int]) -> None:
        super().__init__(world.clock)
        self._engine = engine
        self._session = session
        self.generations = generations

    def _key(self, api: str, bucket: str, key: str, limit: Limit, now: float) -> tuple[str, float]:
        window_start = math.floor(now / limit.window_seconds) * limit.window_seconds
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]  # a token never appears in a key name
        name = f"{self._engine.tag(self._session)}:rl:{api}:{self.generations.get(api, 0)}:{bucket}:{digest}:{window_start!r}"
        return name, window_start

    @staticmethod
    def _ttl_ms(limit: Limit) -> int:
        # The window plus a minute, at most thirty days: a "never rolls over" window of centuries
        # still holds for any test run.
        return int(min(limit.window_seconds + 60, 30 * 86400) * 1000)

    def hit(self, api: str, bucket: str, key: str, limit: Limit) -> float | None:
        now = self._clock.now()
        name, window_start = self._key(api, bucket, key, limit, now)
        answer = self._engine.sync_call(
            lambda r: self._engine.sync_scripts["hit"](keys=[name], args=[limit.limit, self._ttl_ms(limit)], client=r)
        )
        return None if int(answer) < 0 else max(window_start + limit.window_seconds - now, 0.001)

    async def hit_async(self, api: str, bucket: str, key: str, limit: Limit) -> float | None:
        now = self._clock.now()
        name, window_start = self._key(api, bucket, key, limit, now)
        client, scripts = self._engine.async_client()
        try:
            answer = await scripts["hit"](keys=[name], args=[limit.limit, self._ttl_ms(limit)], client=client)
        except (RedisError, OSError) as exc:
            raise self._engine.unavailable(exc) from None
        return None if int(answer) < 0 else max(window_start + limit.window_seconds - now, 0.001)

    def reset(self, api: str | None = None) -> None:
        for name in [api] if api is not None else list(self.generations):
            self.generations[name] = self.generations.get(name, 0) + 1

    def snapshot(self) -> list[tuple[tuple[str, str, str], tuple[float, int]]]:
        return []  # window counters are not part of a snapshot (they roll over on their own)

    def restore(self, snapshot: list[tuple[tuple[str, str, str], tuple[float, int]]]) -> None:
        pass


class RedisEngine(Engine):
    """Worlds kept in Redis (``--state redis://HOST:PORT/DB``); see the module docstring."""

    name = "redis"
    transactional = True

    def __init__(
        self, url: str, session_ttl: float = DEFAULT_SESSION_TTL, max_sessions: int = DEFAULT_MAX_SESSIONS
    ) -> None:
        super().__init__(session_ttl, max_sessions)
        url, self.namespace = split_namespace(url)
        self.url = url
        self.shown_url = redacted_url(url)
        options = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
        # Typed Any: redis-py annotates every blocking call as "Awaitable | result".
        self._sync: Any = redis.Redis.from_url(url, **options)
        self._options = options
        self.sync_scripts = {name: self._sync.register_script(text) for name, text in _SCRIPTS.items()}
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._stores: OrderedDict[tuple[int, str, str], tuple[str, Any, bytes]] = OrderedDict()
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock]
        ] = weakref.WeakKeyDictionary()
        self._down = False
        self._down_lock = threading.Lock()
        try:
            self._sync.ping()
            secret = secrets.token_hex(32)
            self._sync.set(f"{self.namespace}:deployment-secret", secret, nx=True)
            stored: Any = self._sync.get(f"{self.namespace}:deployment-secret")
        except (RedisError, OSError) as exc:
            raise EngineUnavailable(f"cannot reach Redis at {self.shown_url}: {exc}") from None
        self.deployment_secret = bytes.fromhex(stored.decode())
        self._home: World | None = None

    # -- plumbing ---------------------------------------------------------------------------------
    def tag(self, session: str) -> str:
        """The key prefix of one session (its hash tag keeps its keys in one Cluster slot)."""
        return f"{self.namespace}:{{{session}}}"

    def keys(self, session: str) -> tuple[str, str, str]:
        """The session's world hash, journal stream and info hash."""
        tag = self.tag(session)
        return f"{tag}:w", f"{tag}:j", f"{tag}:info"

    def async_client(self) -> tuple[Any, dict[str, Any]]:
        """The asyncio client of the running event loop (a connection belongs to one loop)."""
        loop = asyncio.get_running_loop()
        found = self._async.get(loop)
        if found is None:
            client = redis.asyncio.Redis.from_url(self.url, **self._options)  # type: ignore[arg-type]
            found = (client, {name: client.register_script(text) for name, text in _SCRIPTS.items()})
            self._async[loop] = found
        return found

    def unavailable(self, exc: BaseException) -> EngineUnavailable:
        """The error for a lost Redis, logged once per incident."""
        with self._down_lock:
            if not self._down:
                self._down = True
                log.error("state store unreachable (%s): answering 503 until it is back: %s", self.shown_url, exc)
        return EngineUnavailable(f"the fake's state store ({self.shown_url}) is unreachable")

    def _up(self) -> None:
        if self._down:
            with self._down_lock:
                if self._down:
                    self._down = False
                    log.warning("state store reachable again (%s)", self.shown_url)

    def sync_call(self, work: Callable[[Any], T]) -> T:
        """``work`` on the blocking client; a lost connection becomes :class:`EngineUnavailable`."""
        try:
            result = work(self._sync)
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        self._up()
        return result

    def _run_script(self, name: str, keys: list[str], args: list[Any], client: Any) -> Any:
        return self.sync_scripts[name](keys=keys, args=args, client=client)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        found = self._async.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()

    def home_world(self) -> World:
        # Nothing should read state outside a transaction with this engine; a private empty
        # world keeps such a read harmless.
        if self._home is None:
            assert self.runtime is not None
            self._home = self.runtime.new_world()
        return self._home

    # -- building a world from records ------------------------------------------------------------
    def _build(
        self, session: str, apis: Iterable[str], values: dict[str, bytes | None], kept: dict[str, Any] | None = None
    ) -> Loaded:
        assert self.runtime is not None
        vendors = self.runtime.vendors
        world = World(vendors, stores=False)
        apis = list(apis)
        generations: dict[str, int] = {}
        for api in apis:
            if kept is not None and api in kept:
                world.stores[api] = kept[api]
            else:
                world.stores[api] = codec.decode_store(vendors[api], values.get(f"store:{api}"))
            generations[api] = int(values.get(f"rle:{api}") or 0)
        settings = values.get("settings")
        journal = RedisJournal(self, session, world.journal.cap)
        journal.set_max_bytes(world.journal.max_bytes)
        world.journal = journal
        if settings is not None:
            codec.apply_settings(world, json.loads(settings))
        clock = values.get("clock")
        if clock is not None:
            world.clock.set_offset(float(clock))
        faults = values.get("faults")
        if faults is not None:
            codec.apply_faults(world, json.loads(faults))
        world.limiter = RedisLimiter(self, session, world, generations)
        versions = {
            name: (values.get(f"v:{name}") or b"0").decode()
            for name in [*(f"store:{api}" for api in apis), *_SMALL_FIELDS, *(f"rle:{api}" for api in apis)]
        }
        loaded = Loaded(session, world, apis, versions)
        loaded.baseline = self._records(loaded, stores=False)
        for api in apis:
            # A store is compared with what Redis held (encoding is deterministic, so a store
            # decoded and encoded again gives the same bytes). A store made here for the first
            # time is written with this transaction, so every process goes on with the same one
            # (a new store draws random keys).
            loaded.baseline[f"store:{api}"] = values.get(f"store:{api}") or b""
        return loaded

    def _records(self, loaded: Loaded, *, stores: bool = True) -> dict[str, bytes]:
        """Every record of ``loaded``'s world as it would be written (the stores left out when
        ``stores`` is false)."""
        world = loaded.world
        vendors = world.vendors
        records = (
            {f"store:{api}": codec.encode_store(vendors[api], world.stores[api]) for api in loaded.apis}
            if stores
            else {}
        )
        records["settings"] = codec.dumps(codec.settings_data(world))
        records["clock"] = repr(world.clock.offset).encode()
        records["faults"] = codec.dumps(codec.faults_data(world))
        limiter = world.limiter
        assert isinstance(limiter, RedisLimiter)
        for api in loaded.apis:
            records[f"rle:{api}"] = str(limiter.generations.get(api, 0)).encode()
        return records

    def _commit_args(self, loaded: Loaded) -> list[Any] | None:
        """The commit script's arguments, or None when the transaction changed nothing at all."""
        now = self._records(loaded)
        writes = {name: value for name, value in now.items() if loaded.baseline.get(name) != value}
        loaded.written = writes
        journal = loaded.world.journal
        assert isinstance(journal, RedisJournal)
        if not writes and not journal.pending and not journal.ops:
            return None
        args: list[Any] = []
        # A transaction that writes nothing reads from one consistent snapshot (HMGET is
        # atomic): only a writing one must prove that what it read is still current.
        checks = loaded.versions if writes else {}
        args.append(len(checks))
        for name, version in checks.items():
            args += [name, version]
        args.append(len(writes))
        for name, value in writes.items():
            args += [name, value]
        args.append(journal.cap)
        args.append(journal.max_bytes)
        args.append(len(journal.ops))
        for op, arg in journal.ops:
            args += [op, arg]
        args.append(len(journal.pending))
        for given_id, entry in journal.pending:
            args += [entry["api"], "" if given_id is None else given_id, codec.dumps(entry), entry_size(entry)]
        return args

    # -- vendor requests (event loop) ---------------------------------------------------------------
    async def load(self, session: str, api: str) -> Loaded:
        """The world for one request on ``api``; raises :class:`UnknownSession`, :class:`EngineUnavailable`.

        The store is the costly part (decoding grows with what it holds), so this process keeps
        the one it last committed or read, with its version: while Redis still has that
        version, the store is neither fetched nor decoded again. Requests on one fake of one
        session take turns in a process (:meth:`local_lock`), so the kept store is never used
        by two at once; one whose commit fails is dropped.
        """
        cache_key = (id(asyncio.get_running_loop()), session, api)
        cached = self._stores.pop(cache_key, None)
        fields = [f"v:store:{api}", f"rle:{api}", f"v:rle:{api}"]
        for name in _SMALL_FIELDS:
            fields += [name, f"v:{name}"]
        if cached is None:
            fields.append(f"store:{api}")
        client, scripts = self.async_client()
        w, j, info = self.keys(session)
        named = session != DEFAULT_SESSION
        try:
            values = await scripts["load"](
                keys=[w, j, info if named else w],
                args=["1" if named else "0", int(time.time() * 1000), *fields],
                client=client,
            )
            if values is None:
                raise UnknownSession(session)
            found = dict(zip(fields, values, strict=True))
            version = (found[f"v:store:{api}"] or b"0").decode()
            reuse = cached is not None and cached[0] == version
            if cached is not None and not reuse:
                # Changed by another process: read it (and its version) again. A writer whose
                # other records moved meanwhile fails its commit's check and runs again.
                raw, again = await client.hmget(w, [f"store:{api}", f"v:store:{api}"])
                found[f"store:{api}"], found[f"v:store:{api}"] = raw, again
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        self._up()
        if reuse:
            assert cached is not None
            found[f"store:{api}"] = cached[2]
            loaded = self._build(session, [api], found, kept={api: cached[1]})
        else:
            loaded = self._build(session, [api], found)
        loaded.cache_key = cache_key
        return loaded

    async def commit(self, loaded: Loaded) -> bool:
        """Write what the request changed; False when it lost a race (run it again)."""
        args = self._commit_args(loaded)
        if args is None:
            self._keep(loaded)
            return True
        client, scripts = self.async_client()
        try:
            done = await scripts["commit"](keys=self._commit_keys(loaded.session), args=args, client=client)
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        if int(done) < 0:
            raise UnknownSession(loaded.session)
        if done:
            self._keep(loaded)
        return bool(done)

    def _keep(self, loaded: Loaded) -> None:
        """Remember the request's store as committed, for the next request in this process."""
        if loaded.cache_key is None:
            return
        api = loaded.apis[0]
        name = f"store:{api}"
        version = int(loaded.versions.get(name, "0"))
        if name in loaded.written:
            self._stores[loaded.cache_key] = (str(version + 1), loaded.world.stores[api], loaded.written[name])
        elif loaded.baseline.get(name):
            self._stores[loaded.cache_key] = (str(version), loaded.world.stores[api], loaded.baseline[name])
        while len(self._stores) > _KEPT_STORES:
            self._stores.popitem(last=False)

    def _commit_keys(self, session: str) -> list[str]:
        w, j, info = self.keys(session)
        return [w, j, info if session != DEFAULT_SESSION else w]

    def local_lock(self, session: str, api: str) -> asyncio.Lock:
        """This process' lock on one fake of one session, for the running event loop.

        Requests in one worker take turns on a fake's store instead of racing for it: without
        it, N concurrent writers in a worker all read one version and N - 1 of them lose and run
        again, again and again. Only writers in different processes still meet in the commit.
        """
        locks = self._locks.get(asyncio.get_running_loop())
        if locks is None:
            locks = self._locks[asyncio.get_running_loop()] = weakref.WeakValueDictionary()
        lock = locks.get((session, api))
        if lock is None:
            lock = locks[(session, api)] = asyncio.Lock()
        return lock

    async def session_exists(self, session: str) -> bool:
        """Whether ``session`` is live (the default always is)."""
        if session == DEFAULT_SESSION:
            return True
        client, _ = self.async_client()
        try:
            return bool(await client.exists(self.keys(session)[2]))
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None

    # -- control-plane transactions (thread pool) ---------------------------------------------------
    def transact(self, session: str, work: Callable[[World], T]) -> T:
        assert self.runtime is not None
        apis = list(self.runtime.vendors)
        w, _, info = self.keys(session)
        commit_keys = self._commit_keys(session)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(backoff(attempt))
            if session != DEFAULT_SESSION and not self.sync_call(lambda r: r.exists(info)):
                raise UnknownSession(session)
            raw = self.sync_call(lambda r: r.hgetall(w))
            values = {key.decode(): value for key, value in raw.items()}
            loaded = self._build(session, apis, values)
            result = work(loaded.world)
            args = self._commit_args(loaded)
            if args is None:
                return result
            done = int(self.sync_call(partial(self._run_script, "commit", commit_keys, args)))
            if done < 0:
                raise UnknownSession(session)
            if done:
                return result
        raise EngineUnavailable(f"the state changed under {MAX_ATTEMPTS} attempts in a row; try again")

    # -- sessions ---------------------------------------------------------------------------------
    def _index(self) -> str:
        return f"{self.namespace}:sessions"

    def _info(self, session_id: str, raw: dict[bytes, bytes]) -> SessionInfo:
        data = {key.decode(): value.decode() for key, value in raw.items()}
        return SessionInfo(
            id=session_id,
            name=data.get("name") or None,
            ttl_seconds=float(data.get("ttl", self.session_ttl)),
            created=int(data.get("created", 0)) / 1000,
            last_used=int(data.get("last_used", 0)) / 1000,
            requests=int(data.get("requests", 0)),
            token_hash=data.get("token_hash") or None,
        )

    def _live(self) -> list[SessionInfo]:
        ids = [raw.decode() for raw in self.sync_call(lambda r: r.zrange(self._index(), 0, -1))]
        if not ids:
            return []
        pipe_results = self.sync_call(lambda r: _pipeline(r, [("hgetall", self.keys(i)[2]) for i in ids]))
        live, gone = [], []
        for session_id, raw in zip(ids, pipe_results, strict=True):
            (live.append(self._info(session_id, raw)) if raw else gone.append(session_id))
        if gone:
            self.sync_call(lambda r: r.zrem(self._index(), *gone))
        return live

    def create_session(self, name: str | None, ttl_seconds: float | None, token_hash: str | None) -> SessionInfo:
        live = self._live()
        if len(live) >= self.max_sessions:
            raise TooManySessions(f"at most {self.max_sessions} sessions may exist at once")
        ttl = self.session_ttl if ttl_seconds is None else ttl_seconds
        now_ms = int(time.time() * 1000)
        session_id = secrets.token_hex(8)
        info_key = self.keys(session_id)[2]
        mapping = {"name": name or "", "ttl": repr(float(ttl)), "created": now_ms, "last_used": now_ms, "requests": 0}
        if token_hash:
            mapping["token_hash"] = token_hash

        def create(r: Any) -> None:
            pipe = r.pipeline()
            pipe.hset(info_key, mapping=mapping)
            pipe.pexpire(info_key, int(ttl * 1000))
            pipe.zadd(self._index(), {session_id: now_ms})
            pipe.execute()

        self.sync_call(create)
        return self._info(session_id, {k.encode(): str(v).encode() for k, v in mapping.items()})

    def sessions(self) -> list[SessionInfo]:
        return self._live()

    def session(self, session_id: str) -> SessionInfo:
        raw = self.sync_call(lambda r: r.hgetall(self.keys(session_id)[2]))
        if not raw:
            raise UnknownSession(session_id)
        return self._info(session_id, raw)

    def delete_session(self, session_id: str) -> None:
        keys = self.keys(session_id)
        removed = self.sync_call(
            lambda r: _pipeline(
                r, [("delete", keys[2]), ("delete", keys[0], keys[1]), ("zrem", self._index(), session_id)]
            )
        )
        if not removed[0]:
            raise UnknownSession(session_id)

    async def token_hash_async(self, session_id: str) -> str | None:
        client, _ = self.async_client()
        try:
            found = await client.hget(self.keys(session_id)[2], "token_hash")
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        return found.decode() if found else None

    # -- export -----------------------------------------------------------------------------------
    def export_session(self, session: str) -> dict[str, Any]:
        return self.transact(session, codec.export_world)

    def import_session(self, session: str, data: dict[str, Any]) -> None:
        self.transact(session, lambda world: codec.import_world(world, data))


def _pipeline(client: Any, calls: list[tuple[Any, ...]]) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for name, *args in calls:
        getattr(pipe, name)(*args)
    return pipe.execute()


_SCRIPTS = {"load": LOAD, "commit": COMMIT, "hit": HIT}
