"""The access log's request target and the filter for Connexion's complaints about bad input."""

from __future__ import annotations

import asyncio
import logging

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import issued
from mockserver.console import ACCESS_LOGGER, AccessLog, OrdinaryBadInput, request_target

SECRET = "cal_live_0123456789abcdef0123"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())  # the process's registry stays as it was
    return issued.register(SECRET)


def test_secrets_in_path_and_query_are_masked(registered: str) -> None:
    scope = {
        "path": "/ignored",
        "raw_path": f"/calcom/v2/{registered}".encode(),
        "query_string": f"t={registered}".encode(),
    }
    assert request_target(scope) == f"/calcom/v2/{SECRET[:6]}…?t={SECRET[:6]}…"


def test_the_path_is_shown_as_sent() -> None:
    scope = {"path": "/a b", "raw_path": b"/a%20b", "query_string": b"x=%0a"}
    assert request_target(scope) == "/a%20b?x=%0a"


def test_without_a_raw_path_unprintable_characters_are_escaped() -> None:
    # An app called in process (no HTTP server) has only the decoded path.
    assert request_target({"path": "/x\nGET /forged\x1b[2J", "query_string": b""}) == "/x\\nGET /forged\\x1b[2J"


@pytest.mark.parametrize(
    ("message", "args", "kept"),
    [
        ("Function argument '%s' (non-sanitized: %s) not defined in specification", ("x", "x"), False),
        ("Body property 'x' not defined in body schema", None, False),
        ("Body property 'x' has some other problem", None, True),
        ("something else entirely", None, True),
    ],
)
def test_only_the_two_complaints_are_dropped(message: str, args: tuple[str, ...] | None, kept: bool) -> None:
    record = logging.LogRecord("connexion.decorators.parameter", logging.ERROR, "", 0, message, args, None)
    assert OrdinaryBadInput().filter(record) is kept


def test_an_access_line_per_request_with_what_was_answered(caplog: pytest.LogCaptureFixture) -> None:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"]["connexion_routing"] = {"operation_id": "getThing"}  # as Connexion's router does
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def fail(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async def hang(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(60)

    async def call(app: ASGIApp) -> None:
        async def send(message: Message) -> None:
            pass

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "method": "DELETE", "path": "/x/1", "query_string": b"", "headers": []}
        await AccessLog(app)(scope, receive, send)

    async def stopped() -> None:
        task = asyncio.ensure_future(call(hang))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    asyncio.run(call(answer))
    with pytest.raises(RuntimeError):
        asyncio.run(call(fail))
    asyncio.run(stopped())
    lines = [record.getMessage().rsplit(" ", 1)[0] for record in caplog.records if record.name == ACCESS_LOGGER]
    assert lines == ["DELETE /x/1 204 getThing", "DELETE /x/1 500 -", "DELETE /x/1 503 -"]
