"""Small HTTP helpers for tests that call the fakes."""

from __future__ import annotations


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}
