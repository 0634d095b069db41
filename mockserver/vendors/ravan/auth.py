"""Ravan's auth: HS256 JWTs signed with a key only the fake holds, the organisation in ``org_id``."""

from __future__ import annotations

import secrets
from typing import Any

import jwt

from ...issued import register as register_secret
from . import envelope

ALGORITHM = "HS256"
LIFETIME_SECONDS = 3600.0
ORG_CLAIM = "org_id"


def new_signing_key() -> bytes:
    """A random HS256 key (32 bytes: PyJWT warns below that)."""
    return secrets.token_bytes(32)


def mint(key: bytes, org_id: str | None, now: float, *, expired: bool = False) -> str:
    """A signed token for ``org_id`` (no org claim when None), valid for an hour or already expired."""
    issued = int(now) - (2 * int(LIFETIME_SECONDS) if expired else 0)
    claims: dict[str, Any] = {"sub": f"user-{secrets.token_hex(6)}", "iat": issued}
    if org_id is not None:
        claims[ORG_CLAIM] = org_id
    claims["exp"] = issued + int(LIFETIME_SECONDS)
    return register_secret(jwt.encode(claims, key, algorithm=ALGORITHM))


def verify(key: bytes, token: str, now: float) -> dict[str, Any]:
    """The token's claims, or raises Ravan's 401.

    PyJWT checks ``exp`` against the wall clock, so the check is switched off there and done
    here against the fake's clock (``POST /__admin/clock`` expires tokens).
    """
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise envelope.unauthorized(envelope.BAD_SIGNATURE) from None
    except jwt.InvalidTokenError:
        raise envelope.unauthorized(envelope.MALFORMED_TOKEN) from None
    expires = claims.get("exp")
    if expires is not None:
        if isinstance(expires, bool) or not isinstance(expires, (int, float)):
            raise envelope.unauthorized(envelope.MALFORMED_TOKEN)
        if expires <= now:
            raise envelope.unauthorized(envelope.EXPIRED_TOKEN)
    org_id = claims.get(ORG_CLAIM)
    if org_id is not None and (not isinstance(org_id, str) or not org_id):
        raise envelope.unauthorized(envelope.MALFORMED_TOKEN)
    return claims


def check(key: bytes, token: str, now: float) -> dict[str, Any]:
    """Token info for a handler: the org (None without an org claim), the subject and the token."""
    if not token:
        raise envelope.unauthorized(envelope.MISSING_TOKEN)
    claims = verify(key, token, now)
    return {"org_id": claims.get(ORG_CLAIM), "sub": claims.get("sub"), "token": token}
