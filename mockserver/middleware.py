"""The outermost ASGI layer: tags the request with its vendor, caps body size, adds the
vendor's standing headers and writes the request journal."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PAYLOAD_TOO_LARGE, Problem
from .interface import Vendor
from .rendering import VENDOR_SCOPE_KEY, encode
from .runtime import Runtime

MAX_BODY_BYTES = 1024 * 1024


class FakesMiddleware:
    """Wraps the Connexion app; only requests below a vendor prefix are journaled."""

    def __init__(self, app: ASGIApp, runtime: Runtime, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.runtime = runtime
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        vendor = self.runtime.vendor_for_path(scope["path"])
        if vendor is None:
            await self.app(scope, receive, send)
            return
        scope[VENDOR_SCOPE_KEY] = vendor
        # Connexion's router records the matched operation in a *shallow copy* of the scope;
        # an extensions dict created here is shared with that copy, so the journal can read it.
        scope.setdefault("extensions", {})
        started = time.perf_counter()
        recorded = False
        extra_headers = [(k.lower().encode(), v.encode()) for k, v in vendor.response_headers().items()]

        def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            routing = scope["extensions"].get("connexion_routing", {})
            self.runtime.journal.record(
                {
                    "time": self.runtime.clock.now(),
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "api": vendor.name,
                    "operationId": routing.get("operation_id"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                }
            )

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                if extra_headers:
                    present = {name for name, _ in message.get("headers", [])}
                    message["headers"] = list(message.get("headers", [])) + [
                        h for h in extra_headers if h[0] not in present
                    ]
                # Journal before the response goes out, so a client that reads the journal right
                # after its response always finds its own request there.
                record(message["status"])
            await send(message)

        try:
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                await self._reject_too_large(vendor, scope["path"], send_wrapper)
                return
            await self.app(scope, self._capped(receive), send_wrapper)
        finally:
            if not recorded:  # the request died before a response was started
                record(500)

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

    async def _reject_too_large(self, vendor: Vendor, path: str, send: Send) -> None:
        rendered = vendor.render(_too_large(self.max_body_bytes), path)
        status, body, headers = encode(rendered.status, rendered.body, rendered.headers)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> Problem:
    return Problem(413, PAYLOAD_TOO_LARGE, f"the body is larger than {limit} bytes", "body", "invalid")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
