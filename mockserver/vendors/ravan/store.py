"""Ravan's state: organisations, their org-level Cal.com accounts, and agents."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from ... import issued
from ...clock import iso

ACTIVE = "active"
INACTIVE = "inactive"
DEFAULT_API_BASE_URL = "https://api.cal.com/v2"
# The connect-agent page: a private account's display name defaults to "Default".
DEFAULT_PRIVATE_ACCOUNT_NAME = "Default"


def new_id() -> str:
    """A lowercase UUID4, as Ravan's ids are."""
    return str(uuid.uuid4())


def new_api_key() -> str:
    """A Cal.com-style API key."""
    return issued.register(f"cal_live_{secrets.token_hex(16)}")


def _key_prefix(key: str | None) -> str | None:
    return None if key is None else key[:12]


@dataclass
class Organization:
    id: str
    name: str
    plan_allows_calendar: bool = True


@dataclass
class CalcomAccount:
    """An org-level Cal.com account; disconnect soft-deletes it."""

    id: str
    org_id: str
    account_name: str
    api_key: str | None
    api_base_url: str = DEFAULT_API_BASE_URL
    status: str = ACTIVE
    deleted_at: float | None = None

    @property
    def usable(self) -> bool:
        """Active and not soft-deleted: an agent may link to it and book with it."""
        return self.status == ACTIVE and self.deleted_at is None

    def soft_delete(self, now: float) -> None:
        """Disconnect: inactive, key cleared, deleted time set (kept from the first disconnect)."""
        self.status = INACTIVE
        self.api_key = None
        if self.deleted_at is None:
            self.deleted_at = now

    def dump(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org_id": self.org_id,
            "account_name": self.account_name,
            "api_key_prefix": _key_prefix(self.api_key),
            "api_base_url": self.api_base_url,
            "status": self.status,
            "deleted_at": None if self.deleted_at is None else iso(self.deleted_at),
        }


@dataclass
class PrivateAccount:
    """An agent's own (white-label) Cal.com API key."""

    id: str
    api_key: str
    account_name: str = DEFAULT_PRIVATE_ACCOUNT_NAME
    api_base_url: str = DEFAULT_API_BASE_URL
    status: str = ACTIVE
    error: str | None = None

    def dump(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_name": self.account_name,
            "api_key_prefix": _key_prefix(self.api_key),
            "api_base_url": self.api_base_url,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class Agent:
    id: str
    org_id: str
    name: str
    calcom_account_id: str | None = None  # link to an org-level account
    private_account: PrivateAccount | None = None

    def dump(self) -> dict[str, Any]:
        private = None if self.private_account is None else self.private_account.dump()
        return {**asdict(self), "private_account": private}


@dataclass
class RavanStore:
    orgs: dict[str, Organization] = field(default_factory=dict)
    accounts: dict[str, CalcomAccount] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)

    def add_org(self, plan_allows_calendar: bool = True, name: str | None = None) -> Organization:
        org = Organization(new_id(), name or f"Organisation {len(self.orgs) + 1}", plan_allows_calendar)
        self.orgs[org.id] = org
        return org

    def add_account(self, org_id: str, account_name: str | None = None) -> CalcomAccount:
        number = sum(1 for account in self.accounts.values() if account.org_id == org_id) + 1
        account = CalcomAccount(new_id(), org_id, account_name or f"Cal.com account {number}", new_api_key())
        self.accounts[account.id] = account
        return account

    def add_agent(
        self,
        org_id: str,
        name: str | None = None,
        calcom_account_id: str | None = None,
        private_key: bool = False,
    ) -> Agent:
        agent = Agent(new_id(), org_id, name or f"Agent {len(self.agents) + 1}", calcom_account_id)
        if private_key:
            agent.private_account = PrivateAccount(new_id(), new_api_key())
        self.agents[agent.id] = agent
        return agent

    def org_accounts(self, org_id: str) -> list[CalcomAccount]:
        """The org-level accounts of an org, soft-deleted ones included."""
        return [account for account in self.accounts.values() if account.org_id == org_id]

    def agent_in_org(self, agent_id: str, org_id: str) -> Agent | None:
        agent = self.agents.get(agent_id)
        return agent if agent is not None and agent.org_id == org_id else None

    def account_in_org(self, account_id: str, org_id: str) -> CalcomAccount | None:
        account = self.accounts.get(account_id)
        return account if account is not None and account.org_id == org_id else None

    def restored(self) -> None:
        """Re-register the issued Cal.com API keys after decoding (so every worker masks them)."""
        for account_id, account in self.accounts.items():
            self.restored_entry("accounts", account_id, account)
        for agent_id, agent in self.agents.items():
            self.restored_entry("agents", agent_id, agent)

    def restored_entry(self, field: str, key: Any, value: Any) -> None:
        """One entry that arrived from another process (``self.<field>[key] = value`` already
        done): register the secrets it holds."""
        if field == "accounts" and value.api_key is not None:
            issued.register(value.api_key)
        elif field == "agents" and value.private_account is not None:
            issued.register(value.private_account.api_key)

    def dump(self) -> dict[str, Any]:
        return {
            "orgs": [
                {"id": o.id, "name": o.name, "plan_allows_calendar": o.plan_allows_calendar} for o in self.orgs.values()
            ],
            "calcom_accounts": [a.dump() for a in self.accounts.values()],
            "agents": [a.dump() for a in self.agents.values()],
        }
