"""What a served fake writes to its console: an access log line per request, the log levels of
``serve`` (``-q`` / ``-v``), and no library noise for ordinary bad input.

An access line reads ``GET /calcom/v2/calendars?take=5 200 getCalendars 1.4ms``: method, path and
query, status, the matched operationId (``-`` when none matched), and the milliseconds until the
response was sent. The path is shown as sent, percent-encoded; secrets the fakes issued are masked
in it (a token can sit in a path or a query; see issued.py), and characters that could forge a
line are escaped.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .issued import MaskingFilter, mask_text

ACCESS_LOGGER = "mockserver.access"
access_logger = logging.getLogger(ACCESS_LOGGER)

# Connexion logs these at ERROR level when a request carries a query parameter or a body property
# its operation does not declare. That is ordinary client input - the fakes ignore such extras as
# their vendors do, or answer them in the vendor's envelope - not a fault of the server; yet driven
# by Schemathesis, which sends them on purpose, a server printed a hundred-odd such lines. Only
# these two messages are dropped; everything else Connexion says is still shown.
_CONNEXION_PARAMETER_LOGGER = "connexion.decorators.parameter"
_ORDINARY_BAD_INPUT = (
    "Function argument '%s' (non-sanitized: %s) not defined in specification",
    "Body property '",
)


class OrdinaryBadInput(logging.Filter):
    """Drops Connexion's log records about undeclared query parameters and body properties."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        return not (message.startswith(_ORDINARY_BAD_INPUT) and "not defined in" in message)


def quiet_library_noise() -> None:
    """Install :class:`OrdinaryBadInput` on Connexion's parameter logger (once)."""
    target = logging.getLogger(_CONNEXION_PARAMETER_LOGGER)
    if not any(isinstance(f, OrdinaryBadInput) for f in target.filters):
        target.addFilter(OrdinaryBadInput())


class _MaskedAccessLines(MaskingFilter):
    """Masks secrets in every record but access lines, which were masked when they were made.

    Being a :class:`~mockserver.issued.MaskingFilter`, it keeps ``install_log_masking`` from adding
    another to the console handler; masking each access line a second time cost about a third of
    what logging it costs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return True if record.name == ACCESS_LOGGER else super().filter(record)


class AccessLog:
    """Wraps an ASGI app; logs one line per HTTP request on :data:`ACCESS_LOGGER` at INFO."""

    def __init__(self, app: ASGIApp, logger: logging.Logger = access_logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Connexion's router records the matched operation in a shallow copy of the scope; an
        # extensions dict that exists before it is shared with that copy.
        extensions = scope.setdefault("extensions", {})
        status = 500  # what uvicorn answers when the app fails before starting a response
        started_response = False

        async def send_status(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except asyncio.CancelledError:
            # Only a stop cancels a request; the server answered 503 where no response was started.
            if not started_response:
                status = 503
            raise
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            operation = (extensions.get("connexion_routing") or {}).get("operation_id") or "-"
            self.logger.info(
                "%s %s %d %s %.1fms", scope["method"], request_target(scope), status, operation, milliseconds
            )


def request_target(scope: Scope) -> str:
    """The request's path and query as a log shows them: as sent (still percent-encoded, so one
    word), issued secrets masked, anything unprintable escaped."""
    raw_path = scope.get("raw_path")
    target: str = raw_path.decode("latin-1") if raw_path else scope["path"]
    query = scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    target = mask_text(target)
    return target if target.isprintable() else "".join(c if c.isprintable() else ascii(c)[1:-1] for c in target)


def configure(*, quiet: bool = False, verbose: bool = False, stream: TextIO | None = None) -> str:
    """Set up the console logging of ``serve``; answers the log level to give uvicorn.

    Default: the access log and mockserver's notices (INFO), other libraries' warnings and errors.
    ``quiet``: warnings and errors only. ``verbose``: everything, debug included.
    """
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_MaskedAccessLines())
    mockserver_logger = logging.getLogger("mockserver")
    mockserver_logger.handlers[:] = [handler]
    mockserver_logger.setLevel(level)
    mockserver_logger.propagate = False
    if verbose:
        # The libraries' own debug output (Connexion's routing and parameter handling, ...).
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s", stream=stream)
    quiet_library_noise()
    return "debug" if verbose else "warning"
