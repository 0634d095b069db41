"""What each API needs before Schemathesis can reach past its auth layer and its "not found"s.

A :class:`FuzzSetup` says, per API, which provider states build the prerequisites on a fake,
which credential goes to which operations, and which known values (ids that exist on the
target) the generator should sometimes use instead of random strings. On a fake everything
comes from the control plane; on a real target the same names come from environment variables
(:func:`env_name`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Given:
    """A provider state to apply on a fake; its answer is kept under ``name``.

    A parameter written ``"{{other.key}}"`` takes the value an earlier state answered.
    """

    name: str
    state: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Credential:
    """A token, and the operations it authenticates.

    Args:
        role: the token's name (``staff``, ``admin``); also names its environment variable.
        scheme: the security scheme (in ``components.securitySchemes``) that carries it.
        source: where a fake's provider state answer holds it (``sync.tokens.staff``).
        operations: only these operationIds (default: every operation that accepts ``scheme``
            and is not claimed by an earlier credential).
        prefix: written before the token (Recall's ``Token `` for workspace keys).
    """

    role: str
    scheme: str
    source: str
    operations: tuple[str, ...] = ()
    prefix: str = ""


@dataclass(frozen=True)
class Known:
    """A value that exists on the target, offered to the generator for some request fields.

    Args:
        name: the value's name; also names its environment variable.
        source: where a fake's provider state answer holds it.
        fields: Schemathesis parameter keys (``body.staff_uid``, ``path.credentialId``) it fills.
        probability: how often a generated value is replaced by this one; the rest stay random,
            so the field is still fuzzed.
    """

    name: str
    source: str
    fields: tuple[str, ...]
    probability: float = 0.5


@dataclass(frozen=True)
class FuzzSetup:
    """Everything the runner needs to know about one API beyond its spec."""

    api: str
    spec_file: str
    prefix: str
    given: tuple[Given, ...] = ()
    credentials: tuple[Credential, ...] = ()
    known: tuple[Known, ...] = ()
    fake_only: bool = False
    """The API exists only on the fakes (the control plane); real targets skip it."""


def env_name(api: str, name: str, *, token: bool = False) -> str:
    """The environment variable that supplies ``name`` for ``api`` on a real target.

    ``env_name("vcita", "staff", token=True)`` is ``MOCKSERVER_FUZZ_VCITA_STAFF_TOKEN``.
    """
    suffix = "_TOKEN" if token else ""
    return f"MOCKSERVER_FUZZ_{api.upper()}_{name.upper()}{suffix}"


VCITA = FuzzSetup(
    api="vcita",
    spec_file="vcita.yaml",
    prefix="/vcita",
    given=(Given("sync", "calendar_sync", {"provider": "google_v3", "account": None}),),
    credentials=(
        # The platform endpoint takes an admin token; the public actions take staff/app tokens.
        Credential("admin", "bearerAuth", "sync.tokens.admin", operations=("createCalendarSync",)),
        Credential("staff", "bearerAuth", "sync.tokens.staff"),
    ),
    known=(Known("staff_uid", "sync.staff_uid", ("body.staff_uid",)),),
)

RECALL = FuzzSetup(
    api="recall",
    spec_file="recall.yaml",
    prefix="/recall",
    given=(Given("user", "calendar_user", {"google": "user@example.com", "microsoft": "user@example.org"}),),
    credentials=(
        Credential("workspace", "workspaceApiKey", "user.tokens.workspace", prefix="Token "),
        Credential("calendar", "calendarAuthToken", "user.tokens.calendar"),
    ),
    known=(Known("user_id", "user.external_id", ("body.user_id",)),),
)

CALCOM = FuzzSetup(
    api="calcom",
    spec_file="calcom.yaml",
    prefix="/calcom",
    given=(Given("calendars", "connected_calendar", {"type": "google", "count": 3}),),
    credentials=(Credential("api_key", "bearer", "calendars.tokens.api_key"),),
    known=(Known("credential_id", "calendars.credential_ids.0", ("body.id",)),),
)

RAVAN = FuzzSetup(
    api="ravan",
    spec_file="ravan.yaml",
    prefix="/ravan",
    given=(
        Given("accounts", "calcom_account", {"count": 3}),
        Given(
            "agent",
            "agent",
            {"org_id": "{{accounts.org_id}}", "calcom_account_id": "{{accounts.calcom_account_ids.0}}"},
        ),
    ),
    credentials=(Credential("jwt", "BearerAuth", "accounts.tokens.jwt"),),
    known=(
        Known("agent_id", "agent.agent_id", ("path.agent_id",)),
        Known("org_id", "accounts.org_id", ("body.org_id", "query.org_id")),
        Known("calcom_account_id", "accounts.calcom_account_ids.1", ("body.calcom_account_id",)),
        Known("provider_id", "accounts.calcom_account_ids.2", ("body.provider_id",)),
    ),
)

ADMIN = FuzzSetup(api="admin", spec_file="admin.yaml", prefix="/__admin", fake_only=True)

SETUPS: dict[str, FuzzSetup] = {setup.api: setup for setup in (VCITA, RECALL, CALCOM, RAVAN, ADMIN)}
"""Every API the runner knows how to prepare, by name."""
