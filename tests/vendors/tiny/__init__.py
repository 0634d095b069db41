"""Registration of the tiny notes vendor: a fake that exists only in the tests.

It has every module a vendor package has (auth, store, handlers, envelope, states) and its
fuzz set-up in its spec; tests/support/vendors.py finds it, and the conformance, equivalence
and fuzz tests run over it with the real vendors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver.errors import Problem, VendorError
from mockserver.interface import Call, ProviderState, Vendor
from mockserver.ratelimit import Limit

from . import auth, envelope, handlers, states
from .store import NotesStore


class TinyVendor(Vendor):
    """Notes behind one bearer token kind."""

    name = "tiny"
    title = "Tiny notes (test only)"
    spec_file = str(Path(__file__).with_name("tiny.yaml"))
    handlers = handlers.OPERATIONS
    default_settings = {"shout": False}
    settings_schema = {"shout": {"type": "boolean"}}
    # One bucket per token, as most vendors count; the tests lower it to see 429s.
    rate_limits = {"token": Limit(50, 1.0)}
    token_kinds = ("token",)

    store_class = NotesStore
    store: NotesStore

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        return auth.check(self, credential)

    def render(self, problem: Problem, path: str) -> VendorError:
        return envelope.render(problem)

    def rate_limit_keys(self, call: Call) -> dict[str, str]:
        assert call.auth is not None  # every tiny operation needs a token
        return {"token": call.auth["token"]}

    @property
    def provider_states(self) -> Mapping[str, ProviderState]:
        return states.provider_states(self)

    def mint_token(self, kind: str, params: dict[str, Any], expired: bool) -> str:
        return self.store.issue_token(self.clock.now() - 1 if expired else None)


VENDOR = TinyVendor
