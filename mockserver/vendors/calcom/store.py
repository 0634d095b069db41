"""Cal.com's state: users, their credentials (integer ids), selected and destination calendars, tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from ... import issued
from .apps import APPLE, APPS, APPS_BY_TYPE

API_KEY = "api_key"
MANAGED_USER = "managed_user"
OAUTH = "oauth"
TOKEN_KINDS = (API_KEY, MANAGED_USER, OAUTH)


@dataclass
class User:
    id: int
    email: str
    username: str


@dataclass
class Credential:
    """A Credential row; ``account`` is the connected account's address (kept in the encrypted key)."""

    id: int
    type: str
    user_id: int | None
    app_id: str | None
    account: str
    invalid: bool = False
    team_id: int | None = None
    secret: str | None = None  # Apple's password; OAuth credentials hold provider tokens instead

    @property
    def calendar(self) -> str:
        """The ``{calendar}`` value of the credential's app."""
        return APPS_BY_TYPE[self.type].calendar

    def external_id(self) -> str:
        """The primary calendar's externalId: the address for OAuth calendars, a CalDAV URL for Apple."""
        if self.calendar == APPLE:
            return f"https://caldav.icloud.com/{self.id}/calendars/home/"
        return self.account

    def deleted_output(self) -> dict[str, Any]:
        """The six fields disconnect answers (DeletedCalendarCredentialsOutputDto)."""
        names = {"id": "id", "type": "type", "userId": "user_id", "teamId": "team_id", "appId": "app_id"}
        return {**{key: getattr(self, name) for key, name in names.items()}, "invalid": self.invalid}


@dataclass
class SelectedCalendar:
    user_id: int
    integration: str
    external_id: str
    credential_id: int


@dataclass
class DestinationCalendar:
    id: int
    user_id: int
    integration: str
    external_id: str
    primary_email: str | None
    credential_id: int | None
    event_type_id: int | None = None


@dataclass
class Token:
    token: str
    kind: str  # api_key | managed_user | oauth
    user_id: int
    expires_at: float | None = None
    scopes: list[str] = field(default_factory=list)


@dataclass
class OAuthCode:
    """A code the fake consent page handed out, redeemable once at ``/save``."""

    code: str
    calendar: str
    account: str | None


