"""Ravan CalComService operations, by operationId. Each runs with the vendor's lock held."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...interface import Call, HandlerTable, Reply
from . import envelope
from .store import Agent, Organization

if TYPE_CHECKING:
    from . import RavanVendor

OPERATIONS = HandlerTable()
"""This fake's handlers by operationId."""


def _uuid(value: str, name: str) -> str:
    """``value`` if it is a UUID; the spec says ``format: uuid``, which Draft 4 does not check."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise envelope.invalid(f"Invalid {name}") from None
    return value


def _claimed_org(call: Call) -> str | None:
    assert call.auth is not None  # every CalComService route requires a JWT
    org_id: str | None = call.auth["org_id"]
    return org_id


def _gate(vendor: RavanVendor, org_id: str) -> Organization:
    """The org, if its plan includes calendar integration (an unknown org fails the same check)."""
    org = vendor.store.orgs.get(org_id)
    if org is None or not org.plan_allows_calendar:
        raise envelope.forbidden()
    return org


def _org_context(vendor: RavanVendor, call: Call) -> Organization:
    """The org from the JWT claim, else from ``?org_id=`` (the documented fallback)."""
    org_id = _claimed_org(call) or call.params.get("org_id")
    if not org_id:
        raise envelope.invalid(envelope.MISSING_ORG)
    return _gate(vendor, org_id)


def _agent(vendor: RavanVendor, agent_id: str, org: Organization) -> Agent:
    agent = vendor.store.agent_in_org(agent_id, org.id)
    if agent is None:
        raise envelope.not_found(envelope.AGENT_NOT_FOUND)
    return agent


@OPERATIONS.serves("DisconnectCalcom")
def disconnect_calcom(vendor: RavanVendor, call: Call) -> Reply:
    body: dict[str, Any] = call.body
    org_id: str = body["org_id"]
    claimed = _claimed_org(call)
    if claimed is not None and claimed != org_id:
        raise envelope.forbidden(envelope.ORG_MISMATCH)
    org = _gate(vendor, org_id)
    # An empty provider_id is read as no provider_id (every org-level account), as a backend
    # that tests the value for truth would (inferred; seed 000 types it as a plain optional string).
    provider_id = body.get("provider_id") or None
    now = vendor.clock.now()
    for account in vendor.store.org_accounts(org.id):
        if provider_id is None or account.id == provider_id:
            account.soft_delete(now)
    return Reply(envelope.success(envelope.DISCONNECTED))


@OPERATIONS.serves("AssignAgentCalcomAccount")
def assign_agent_account(vendor: RavanVendor, call: Call) -> Reply:
    agent_id = _uuid(call.params["agent_id"], "agent_id")
    account_id: str | None = call.body["calcom_account_id"]
    if account_id is not None:
        _uuid(account_id, "calcom_account_id")
    org = _org_context(vendor, call)
    agent = _agent(vendor, agent_id, org)
    if agent.private_account is not None:
        raise envelope.error(409, envelope.PRIVATE_KEY_CONFLICT, envelope.CONFLICT)
    if account_id is not None:
        account = vendor.store.account_in_org(account_id, org.id)
        if account is None or not account.usable:
            raise envelope.not_found(envelope.ACCOUNT_NOT_FOUND)
    agent.calcom_account_id = account_id
    data = {"agent_id": agent.id, "agent_name": agent.name, "calcom_account_id": agent.calcom_account_id}
    return Reply(envelope.success(envelope.ACCOUNT_UPDATED, data))


def effective_account(vendor: RavanVendor, agent: Agent) -> dict[str, Any]:
    """The agent's effective Cal.com connection: private key, then org link, then none."""
    private = agent.private_account
    if private is not None:
        return {
            "connected": True,
            "type": "agent",
            "calcom_account_id": private.id,
            "account_name": private.account_name,
            "status": private.status,
            "api_base_url": private.api_base_url,
        }
    linked = vendor.store.accounts.get(agent.calcom_account_id) if agent.calcom_account_id else None
    if linked is not None and linked.usable:
        return {
            "connected": True,
            "type": "org_linked",
            "calcom_account_id": linked.id,
            "account_name": linked.account_name,
            "status": linked.status,
            "api_base_url": linked.api_base_url,
        }
    return {"connected": False, "type": "none"}


@OPERATIONS.serves("GetAgentCalcomAccount", "GetAgentCalcomInfo")
def agent_info(vendor: RavanVendor, call: Call) -> Reply:
    agent_id = _uuid(call.params["agent_id"], "agent_id")
    org = _org_context(vendor, call)
    agent = _agent(vendor, agent_id, org)
    return Reply(envelope.success(envelope.INFO_RETRIEVED, effective_account(vendor, agent)))


@OPERATIONS.serves("GetAgentCalcomStatus")
def agent_status(vendor: RavanVendor, call: Call) -> Reply:
    agent_id = _uuid(call.params["agent_id"], "agent_id")
    claimed = _claimed_org(call)
    if claimed is None:
        # The status page lists no org_id parameter: the org is the agent's own.
        found = vendor.store.agents.get(agent_id)
        if found is None:
            raise envelope.not_found(envelope.AGENT_NOT_FOUND)
        claimed = found.org_id
    org = _gate(vendor, claimed)
    agent = _agent(vendor, agent_id, org)
    private = agent.private_account
    if private is None:
        data = {"connected": False, "status": "not_connected", "accounts": []}
        return Reply(envelope.success(envelope.NO_AGENT_CONNECTION, data))
    entry = {"id": private.id, "account_name": private.account_name, "status": private.status, "error": private.error}
    data = {"connected": True, "status": "connected", "accounts": [entry]}
    return Reply(envelope.success(envelope.STATUS_RETRIEVED, data))
