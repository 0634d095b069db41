"""Small HTTP helpers for tests that call the fakes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from mockserver.admin import Admin


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def raw(content: bytes, content_type: str = "application/json") -> dict[str, Any]:
    """httpx keyword arguments that send ``content`` as it is, labelled ``content_type``."""
    return {"content": content, "headers": {"Content-Type": content_type}}


class Refusals:
    """Requests one fake must refuse, each checked to leave that fake's state as it found it."""

    def __init__(self, client: httpx.Client, admin: Admin, api: str) -> None:
        self.client = client
        self.admin = admin
        self.api = api

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Sends the request; asserts the fake's state did not change; answers the response."""
        before = self.admin.state(self.api)
        response = self.client.request(method, path, **kwargs)
        assert self.admin.state(self.api) == before, f"{method} {path} changed the {self.api} fake's state"
        return response

    def send(self, auth: Mapping[str, str], method: str, path: str, case: Mapping[str, Any]) -> httpx.Response:
        """Sends a case's httpx keyword arguments, its own headers added to ``auth``, as :meth:`request` does."""
        kwargs = dict(case)
        headers = {**auth, **kwargs.pop("headers", {})}
        return self.request(method, path, headers=headers, **kwargs)
