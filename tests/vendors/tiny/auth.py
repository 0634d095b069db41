"""Bearer tokens the tiny vendor issued; anything else is its 401."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import envelope

if TYPE_CHECKING:
    from . import TinyVendor


def check(vendor: TinyVendor, credential: str) -> dict[str, Any]:
    """The token's info for the handler; raises the vendor's 401."""
    with vendor.lock:
        expires_at = vendor.store.tokens.get(credential, "unknown")
    if expires_at == "unknown" or (isinstance(expires_at, float) and expires_at <= vendor.clock.now()):
        raise envelope.error(401, "bad token")
    return {"token": credential}
