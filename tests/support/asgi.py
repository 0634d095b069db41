"""Calling an ASGI app in process (no socket), and the small app most unit tests serve.

Unit tests that need the whole request path (middleware, Connexion, dispatch, rendering) but not
a real server call the app through httpx's ASGI transport; integration tests use a real server
(``ServerThread`` / the ``fake_server`` fixture) instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
from starlette.types import ASGIApp

from mockserver.app import FakesApp, build_app
from mockserver.interface import Vendor

from .vendors import test_only_vendors

BASE_URL = "http://127.0.0.1:8080"
"""The address the in-process requests claim to go to (their Host header)."""

NOTES = "/tiny/v1/notes"
"""The tiny test vendor's one resource, prefix included."""


def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
    chunks: Iterable[bytes] | None = None,
) -> httpx.Response:
    """One request to ``app``, answered in process.

    ``chunks`` sends the body as a stream without ``Content-Length`` (chunked), one ASGI message
    per chunk.
    """

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks or ():
            yield chunk

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            body = stream() if chunks is not None else content
            return await client.request(method, path, headers=headers, json=json, content=body)

    return asyncio.run(send())


def tiny_vendor() -> type[Vendor]:
    """The tiny notes vendor of tests/vendors/ (one bearer token kind, notes by id)."""
    (vendor,) = [found for found in test_only_vendors() if found.name == "tiny"]
    return vendor


def tiny_app(*vendors: type[Vendor], fast_path: bool = True, validate_responses: bool = True) -> FakesApp:
    """An app serving only the given vendors (the tiny one by default), with response validation on."""
    return build_app(vendors=vendors or (tiny_vendor(),), fast_path=fast_path, validate_responses=validate_responses)


def note_and_token(app: FakesApp, text: str = "hello") -> tuple[str, dict[str, str]]:
    """A new note of the tiny vendor and the headers that read it."""
    data = app.admin.apply_state("tiny", "note", {"text": text})
    return data["note_id"], {"Authorization": f"Bearer {data['tokens']['token']}"}
