"""The Redis engine: every session's world in Redis, shared by every worker and host.

A store is kept as records, one per entry (:mod:`mockserver.state.records`). Each process keeps
the fakes it serves decoded, as it last saw them; a request runs against that copy with its
reads tracked and then commits with one generic Lua script, which checks that nothing it read
changed since the copy was current, writes the records it changed and its journal entry, and
answers the records other processes changed meanwhile. When something read did change, nothing
is written: the copy is read again and the request runs again (at most :data:`MAX_ATTEMPTS`
times). So a request costs one round trip, and requests on different entries never wait for each
other. Rate-limit counters are separate keys counted atomically on the spot; the journal is a
capped stream appended by the commit.

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
from redis.exceptions import NoScriptError, RedisError

from ..journal import Journal
from ..journal_query import entry_size, materialized
from ..ratelimit import Limit, RateLimiter
from . import codec, records
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
from .redis_scripts import COMMIT, HIT, READ, TOUCH
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
_KEPT_OWN = 256
"""Sequence numbers of its own commits a process remembers per fake (reads are not conflicts
with them); a request that started before the oldest may be run again for nothing."""
_KEPT_STORES = 256
"""Fakes a process keeps decoded (see :meth:`RedisEngine.prepare`): one per fake and session in use."""


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
class Kept:
    """One fake of one session as this process last saw it in Redis (see :meth:`RedisEngine.prepare`)."""

    session: str
    api: str
    epoch: str
    """The world's epoch: a Redis that lost its data has another (or none)."""
    seq: int
    """The session's sequence number this copy is current at."""
    world: World
    tracker: records.Tracker
    records: dict[str, bytes]
    """The store's records as committed (what a request's changes are found against)."""
    small: dict[str, bytes]
    versions: dict[str, str]
    fresh: bool
    """The fake has no records in Redis yet: its first commit writes them all."""
    started: int = 0
    """``seq`` when the request running now started (what its reads are checked against)."""
    faulty: bool = False
    """Faults were set when the request running now started (taking one changes them)."""
    queue: list[Staged] = field(default_factory=list)
    """Staged requests waiting for their commit, in the order they ran."""
    committer: asyncio.Task[None] | None = None
    own: list[int] = field(default_factory=list)
    """The sequence numbers of this process' latest commits on the fake."""
    control_mark: int = 0
    """This process' count of control-plane changes to the session when the copy was read."""


@dataclass
class _Commit:
    """One commit as the commit script takes it."""

    changed: dict[str, bytes | None]
    small_writes: dict[str, bytes]
    plain: dict[str, str]
    journal: RedisJournal
    header: dict[str, Any] = field(default_factory=dict)


