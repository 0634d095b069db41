"""The outermost ASGI layer: every HTTP request passes here once, before Connexion.

It finds the request's vendor (once; carried in the scope from here on), caps the body size for
every path (the control plane's too), reads a chunked body so the layers below see an ordinary
one with a ``Content-Length``, makes the media type comparable (media types are
case-insensitive) and decides what a body without a ``Content-Type`` is, adds the vendor's
standing headers, and writes the request journal.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import INVALID_PARAMETER, NOT_FOUND, PAYLOAD_TOO_LARGE, UNAVAILABLE, Problem
from .interface import Vendor
from .journal_query import BodyTap
from .near_miss import nearest
from .rendering import VENDOR_SCOPE_KEY, admin_error, encode
from .runtime import Runtime
from .sessions import SESSION_PREFIX, SESSION_SCOPE_KEY, split_session_path
from .state.engine import Engine, EngineUnavailable, UnknownSession
from .state.redis_engine import MAX_ATTEMPTS, RedisEngine, backoff
from .state.world import DEFAULT_SESSION, in_session, using

MAX_BODY_BYTES = 1024 * 1024

_JSON = b"application/json"
_UNTYPED = b"application/octet-stream"
# What nearly every client sends: nothing to normalise, decided without parsing.
_ALREADY_PLAIN = frozenset({_JSON, b"application/json; charset=utf-8", b"application/json;charset=utf-8"})


class _TooLarge(Exception):
    """A streamed body passed the cap."""


class FakesMiddleware:
    """Wraps the Connexion app; only requests below a vendor prefix are journaled."""

    def __init__(self, app: ASGIApp, runtime: Runtime, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.runtime = runtime
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                receive = self._closing_on_shutdown(receive)
            await self.app(scope, receive, send)
            return
        session = DEFAULT_SESSION
        if scope["path"].startswith(SESSION_PREFIX):
            found = split_session_path(scope["path"])
            if found is not None:
                session, path = found
                # Below /s/<id> the whole server exists as if alone: the layers below see the
                # ordinary path (Starlette's routing would not strip a root_path that the path
                # does not start with), and a Call's base URL gets the prefix back (dispatch).
                scope = {**scope, "path": path, "raw_path": path.encode()}
                scope[SESSION_SCOPE_KEY] = session
        vendor = self.runtime.vendor_for_path(scope["path"])
        engine = self.runtime.engine
        if engine.transactional:
            await self._serve_transaction(engine, session, vendor, scope, receive, send)
            return
        if session == DEFAULT_SESSION:
            await self._serve(vendor, scope, receive, send)
            return
        try:
            world = engine.world(session)
        except UnknownSession:
            await self._answer_unknown_session(vendor, scope, send, session)
            return
        with using(world), in_session(session):
            await self._serve(vendor, scope, receive, send)

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        """Close the engine's connections of this event loop when the server shuts down."""

        async def receive_lifespan() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.runtime.engine.aclose()
            return message

        return receive_lifespan

    async def _answer_unknown_session(self, vendor: Vendor | None, scope: Scope, send: Send, session: str) -> None:
        """404 for a session that does not exist (never created, deleted, expired); creates nothing."""
        problem = Problem(404, NOT_FOUND, f"no session {session!r} (it may have expired or been deleted)")
        if vendor is not None:
            rendered = vendor.render(problem, scope["path"])
            await _answer(send, rendered.status, rendered.body, rendered.headers)
        else:
            await _answer(send, *admin_error(problem, scope["path"]))

    async def _serve_transaction(
        self, engine: Engine, session: str, vendor: Vendor | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """One request with an engine whose worlds live elsewhere (Redis).

        A vendor request runs against a world loaded for it; its answer is held back until its
        changes are committed, and when another process changed the same records first it runs
        again on fresh data. The control plane commits per call (``InProcessAdmin``).
        """
        assert isinstance(engine, RedisEngine)
        try:
            if vendor is None:
                if not await engine.session_exists(session):
                    await self._answer_unknown_session(None, scope, send, session)
                    return
                with in_session(session):
                    await self._serve(None, scope, receive, send)
                return
            body = _Recorded(receive)
            held: list[Message] = []
            committed = False
            for attempt in range(MAX_ATTEMPTS):
                if attempt:
                    await asyncio.sleep(backoff(attempt))
                # Requests on one fake take turns to run in this process, each on the one
                # before's changes; their commits go out in the same order, one at a time.
                async with engine.local_lock(session, vendor.name):
                    kept = await engine.prepare(session, vendor.name)
                    held = []
                    fresh_scope = {**scope, "extensions": {}}
                    try:
                        with using(kept.world), in_session(session):
                            await self._serve(vendor, fresh_scope, body.replay(), _holder(held))
                        staged = engine.stage(kept)
                    except BaseException:
                        engine.discard(kept)  # it may hold the request's changes
                        raise
                committed = await engine.finish(staged)
                if committed:
                    break
            if committed:
                for message in held:
                    await send(message)
                return
            problem = Problem(503, UNAVAILABLE, "the fake's state kept changing under this request; try again")
        except UnknownSession:
            await self._answer_unknown_session(vendor, scope, send, session)
            return
        except EngineUnavailable as exc:
            problem = Problem(503, UNAVAILABLE, str(exc), headers={"Retry-After": "1"})
        if vendor is not None:
            rendered = vendor.render(problem, scope["path"])
            await _answer(send, rendered.status, rendered.body, rendered.headers)
        else:
            await _answer(send, *admin_error(problem, scope["path"]))

    async def _serve(self, vendor: Vendor | None, scope: Scope, receive: Receive, send: Send) -> None:
        """One request in the world in force."""
        if vendor is None:
            await self._serve_other(scope, receive, send)
            return
        scope[VENDOR_SCOPE_KEY] = vendor
        # Connexion's router records the matched operation in a *shallow copy* of the scope;
        # an extensions dict created here is shared with that copy, so the journal can read it.
        scope.setdefault("extensions", {})
        started = time.perf_counter()
        recorded = False
        extra_headers = [(k.lower().encode(), v.encode()) for k, v in vendor.response_headers().items()]
        # What the journal keeps of the exchange: the headers as received, both bodies (capped).
        received_headers = scope["headers"]
        request_body, response_body = BodyTap(), BodyTap()
        response_status, response_headers = 500, list[tuple[bytes, bytes]]()
        receive_on: Receive = receive

        def record() -> None:
            nonlocal recorded
            recorded = True
            routing = scope["extensions"].get("connexion_routing", {})
            entry = {
                "time": self.runtime.clock.now(),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "api": vendor.name,
                "operationId": routing.get("operation_id"),
                "status": response_status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "request": request_body.part(received_headers),
                "response": response_body.part(response_headers),
            }
            if entry["operationId"] is None and response_status in (404, 405):
                below = scope["path"].lstrip("/")[len(vendor.name) :] or "/"
                entry["near_misses"] = nearest(self.runtime.routes[vendor.name].operations, scope["method"], below)
            self.runtime.journal.record(entry)

        async def tapped_receive() -> Message:
            message = await receive_on()
            if message["type"] == "http.request":
                request_body.add(message.get("body", b""), message.get("more_body", False))
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal response_status, response_headers
            if message["type"] == "http.response.start":
                if extra_headers:
                    present = {name for name, _ in message.get("headers", [])}
                    message["headers"] = list(message.get("headers", [])) + [
                        h for h in extra_headers if h[0] not in present
                    ]
                response_status, response_headers = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body" and not recorded:
                more = message.get("more_body", False)
                response_body.add(message.get("body", b""), more)
                if not more:
                    if not request_body.done and scope["method"] != "GET" and _has_body(received_headers):
                        await _read_rest(tapped_receive)  # refused before the body was read (a 401)
                    # Journal before the response is complete, so a client that reads the journal
                    # right after its response always finds its own request there.
                    record()
            await send(message)

        try:
            prepared = self._prepare(scope, receive, json_default=vendor.json_without_content_type)
            if isinstance(prepared, _Chunked):
                prepared = await prepared.read(self)
            if isinstance(prepared, Problem):
                request_body.done = True  # refused for its body: it is not read
                rendered = vendor.render(prepared, scope["path"])
                await _answer(send_wrapper, rendered.status, rendered.body, rendered.headers)
                return
            receive_on = prepared
            await self.app(scope, tapped_receive, send_wrapper)
        finally:
            if not recorded:  # the request died before its response was complete
                record()

    async def _serve_other(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The control plane and unknown paths: the same body handling, no journal."""
        prepared = self._prepare(scope, receive, json_default=True)
        if isinstance(prepared, _Chunked):
            prepared = await prepared.read(self)
        if isinstance(prepared, Problem):
            await _answer(send, *admin_error(prepared, scope["path"]))
            return
        await self.app(scope, prepared, send)

    def _prepare(self, scope: Scope, receive: Receive, *, json_default: bool) -> Receive | Problem | _Chunked:
        """Check and normalise the request's body headers; the Problem when they cannot be served
        (a body too large, a ``Content-Length`` that is no number of bytes).

        Answers the ``receive`` to hand on, capped for a body with a length; or, for a chunked
        body, a :class:`_Chunked` that reads it in full and then hands on a ``receive`` replaying
        it (a chunked body has no ``Content-Length``, and Connexion's validators take a request
        without one as having no body at all). Synchronous for every other request: most have
        a length, and a coroutine per request costs more than the checks.
        """
        length: int | None = None
        chunked = False
        content_type: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                # An HTTP server refuses such framing itself; an app called in process (a test
                # client) gets it as sent, and the layers below would fail on it with a 500.
                if not value.strip().isdigit():
                    return _bad_length()
                length = int(value)
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if length is not None and length > self.max_body_bytes:
            return _too_large(self.max_body_bytes)
        if chunked and length is None:
            return _Chunked(scope, receive, content_type, json_default)
        normalised = _normalised_type(content_type, bool(length), json_default)
        if normalised != content_type:
            _set_body_headers(scope, normalised, length or 0)
        return self._capped(receive)

    def _capped(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.max_body_bytes

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        return capped_receive


class _Chunked:
    """A chunked request body still to be read (see :meth:`FakesMiddleware._prepare`)."""

    def __init__(self, scope: Scope, receive: Receive, content_type: bytes | None, json_default: bool) -> None:
        self.scope = scope
        self.receive = receive
        self.content_type = content_type
        self.json_default = json_default

    async def read(self, middleware: FakesMiddleware) -> Receive | Problem:
        """Read the whole body (capped); the replaying ``receive``, or the 413 Problem."""
        try:
            body = await _read_all(self.receive, middleware.max_body_bytes)
        except _TooLarge:
            return _too_large(middleware.max_body_bytes)
        normalised = _normalised_type(self.content_type, bool(body), self.json_default)
        _set_body_headers(self.scope, normalised, len(body))
        return _replaying(body, self.receive)


def _set_body_headers(scope: Scope, content_type: bytes | None, length: int) -> None:
    headers = [(n, v) for n, v in scope["headers"] if n not in (b"content-type", b"content-length")]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    headers.append((b"content-length", str(length).encode()))
    scope["headers"] = headers


def _normalised_type(content_type: bytes | None, has_body: bool, json_default: bool) -> bytes | None:
    """The Content-Type the layers below see.

    Media types are case-insensitive (RFC 9110, 8.3.1): ``APPLICATION/JSON`` is JSON. A value
    that is no ``type/subtype`` is treated as a body of no known type. A body sent
    without any Content-Type is JSON for a vendor whose framework parses it so
    (``Vendor.json_without_content_type``), and otherwise a body of no known type, answered as
    that vendor answers any non-JSON body.
    """
    if content_type in _ALREADY_PLAIN:
        return content_type
    if content_type is None:
        if not has_body:
            return None
        return _JSON if json_default else _UNTYPED
    media, separator, parameters = content_type.partition(b";")
    lowered = media.strip().lower()
    if lowered == media and b"/" not in parameters and lowered.count(b"/") == 1:
        return content_type
    # Connexion splits the whole header at "/" and expects two parts (utils.is_json_mimetype), on
    # every operation: anything else failed there with a 500.
    if lowered.count(b"/") != 1:
        # Not a media type at all ("json", "a/b/c"): a body of no known type (FastAPI, too,
        # reads an unparseable type as text/plain, never as JSON).
        return _UNTYPED if has_body else None
    if b"/" in parameters:
        # A parameter value holding a "/" (boundary=a/b) says nothing about JSON; it is dropped.
        kept = [parameter for parameter in parameters.split(b";") if b"/" not in parameter]
        parameters = b";".join(kept)
        separator = b";" if kept else b""
    return lowered + separator + parameters


async def _read_all(receive: Receive, limit: int) -> bytes:
    """The whole body of a request; raises :class:`_TooLarge` as soon as it passes ``limit``."""
    chunks: list[bytes] = []
    seen = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: what arrived is all there is
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


class _Recorded:
    """A request body read once and replayed to each run of a retried request (each run reads
    as far as it needs; what the first did not read comes from the client later)."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.messages: list[Message] = []

    def replay(self) -> Receive:
        index = 0

        async def replayed() -> Message:
            nonlocal index
            if index < len(self.messages):
                message = self.messages[index]
            else:
                message = await self.receive()
                self.messages.append(message)
            index += 1
            return message

        return replayed


def _holder(held: list[Message]) -> Send:
    """A ``send`` that keeps the messages (an answer held until its changes are committed)."""

    async def hold(message: Message) -> None:
        held.append(message)

    return hold


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if (name == b"content-length" and value.strip() not in (b"0", b"")) or name == b"transfer-encoding":
            return True
    return False


async def _read_rest(receive: Receive) -> None:
    """Read what is left of a request body (for the journal); what cannot be read is left."""
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
    except Problem:
        return  # more than the body cap: the journal keeps the start


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    status, data, raw = encode(status, body, headers)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def _too_large(limit: int) -> Problem:
    return Problem(413, PAYLOAD_TOO_LARGE, f"the body is larger than {limit} bytes", "body", "invalid")


def _bad_length() -> Problem:
    return Problem(
        400, INVALID_PARAMETER, "the Content-Length header is not a number of bytes", "Content-Length", "invalid"
    )