@dataclass
class CalcomStore:
    users: dict[int, User] = field(default_factory=dict)
    credentials: dict[int, Credential] = field(default_factory=dict)
    # The next two are by user id, so a request reads its own user's rows rather than every
    # user's. Only the methods below change them, always by storing a new list (never changing
    # one in place); credential_ids stays in step with ``credentials``. A team credential
    # (user_id None) is in neither.
    credential_ids: dict[int, list[int]] = field(default_factory=dict)
    selected_calendars: dict[int, list[SelectedCalendar]] = field(default_factory=dict)
    destination_calendars: dict[int, DestinationCalendar] = field(default_factory=dict)  # by user id
    tokens: dict[str, Token] = field(default_factory=dict)
    oauth_codes: dict[str, OAuthCode] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=lambda: {"user": 1, "credential": 1, "destination": 1})

    def _next(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    # -- users and tokens ---------------------------------------------------------------------
    def add_user(self, email: str | None = None) -> User:
        user_id = self._next("user")
        user = User(user_id, email or f"user{user_id}@example.com", f"user{user_id}")
        self.users[user_id] = user
        return user

    def issue_token(
        self, kind: str, user_id: int, expires_at: float | None = None, scopes: list[str] | None = None
    ) -> str:
        if kind == API_KEY:
            # Cal.com API keys are "cal_" (test) or "cal_live_" + 32 hex characters.
            token = "cal_" + secrets.token_hex(16)
        elif kind == OAUTH:
            token = "eyJ" + secrets.token_urlsafe(30)
        else:
            token = secrets.token_urlsafe(32)
        self.tokens[token] = Token(token, kind, user_id, expires_at, list(scopes or []))
        return issued.register(token)

    # -- credentials ----------------------------------------------------------------------------
    def user_credentials(self, user_id: int) -> list[Credential]:
        """The user's credentials in id order (the order Cal.com lists them)."""
        return [self.credentials[i] for i in sorted(self.credential_ids.get(user_id, ()))]

    def user_selected_calendars(self, user_id: int) -> list[SelectedCalendar]:
        """The user's selected calendars, oldest first."""
        return list(self.selected_calendars.get(user_id, ()))

    def add_credential(
        self, user_id: int | None, calendar: str, account: str, invalid: bool = False, secret: str | None = None
    ) -> Credential:
        app = APPS[calendar]
        credential = Credential(self._next("credential"), app.type, user_id, app.app_id, account, invalid, None, secret)
        self.credentials[credential.id] = credential
        if user_id is not None:
            self.credential_ids[user_id] = [*self.credential_ids.get(user_id, ()), credential.id]
        return credential

    def select_primary(self, credential: Credential) -> None:
        """Record the credential's primary calendar as selected (what the OAuth save does)."""
        user_id = credential.user_id
        assert user_id is not None
        selected = SelectedCalendar(user_id, credential.type, credential.external_id(), credential.id)
        self.selected_calendars[user_id] = [*self.selected_calendars.get(user_id, ()), selected]

    def is_selected(self, credential: Credential) -> bool:
        if credential.user_id is None:
            return False
        return any(
            s.credential_id == credential.id and s.external_id == credential.external_id()
            for s in self.selected_calendars.get(credential.user_id, ())
        )

    def delete_credential(self, credential_id: int) -> Credential:
        """Hard delete, with the rows that reference the credential (Prisma's onDelete: Cascade)."""
        credential = self.credentials.pop(credential_id)
        user_id = credential.user_id
        if user_id is None:
            # A team credential: any user's destination may name it.
            for owner, named in list(self.destination_calendars.items()):
                if named.credential_id == credential_id:
                    del self.destination_calendars[owner]
            return credential
        # An emptied list is dropped, so a user without rows has no entry.
        _set_or_drop(
            self.credential_ids, user_id, [i for i in self.credential_ids.get(user_id, ()) if i != credential_id]
        )
        selected = self.selected_calendars.get(user_id, [])
        if any(s.credential_id == credential_id for s in selected):
            _set_or_drop(self.selected_calendars, user_id, [s for s in selected if s.credential_id != credential_id])
        destination = self.destination_calendars.get(user_id)
        if destination is not None and destination.credential_id == credential_id:
            del self.destination_calendars[user_id]
        return credential

    def create_destination(
        self, user_id: int, integration: str, external_id: str, primary_email: str | None, credential_id: int | None
    ) -> DestinationCalendar:
        """The user's (new) destination calendar row."""
        destination = DestinationCalendar(
            self._next("destination"), user_id, integration, external_id, primary_email, credential_id
        )
        self.destination_calendars[user_id] = destination
        return destination

    def restored(self) -> None:
        """Re-register the issued secrets after decoding (so every worker masks them)."""
        for secret in [*self.tokens, *self.oauth_codes]:
            issued.register(secret)

    def restored_entry(self, field: str, key: Any, value: Any) -> None:
        """One entry that arrived from another process (``self.<field>[key] = value`` already
        done): register the secrets it holds."""
        if field in ("tokens", "oauth_codes"):
            issued.register(key)

    def dump(self) -> dict[str, Any]:
        return {
            "users": [asdict(u) for u in self.users.values()],
            "credentials": [
                {k: v for k, v in asdict(c).items() if k != "secret"} | {"key_fingerprint": _fingerprint(c.secret)}
                for c in sorted(self.credentials.values(), key=lambda c: c.id)
            ],
            # Oldest first across users: a calendar is selected only as its credential is created,
            # so credential id order is creation order.
            "selected_calendars": [
                asdict(s)
                for s in sorted(
                    (s for rows in self.selected_calendars.values() for s in rows), key=lambda s: s.credential_id
                )
            ],
            "destination_calendars": [asdict(d) for d in self.destination_calendars.values()],
            "tokens": [
                {"kind": t.kind, "user_id": t.user_id, "expires_at": t.expires_at, "scopes": t.scopes}
                | {"token_prefix": t.token[:6]}
                for t in self.tokens.values()
            ],
            "pending_oauth_codes": len(self.oauth_codes),
        }


def _set_or_drop(table: dict[int, list[Any]], key: int, rows: list[Any]) -> None:
    if rows:
        table[key] = rows
    else:
        table.pop(key, None)


def _fingerprint(secret: str | None) -> str | None:
    """A short hash that shows a stored password changed without showing it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12] if secret is not None else None