@dataclass
class Staged:
    """One request's changes and reads, waiting for its commit (:meth:`RedisEngine.finish`)."""

    kept: Kept
    since: int
    fresh: bool
    changed: dict[str, bytes | None]
    small_writes: dict[str, bytes]
    entries: list[str]
    fields: list[str]
    journal: RedisJournal
    done: asyncio.Future[bool]


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
        self._kept: OrderedDict[tuple[int, str, str], Kept] = OrderedDict()
        # Bumped by each control-plane change per session (a thread of the pool): this process'
        # copies of that session's fakes are read again before the next request.
        self._control_marks: dict[str, int] = {}
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

    @staticmethod
    async def _evalsha(client: Any, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Run a registered script on one pooled connection: a commit, the hot path, without the
        client's per-command retry and bookkeeping layers (loading the script when Redis lost it)."""
        pool = client.connection_pool
        connection = await pool.get_connection()
        try:
            await connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            try:
                return await connection.read_response()
            except NoScriptError:
                await connection.send_command("SCRIPT", "LOAD", script.script)
                await connection.read_response()
                await connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
                return await connection.read_response()
        except BaseException:
            # Cancelled or failed half way: its reply may still be on the way, so it is not reused.
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)

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
    @staticmethod
    def _small_names(apis: Iterable[str]) -> list[str]:
        """The small records of a world serving ``apis`` (each also has a version ``v:<name>``)."""
        return [*_SMALL_FIELDS, *(f"rle:{api}" for api in apis)]

    def _world(self, session: str, apis: list[str], small: dict[str, bytes | None], stores: dict[str, Any]) -> World:
        """A world of ``stores`` with the small records ``small`` (missing ones at their defaults)."""
        assert self.runtime is not None
        world = World(self.runtime.vendors, stores=False)
        world.stores.update(stores)
        journal = RedisJournal(self, session, world.journal.cap)
        journal.set_max_bytes(world.journal.max_bytes)
        world.journal = journal
        settings = small.get("settings")
        if settings:
            codec.apply_settings(world, json.loads(settings))
        clock = small.get("clock")
        if clock:
            world.clock.set_offset(float(clock))
        faults = small.get("faults")
        if faults:
            codec.apply_faults(world, json.loads(faults))
        generations = {api: int(small.get(f"rle:{api}") or 0) for api in apis}
        world.limiter = RedisLimiter(self, session, world, generations)
        return world

    @staticmethod
    def _small_records(world: World, apis: Iterable[str]) -> dict[str, bytes]:
        """The small records of ``world`` as they would be written."""
        found = {
            "settings": codec.dumps(codec.settings_data(world)),
            "clock": repr(world.clock.offset).encode(),
            "faults": codec.dumps(codec.faults_data(world)),
        }
        limiter = world.limiter
        assert isinstance(limiter, RedisLimiter)
        for api in apis:
            found[f"rle:{api}"] = str(limiter.generations.get(api, 0)).encode()
        return found

    @staticmethod
    def _commit_args(commits: list[_Commit], **top: Any) -> list[Any]:
        """The commit script's arguments: a JSON object, then the values it points at."""
        values: list[bytes] = []

        def at(value: bytes) -> int:
            values.append(value)
            return len(values) + 1  # ARGV index; the object is ARGV[1]

        described = []
        for commit in commits:
            writes = []
            for name, value in commit.changed.items():
                api, field = name[len(records.ENTRY) :].split(":", 2)[:2]
                writes.append([name, records.field_name(api, field), 0 if value is None else at(value)])
            journal = commit.journal
            described.append(
                {
                    **commit.header,
                    "plain": [[name, value] for name, value in commit.plain.items()],
                    "small": [[name, at(value)] for name, value in commit.small_writes.items()],
                    "writes": writes,
                    "cap": journal.cap,
                    "max_bytes": journal.max_bytes,
                    "ops": [[op, arg] for op, arg in journal.ops],
                    "journal": [
                        [
                            entry["api"],
                            "" if given_id is None else str(given_id),
                            at(codec.dumps(entry)),
                            entry_size(entry),
                        ]
                        for given_id, entry in journal.pending
                    ],
                }
            )
        return [codec.dumps({**top, "commits": described}), *values]

    def _session_keys(self, session: str) -> list[str]:
        """The keys every script gets: world hash, journal, session info (the world hash for the
        default session), change index."""
        w, j, info = self.keys(session)
        return [w, j, info if session != DEFAULT_SESSION else w, f"{self.tag(session)}:c"]

    # -- vendor requests (event loop) ---------------------------------------------------------------
    async def prepare(self, session: str, api: str) -> Kept:
        """``api``'s fake in ``session`` for one request, reads tracked from here on; raises
        :class:`UnknownSession`, :class:`EngineUnavailable`.

        This process keeps each fake as it last saw it in Redis (:class:`Kept`), so a request
        usually needs no read before it runs: its commit checks that what it read is still
        current and brings back what other processes changed meanwhile. Requests on one fake of
        one session take turns in a process (:meth:`local_lock`), so a kept fake is never used by
        two at once. The first request (and one after a lost race) reads the fake's records.
        """
        cache_key = (id(asyncio.get_running_loop()), session, api)
        kept = self._kept.get(cache_key)
        mark = self._control_marks.get(session, 0)
        if kept is not None and kept.control_mark != mark:
            # The control plane changed this session in this process since: read it again
            # rather than run a request on what its commit would refuse.
            del self._kept[cache_key]
            kept = None
        if kept is None:
            kept = await self._read(session, api)
            kept.control_mark = mark
            self._kept[cache_key] = kept
            while len(self._kept) > _KEPT_STORES:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(cache_key)
        journal = kept.world.journal
        assert isinstance(journal, RedisJournal)
        journal.pending, journal.ops = [], []
        kept.started = kept.seq
        kept.faulty = bool(kept.world.faults.list())
        kept.tracker.start()
        return kept

    async def _read(self, session: str, api: str) -> Kept:
        """Every record of ``api``'s fake in ``session``, decoded."""
        assert self.runtime is not None
        small_names = self._small_names([api])
        names = [*small_names, *(f"v:{name}" for name in small_names), f"aseq:{api}"]
        client, scripts = self.async_client()
        named = "1" if session != DEFAULT_SESSION else "0"
        try:
            reply = await scripts["read"](
                keys=self._session_keys(session), args=[named, secrets.token_hex(8), api, *names], client=client
            )
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        self._up()
        if reply is None:
            raise UnknownSession(session)
        epoch, seq, values, pairs = reply
        found = {name: (value or None) for name, value in zip(names, values, strict=True)}
        held = {pairs[i].decode(): pairs[i + 1] for i in range(0, len(pairs), 2)}
        tracker = records.Tracker()
        store = records.assemble(self.runtime.vendors[api], held, tracker)
        world = self._world(session, [api], found, {api: store})
        return Kept(
            session=session,
            api=api,
            epoch=epoch.decode(),
            seq=int(seq),
            world=world,
            tracker=tracker,
            records=held,
            small={name: found[name] or b"" for name in small_names},
            versions={name: (found[f"v:{name}"] or b"0").decode() for name in small_names},
            fresh=not found[f"aseq:{api}"],
        )

    def _journal_copy(self, session: str, journal: Journal) -> RedisJournal:
        """What a request added to the journal, kept apart for its commit."""
        assert isinstance(journal, RedisJournal)
        copied = RedisJournal(self, session, journal.cap)
        copied.set_max_bytes(journal.max_bytes)
        copied.pending, copied.ops = journal.pending, journal.ops
        return copied

    def discard(self, kept: Kept) -> None:
        """Forget this process' copy of a fake (after a failed request: it may hold its changes)."""
        if self._current(kept):
            del self._kept[(id(asyncio.get_running_loop()), kept.session, kept.api)]

    def _read_checks(self, staged: Staged) -> tuple[list[str], list[str]]:
        """What a request's commit must find unchanged since it started: records read one by
        one, fields read whole (the small records' versions are checked too, always)."""
        return staged.entries, staged.fields

    def stage(self, kept: Kept) -> Staged:
        """What the request that just ran on ``kept`` changed and read, ready to commit.

        Called before the next request on ``kept`` runs: the changes are taken into the copy
        at once (the next request builds on them), and its commit follows this one's
        (:meth:`finish`); when this one fails, so does every later one, and the copy is read again.
        """
        kept.tracker.stop()
        api = kept.api
        world = kept.world
        store = world.stores[api]
        fresh = kept.fresh
        if fresh:
            now = records.split(api, store)
            changed: dict[str, bytes | None] = {n: v for n, v in now.items() if kept.records.get(n) != v}
            entries: list[str] = []
            fields: list[str] = []
        else:
            changed = records.touched(api, store, kept.tracker, kept.records)
            entries, fields = records.read_names(api, kept.tracker)
            entries += records.whole_names(api, store)
        # On a vendor request only taking a fault changes a small record (settings, the clock and
        # the counters' generations change through the control plane).
        small_writes: dict[str, bytes] = {}
        if kept.faulty:
            faults = codec.dumps(codec.faults_data(world))
            if kept.small.get("faults") != faults:
                small_writes["faults"] = faults
        for record, encoded in changed.items():
            if encoded is None:
                kept.records.pop(record, None)
            else:
                kept.records[record] = encoded
        kept.small.update(small_writes)
        kept.fresh = False
        return Staged(
            kept, kept.started, fresh, changed, small_writes, entries, fields,
            self._journal_copy(kept.session, world.journal), asyncio.get_running_loop().create_future(),
        )  # fmt: skip

    async def finish(self, staged: Staged) -> bool:
        """Commit a staged request; False when something it read changed meanwhile (or a request
        before it on the same fake failed): run it again. Raises :class:`UnknownSession`,
        :class:`EngineUnavailable`.

        Requests staged while a commit is on its way wait, and go out together in the next one
        (a group commit): one round trip and one script run for all of them, applied in the
        order they ran.
        """
        kept = staged.kept
        kept.queue.append(staged)
        if kept.committer is None or kept.committer.done():
            kept.committer = asyncio.get_running_loop().create_task(self._commit_queue(kept))
        # Shielded: a request given up on (its client gone) must not cancel its place in a batch.
        return await asyncio.shield(staged.done)

    async def _commit_queue(self, kept: Kept) -> None:
        """Commit ``kept``'s staged requests, batch after batch, until none waits."""
        while kept.queue:
            batch, kept.queue = kept.queue, []
            if not self._current(kept):
                # Dropped after a failure: what was staged on it may build on the failed request.
                _settle(batch, False)
                continue
            try:
                applied = await self._commit_batch(kept, batch)
            except BaseException as exc:
                self.discard(kept)
                _settle([*batch, *kept.queue], exc)
                kept.queue = []
                if isinstance(exc, (UnknownSession, EngineUnavailable)):
                    return
                raise
            _settle(batch[:applied], True)
            if applied < len(batch):
                # A later request ran on the failed one's changes: all run again on fresh data.
                self.discard(kept)
                _settle([*batch[applied:], *kept.queue], False)
                kept.queue = []
                return

    def _current(self, kept: Kept) -> bool:
        return self._kept.get((id(asyncio.get_running_loop()), kept.session, kept.api)) is kept

    async def _commit_batch(self, kept: Kept, batch: list[Staged]) -> int:
        """One commit script run for ``batch``; answers how many of it were applied."""
        commits = []
        versions = dict(kept.versions)
        for staged in batch:
            entries, fields = self._read_checks(staged)
            plain = {"epoch": kept.epoch, **{f"v:{name}": version for name, version in versions.items()}}
            if staged.fresh:
                plain[f"aseq:{kept.api}"] = "0"
            for name in staged.small_writes:  # what the next one in the batch finds
                versions[name] = str(int(versions[name]) + 1)
            own = [seq for seq in kept.own if seq > staged.since]
            header = {"count": True, "since": staged.since, "own": own, "entries": entries, "fields": fields}
            commits.append(_Commit(staged.changed, staged.small_writes, plain, staged.journal, header))
        args = self._commit_args(commits, now=str(int(time.time() * 1000)), api=kept.api, changes_since=kept.seq)
        client, scripts = self.async_client()
        try:
            reply = await self._evalsha(client, scripts["commit"], self._session_keys(kept.session), args)
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        self._up()
        if reply[0] == -1:
            raise UnknownSession(kept.session)
        applied, seqs, seq, pairs = reply
        for staged, committed in zip(batch[:applied], seqs, strict=True):
            for small_name in staged.small_writes:
                kept.versions[small_name] = str(int(kept.versions[small_name]) + 1)
            if staged.changed:
                kept.own.append(int(committed))
        del kept.own[:-_KEPT_OWN]
        kept.seq = int(seq)
        if pairs and applied == len(batch):
            self._arrived(kept, pairs)
        return int(applied)

    def _arrived(self, kept: Kept, pairs: list[bytes]) -> None:
        """Records other processes changed (name, value; b'' when removed) into the kept fake."""
        assert self.runtime is not None
        vendor = self.runtime.vendors[kept.api]
        store = kept.world.stores[kept.api]
        arrived = []
        for i in range(0, len(pairs), 2):
            name, value = pairs[i].decode(), pairs[i + 1] or None
            if value is None:
                kept.records.pop(name, None)
            else:
                kept.records[name] = value
            entry = records.put(vendor, store, name, value)
            if entry is not None:
                arrived.append(entry)
        records.refreshed(vendor, store, arrived)

    def local_lock(self, session: str, api: str) -> asyncio.Lock:
        """This process' lock on one fake of one session, for the running event loop.

        Requests in one worker take turns on a fake's copy, each running on the one before's
        changes (their commits follow in the same order, :meth:`finish`), instead of racing for
        it; only writers in different processes still meet in the commit.
        """
        locks = self._locks.get(asyncio.get_running_loop())
        if locks is None:
            locks = self._locks[asyncio.get_running_loop()] = weakref.WeakValueDictionary()
        lock = locks.get((session, api))
        if lock is None:
            lock = locks[(session, api)] = asyncio.Lock()
        return lock

    async def session_exists(self, session: str) -> bool:
        """Whether ``session`` is live (the default always is); a live one counts as used (its
        idle time starts again, as a vendor request's does)."""
        if session == DEFAULT_SESSION:
            return True
        client, scripts = self.async_client()
        try:
            found = await scripts["touch"](
                keys=self._session_keys(session), args=[int(time.time() * 1000)], client=client
            )
        except (RedisError, OSError) as exc:
            raise self.unavailable(exc) from None
        return bool(found)

    # -- control-plane transactions (thread pool) ---------------------------------------------------
    def transact(self, session: str, work: Callable[[World], T]) -> T:
        assert self.runtime is not None
        vendors = self.runtime.vendors
        apis = list(vendors)
        small_names = self._small_names(apis)
        w, _, info = self.keys(session)
        keys = self._session_keys(session)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(backoff(attempt))
            if session != DEFAULT_SESSION and not self.sync_call(lambda r: r.exists(info)):
                raise UnknownSession(session)
            raw = self.sync_call(lambda r: r.hgetall(w))
            values: dict[str, bytes] = {key.decode(): value for key, value in raw.items()}
            held = {name: value for name, value in values.items() if name.startswith(records.ENTRY)}
            stores = {api: records.assemble(vendor, held, None) for api, vendor in vendors.items()}
            world = self._world(session, apis, dict(values), stores)
            small_before = {name: values.get(name, b"") for name in small_names}
            result = work(world)
            now: dict[str, bytes] = {}
            for api in apis:
                now.update(records.split(api, world.stores[api]))
            changed: dict[str, bytes | None] = {n: v for n, v in now.items() if held.get(n) != v}
            changed.update({name: None for name in held if name not in now})
            small = self._small_records(world, apis)
            small_writes = {name: value for name, value in small.items() if small_before[name] != value}
            journal = world.journal
            assert isinstance(journal, RedisJournal)
            if not changed and not small_writes and not journal.pending and not journal.ops:
                return result
            # A transaction that writes nothing reads from one consistent snapshot (HGETALL is
            # atomic): only a writing one must prove that what it read is still current.
            plain: dict[str, str] = {}
            if changed or small_writes:
                plain = {"seq": values.get("seq", b"0").decode(), "epoch": values.get("epoch", b"0").decode()}
                plain.update({f"v:{name}": values.get(f"v:{name}", b"0").decode() for name in small_names})
            args = self._commit_args([_Commit(changed, small_writes, plain, journal)])
            reply = self.sync_call(partial(self._run_script, "commit", keys, args))
            if reply[0] == -1:
                raise UnknownSession(session)
            if reply[0] == 1:
                if changed or small_writes:
                    self._control_marks[session] = self._control_marks.get(session, 0) + 1
                if session == DEFAULT_SESSION and "clock" in small_writes:
                    moved = float(small_writes["clock"]) - float(small_before["clock"] or b"0")
                    self._age_sessions(moved)
                return result
        raise EngineUnavailable(f"the state changed under {MAX_ATTEMPTS} attempts in a row; try again")

    # -- sessions ---------------------------------------------------------------------------------
    def _age_sessions(self, seconds: float) -> None:
        """The root's fake clock moved by ``seconds``: every session's idle time moves with it (as
        on the memory engine), so a session idle past its TTL on that clock is gone."""
        for info in self._live():
            keys = [*self.keys(info.id), f"{self.tag(info.id)}:c"]

            def age(r: Any, keys: list[str] = keys, session_id: str = info.id) -> None:
                left = int(r.pttl(keys[2]))
                if left < 0:
                    return
                left -= int(seconds * 1000)
                if left <= 0:
                    _pipeline(r, [("delete", *keys), ("zrem", self._index(), session_id)])
                else:
                    _pipeline(r, [("pexpire", key, left) for key in keys])

            self.sync_call(age)

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
                r,
                [
                    ("delete", keys[2]),
                    ("delete", keys[0], keys[1], f"{self.tag(session_id)}:c"),
                    ("zrem", self._index(), session_id),
                ],
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


def _settle(batch: list[Staged], outcome: bool | BaseException) -> None:
    """Tell each request of ``batch`` how its commit went."""
    for staged in batch:
        if staged.done.done():
            continue
        if isinstance(outcome, BaseException):
            staged.done.set_exception(outcome)
        else:
            staged.done.set_result(outcome)


def _pipeline(client: Any, calls: list[tuple[Any, ...]]) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for name, *args in calls:
        getattr(pipe, name)(*args)
    return pipe.execute()


_SCRIPTS = {"read": READ, "commit": COMMIT, "hit": HIT, "touch": TOUCH}
