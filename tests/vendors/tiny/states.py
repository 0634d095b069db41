"""The tiny vendor's provider state: a note and a token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver.interface import Param, ProviderState

if TYPE_CHECKING:
    from . import TinyVendor


def provider_states(vendor: TinyVendor) -> Mapping[str, ProviderState]:
    """``note``: one note and a token that reads it."""

    def note(params: dict[str, Any]) -> dict[str, Any]:
        created = vendor.store.add_note(params["text"])
        return {"note_id": created.id, "tokens": {"token": vendor.store.issue_token(None)}}

    return {
        "note": ProviderState(
            "note", "a note and a token", {"text": Param("string", default="hello", description="its text")}, note
        )
    }
