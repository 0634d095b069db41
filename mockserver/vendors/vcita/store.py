"""vcita's state: Business -> Staff -> at most one CalendarSync per staff, plus tokens."""

from __future__ import annotations

import operator
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from ... import issued

PROVIDER_APP_CODES = {"google_v3": "googlewaysync", "outlook_v1.0": "outlookwaysync"}

# What disconnect does to provider and account (setting ``disconnect_result``).
CLEAR = "clear"  # seed 004's expected response: both null
KEEP = "keep"  # the legacy swagger's example: both kept


def new_uid() -> str:
    """A vcita-style uid: 16 lowercase hex characters (e.g. ``f67acee343b4a38b``)."""
    return secrets.token_hex(8)


@dataclass
class Business:
    uid: str
    name: str


@dataclass
class Staff:
    uid: str
    business_uid: str
    name: str


PUBLIC_FIELDS = (
    "uid", "staff_uid", "provider", "account", "enabled", "should_import", "should_export",
    "is_external_app", "is_private_import", "is_private_export", "is_staff_disable_ics",
    "is_business_disable_ics",
)  # fmt: skip
"""A CalendarSync's fields as vcita answers them, in its order."""
_public_values = operator.attrgetter(*PUBLIC_FIELDS)


@dataclass
class CalendarSync:
    uid: str
    staff_uid: str
    provider: str | None
    account: str | None = None
    # vcita creates a sync disabled and unbound; the first connect binds and enables it.
    enabled: bool = False
    app_code_name: str | None = None
    should_import: bool = True
    should_export: bool = False
    # The calendar_syncs endpoint creates a CalendarSync::ExternalAppSync.
    is_external_app: bool = True
    is_private_import: bool = False
    is_private_export: bool = False
    is_staff_disable_ics: bool = False
    is_business_disable_ics: bool = False

    def public(self) -> dict[str, Any]:
        """The twelve fields of vcita's swagger examples and verified connect workflow."""
        return dict(zip(PUBLIC_FIELDS, _public_values(self), strict=True))

    @property
    def registered(self) -> bool:
        """Bound to a provider (a disconnected sync is not)."""
        return self.provider is not None


@dataclass
class Token:
    token: str
    kind: str  # staff | app | admin
    business_uid: str
    staff_uid: str | None = None
    expires_at: float | None = None


@dataclass
class VcitaStore:
    businesses: dict[str, Business] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    syncs: dict[str, CalendarSync] = field(default_factory=dict)  # by staff uid
    tokens: dict[str, Token] = field(default_factory=dict)

    def add_business(self, name: str | None = None) -> Business:
        business = Business(new_uid(), name or "Test Business")
        self.businesses[business.uid] = business
        return business

    def add_staff(self, business_uid: str, name: str | None = None) -> Staff:
        staff = Staff(new_uid(), business_uid, name or "Test Staff")
        self.staff[staff.uid] = staff
        return staff

    def create_sync(self, staff_uid: str, provider: str, **flags: Any) -> CalendarSync:
        """A fresh sync for the staff member; an existing one is destroyed first."""
        sync = CalendarSync(new_uid(), staff_uid, provider, app_code_name=PROVIDER_APP_CODES.get(provider), **flags)
        self.syncs[staff_uid] = sync
        return sync

    def issue_token(self, kind: str, business_uid: str, staff_uid: str | None, expires_at: float | None) -> str:
        token = issued.register(secrets.token_hex(20))
        self.tokens[token] = Token(token, kind, business_uid, staff_uid, expires_at)
        return token

    def restored(self) -> None:
        """Re-register the issued tokens after decoding (so every worker masks them)."""
        for token in self.tokens:
            issued.register(token)

    def restored_entry(self, field: str, key: Any, value: Any) -> None:
        """One entry that arrived from another process (``self.<field>[key] = value`` already
        done): register the secrets it holds."""
        if field == "tokens":
            issued.register(key)

    def dump(self) -> dict[str, Any]:
        return {
            "businesses": [asdict(b) for b in self.businesses.values()],
            "staff": [asdict(s) for s in self.staff.values()],
            "calendar_syncs": [asdict(s) for s in self.syncs.values()],
            "tokens": [
                {k: v for k, v in asdict(t).items() if k != "token"} | {"token_prefix": t.token[:6]}
                for t in self.tokens.values()
            ],
        }
