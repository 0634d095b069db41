"""Ravan's provider states: organisations, org-level Cal.com accounts and agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import AdminError
from ...interface import Param, ProviderState
from .store import Organization

if TYPE_CHECKING:
    from . import RavanVendor


def _tokens(vendor: RavanVendor, org_id: str) -> dict[str, str]:
    return {"jwt": vendor.issue_token(org_id)}


def _existing_org(vendor: RavanVendor, state: str, org_id: str) -> Organization:
    org = vendor.store.orgs.get(org_id)
    if org is None:
        raise AdminError(400, "invalid_params", f"ravan/{state}: unknown org_id {org_id!r}")
    return org


def _org(vendor: RavanVendor, params: dict[str, Any]) -> dict[str, Any]:
    org = vendor.store.add_org(params["plan_allows_calendar"])
    return {"org_id": org.id, "plan_allows_calendar": org.plan_allows_calendar, "tokens": _tokens(vendor, org.id)}


def _calcom_account(vendor: RavanVendor, params: dict[str, Any]) -> dict[str, Any]:
    if params["count"] < 1:
        raise AdminError(400, "invalid_params", "ravan/calcom_account: count must be at least 1")
    store = vendor.store
    org_id = params.get("org_id")
    org = store.add_org() if org_id is None else _existing_org(vendor, "calcom_account", org_id)
    ids = [store.add_account(org.id).id for _ in range(params["count"])]
    return {"org_id": org.id, "calcom_account_ids": ids, "tokens": _tokens(vendor, org.id)}


def _agent(vendor: RavanVendor, params: dict[str, Any]) -> dict[str, Any]:
    store = vendor.store
    org_id = params.get("org_id")
    account_id = params.get("calcom_account_id")
    if account_id is not None:
        account = store.accounts.get(account_id)
        if account is None:
            raise AdminError(400, "invalid_params", f"ravan/agent: unknown calcom_account_id {account_id!r}")
        if org_id is not None and org_id != account.org_id:
            raise AdminError(400, "invalid_params", "ravan/agent: calcom_account_id belongs to another org")
        org_id = account.org_id
    org = store.add_org() if org_id is None else _existing_org(vendor, "agent", org_id)
    agent = store.add_agent(org.id, calcom_account_id=account_id, private_key=params["private_key"])
    return {
        "agent_id": agent.id,
        "agent_name": agent.name,
        "org_id": org.id,
        "calcom_account_id": agent.calcom_account_id,
        "private_account_id": None if agent.private_account is None else agent.private_account.id,
        "tokens": _tokens(vendor, org.id),
    }


def provider_states(vendor: RavanVendor) -> dict[str, ProviderState]:
    """The Ravan states, bound to one vendor instance."""
    return {
        "org": ProviderState(
            "org",
            "An organisation (its plan includes calendar integration unless told otherwise).",
            {
                "plan_allows_calendar": Param(
                    "boolean", default=True, description="the plan's calendar integration flag"
                )
            },
            lambda params: _org(vendor, params),
        ),
        "calcom_account": ProviderState(
            "calcom_account",
            "`count` active org-level Cal.com accounts (in a new organisation unless org_id is given).",
            {
                "org_id": Param("string", description="add the accounts to this organisation; a new one otherwise"),
                "count": Param("integer", default=1, description="how many accounts to connect"),
            },
            lambda params: _calcom_account(vendor, params),
        ),
        "agent": ProviderState(
            "agent",
            "An agent, optionally linked to an org-level account and/or holding a private Cal.com key.",
            {
                "org_id": Param(
                    "string", description="the agent's organisation; the account's, or a new one, otherwise"
                ),
                "calcom_account_id": Param("string", description="link the agent to this org-level account"),
                "private_key": Param("boolean", default=False, description="give the agent a private Cal.com key"),
            },
            lambda params: _agent(vendor, params),
        ),
    }
