"""Recall's state: workspaces (with API keys) -> calendar users -> one connection per platform.

Calendar auth tokens are stateless, as Recall describes them: signed tokens naming the calendar
user, checked against the store's signing key and the fake's clock. The store keeps no list of
them, so minting many costs no memory, and a reset (new key) invalidates all of them.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt

from ... import issued

PLATFORMS = ("google", "microsoft")
CALENDAR_TOKEN_LIFETIME = 24 * 3600
# Verified tokens remembered per store; past this many the memory is dropped and rebuilt.
TOKEN_MEMORY_LIMIT = 10_000
DEFAULT_BOT_NAME = "Meeting Notetaker"
PREFERENCE_FLAGS = (
    "record_non_host",
    "record_recurring",
    "record_external",
    "record_internal",
    "record_confirmed",
    "record_only_host",
)


def new_id() -> str:
    """A Recall-style id: a UUID4 string."""
    return str(uuid.uuid4())


@dataclass
class Workspace:
    id: str
    api_keys: list[str] = field(default_factory=list)


@dataclass
class Connection:
    platform: str
    connected: bool = False
    email: str | None = None
    id: str | None = None

    def public(self) -> dict[str, Any]:
        return {"platform": self.platform, "connected": self.connected, "email": self.email, "id": self.id}


@dataclass
class Preferences:
    id: str
    record_non_host: bool = False
    record_recurring: bool = False
    record_external: bool = False
    record_internal: bool = False
    record_confirmed: bool = False
    record_only_host: bool = False
    bot_name: str = DEFAULT_BOT_NAME

    def public(self) -> dict[str, Any]:
        return {"id": self.id, **{flag: getattr(self, flag) for flag in PREFERENCE_FLAGS}, "bot_name": self.bot_name}


@dataclass
class CalendarUser:
    id: str
    workspace_id: str
    external_id: str
    preferences: Preferences
    connections: dict[str, Connection]

    def public(self) -> dict[str, Any]:
        """The CalendarUser object as the API answers it."""
        return {
            "id": self.id,
            "external_id": self.external_id,
            "connections": [self.connections[p].public() for p in PLATFORMS],
            "preferences": self.preferences.public(),
        }


@dataclass(frozen=True)
class CalendarToken:
    """What a valid calendar auth token says."""

    calendar_user_id: str
    workspace_id: str
    expires_at: float


@dataclass
class RecallStore:
    signing_key: str = field(default_factory=lambda: secrets.token_hex(32))
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)  # key -> workspace id
    users: dict[str, CalendarUser] = field(default_factory=dict)  # insertion order = creation order
    default_workspace_id: str | None = None
    # A token's signature check is the costliest step of a calendar request (PyJWT's base64 and
    # HMAC work, about a third of the request's CPU), and its outcome depends only on the token
    # and this store's key, so each verified token is checked once. Expiry stays the caller's
    # check against the fake's clock on every request. Only a cache: entries are keyed by the
    # signing key too, so one verified under a key this store no longer has (a reset another
    # process made) is never found, and it holds no store entity.
    _verified_tokens: dict[tuple[str, str], CalendarToken] = field(default_factory=dict, repr=False, compare=False)

    # -- workspaces ---------------------------------------------------------------------------
    def add_workspace(self) -> Workspace:
        """A new workspace with one API key."""
        workspace = Workspace(new_id())
        self.workspaces[workspace.id] = workspace
        self.issue_api_key(workspace.id)
        return workspace

    def default_workspace(self) -> Workspace:
        """The workspace used when a set-up step names none (created on first use)."""
        if self.default_workspace_id is None:
            self.default_workspace_id = self.add_workspace().id
        return self.workspaces[self.default_workspace_id]

    def issue_api_key(self, workspace_id: str) -> str:
        """Another API key for the workspace (40 hex characters, like Recall's keys)."""
        key = issued.register(secrets.token_hex(20))
        self.api_keys[key] = workspace_id
        self.workspaces[workspace_id].api_keys.append(key)
        return key

    @staticmethod
    def revoked_api_key() -> str:
        """A key in Recall's format that no workspace holds (any more)."""
        return issued.register(secrets.token_hex(20))

    # -- calendar users -----------------------------------------------------------------------
    def find_user(self, workspace_id: str, external_id: str) -> CalendarUser | None:
        for user in self.users.values():
            if user.workspace_id == workspace_id and user.external_id == external_id:
                return user
        return None

    def get_or_create_user(self, workspace_id: str, external_id: str) -> CalendarUser:
        """The workspace's calendar user with this external id, created if unknown."""
        user = self.find_user(workspace_id, external_id)
        if user is None:
            user = CalendarUser(
                new_id(),
                workspace_id,
                external_id,
                Preferences(new_id()),
                {platform: Connection(platform) for platform in PLATFORMS},
            )
            self.users[user.id] = user
        return user

    def delete_user(self, user_id: str) -> None:
        """Remove the user with its preferences and connections."""
        del self.users[user_id]

    @staticmethod
    def connect(user: CalendarUser, platform: str, email: str) -> Connection:
        """Complete a platform's OAuth connection (a new account id on every connect)."""
        connection = user.connections[platform]
        connection.connected, connection.email, connection.id = True, email, new_id()
        return connection

    @staticmethod
    def disconnect(user: CalendarUser, platform: str) -> None:
        """Drop a platform's connection; a platform that was not connected stays as it is."""
        connection = user.connections[platform]
        if connection.connected:
            connection.connected, connection.email, connection.id = False, None, None

    # -- calendar auth tokens -----------------------------------------------------------------
    def issue_calendar_token(self, user: CalendarUser, issued_at: float) -> str:
        """A calendar auth token for the user, valid for 24 hours from ``issued_at``."""
        claims = {
            "calendar_user_id": user.id,
            "workspace_id": user.workspace_id,
            "iat": int(issued_at),
            "exp": int(issued_at) + CALENDAR_TOKEN_LIFETIME,
            "jti": secrets.token_hex(8),
        }
        return issued.register(jwt.encode(claims, self.signing_key, algorithm="HS256"))

    def read_calendar_token(self, token: str) -> CalendarToken | None:
        """What the token says, or None when it was not issued by this store."""
        remembered = (self.signing_key, token)
        known = self._verified_tokens.get(remembered)
        if known is not None:
            return known
        claims = self._verify_calendar_token(token)
        if claims is not None:
            if len(self._verified_tokens) >= TOKEN_MEMORY_LIMIT:
                self._verified_tokens.clear()
            self._verified_tokens[remembered] = claims
        return claims

    def _verify_calendar_token(self, token: str) -> CalendarToken | None:
        try:
            claims = jwt.decode(
                token,
                self.signing_key,
                algorithms=["HS256"],
                # Expiry is checked against the fake's clock by the caller, not the wall clock.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError:
            return None
        try:
            return CalendarToken(str(claims["calendar_user_id"]), str(claims["workspace_id"]), float(claims["exp"]))
        except (KeyError, TypeError, ValueError):
            return None

    # -- control plane ------------------------------------------------------------------------
    def restored(self) -> None:
        """Re-register the issued API keys after decoding (so every worker masks them)."""
        for key in self.api_keys:
            issued.register(key)

    def restored_entry(self, field: str, key: Any, value: Any) -> None:
        """One entry that arrived from another process (``self.<field>[key] = value`` already
        done): register the secrets it holds."""
        if field == "api_keys":
            issued.register(key)
        elif field == "workspaces":
            for api_key in value.api_keys:
                issued.register(api_key)

    def dump(self) -> dict[str, Any]:
        return {
            "workspaces": [
                {"id": w.id, "api_key_prefixes": [key[:6] for key in w.api_keys]} for w in self.workspaces.values()
            ],
            "calendar_users": [{"workspace_id": u.workspace_id, **u.public()} for u in self.users.values()],
        }
