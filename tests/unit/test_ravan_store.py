"""The Ravan fake without sockets: store, JWTs, envelope, token minting and provider states."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from mockserver.admin import InProcessAdmin
from mockserver.clock import Clock
from mockserver.errors import AdminError, Problem, VendorError
from mockserver.runtime import Runtime
from mockserver.vendors.ravan import RavanVendor, auth, envelope
from mockserver.vendors.ravan.handlers import effective_account
from mockserver.vendors.ravan.store import ACTIVE, INACTIVE, RavanStore


@pytest.fixture
def vendor() -> RavanVendor:
    return RavanVendor(Clock())


@pytest.fixture
def admin() -> InProcessAdmin:
    return InProcessAdmin(Runtime([RavanVendor]))


def unauthorized(exc: pytest.ExceptionInfo[VendorError], message: str) -> None:
    assert exc.value.status == 401
    assert exc.value.body == {"success": False, "message": message}


# -- store ------------------------------------------------------------------------------------------
def test_soft_delete_clears_key_and_keeps_the_first_deleted_time() -> None:
    store = RavanStore()
    org = store.add_org()
    account = store.add_account(org.id)
    assert account.usable and account.api_key is not None and account.api_key.startswith("cal_live_")
    account.soft_delete(100.0)
    assert (account.status, account.api_key, account.deleted_at) == (INACTIVE, None, 100.0)
    assert not account.usable
    account.soft_delete(200.0)
    assert account.deleted_at == 100.0
    dumped = store.dump()["calcom_accounts"][0]
    assert dumped["status"] == INACTIVE and dumped["api_key_prefix"] is None
    assert dumped["deleted_at"] == "1970-01-01T00:01:40.000Z"


def test_lookups_are_scoped_to_the_org() -> None:
    store = RavanStore()
    mine, theirs = store.add_org(), store.add_org()
    account = store.add_account(theirs.id)
    agent = store.add_agent(theirs.id)
    assert store.account_in_org(account.id, mine.id) is None
    assert store.agent_in_org(agent.id, mine.id) is None
    assert store.account_in_org(account.id, theirs.id) is account
    assert store.agent_in_org(agent.id, theirs.id) is agent
    assert store.org_accounts(mine.id) == []


def test_dump_never_shows_whole_keys() -> None:
    store = RavanStore()
    org = store.add_org()
    account = store.add_account(org.id)
    agent = store.add_agent(org.id, private_key=True)
    dumped = store.dump()
    assert account.api_key is not None and account.api_key not in str(dumped)
    assert agent.private_account is not None and agent.private_account.api_key not in str(dumped)
    assert dumped["calcom_accounts"][0]["api_key_prefix"] == account.api_key[:12]


def test_effective_account_priority(vendor: RavanVendor) -> None:
    store = vendor.store
    org = store.add_org()
    account = store.add_account(org.id, "Sales")
    both = store.add_agent(org.id, calcom_account_id=account.id, private_key=True)
    linked = store.add_agent(org.id, calcom_account_id=account.id)
    bare = store.add_agent(org.id)
    assert both.private_account is not None
    assert effective_account(vendor, both) == {
        "connected": True,
        "type": "agent",
        "calcom_account_id": both.private_account.id,
        "account_name": "Default",
        "status": ACTIVE,
        "api_base_url": "https://api.cal.com/v2",
    }
    assert effective_account(vendor, linked)["type"] == "org_linked"
    assert effective_account(vendor, linked)["calcom_account_id"] == account.id
    assert effective_account(vendor, bare) == {"connected": False, "type": "none"}
    account.soft_delete(1.0)
    assert effective_account(vendor, linked) == {"connected": False, "type": "none"}
    assert effective_account(vendor, both)["type"] == "agent"


# -- JWTs -------------------------------------------------------------------------------------------
def test_token_round_trip_with_and_without_org(vendor: RavanVendor) -> None:
    now = vendor.clock.now()
    token = auth.mint(vendor.signing_key, "org-1", now)
    info = auth.check(vendor.signing_key, token, now)
    assert info["org_id"] == "org-1" and info["token"] == token and info["sub"].startswith("user-")
    claims = jwt.decode(token, vendor.signing_key, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == auth.LIFETIME_SECONDS
    bare = auth.mint(vendor.signing_key, None, now)
    assert auth.check(vendor.signing_key, bare, now)["org_id"] is None


def test_expiry_follows_the_fake_clock(vendor: RavanVendor) -> None:
    token = vendor.issue_token("org-1")
    assert vendor.authenticate("bearer", token, {}, "DisconnectCalcom")
    vendor.clock.advance(auth.LIFETIME_SECONDS + 1)
    with pytest.raises(VendorError) as exc:
        vendor.authenticate("bearer", token, {}, "DisconnectCalcom")
    unauthorized(exc, envelope.EXPIRED_TOKEN)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", envelope.MISSING_TOKEN),
        ("not-a-jwt", envelope.MALFORMED_TOKEN),
        ("a.b.c", envelope.MALFORMED_TOKEN),
        (jwt.encode({"org_id": "o"}, None, algorithm="none"), envelope.MALFORMED_TOKEN),
        (jwt.encode({"org_id": "o"}, b"k" * 48, algorithm="HS384"), envelope.MALFORMED_TOKEN),
        (jwt.encode({"org_id": "o"}, b"another key of thirty-two bytes!", algorithm="HS256"), envelope.BAD_SIGNATURE),
    ],
    ids=["empty", "garbage", "three-parts", "alg-none", "hs384", "wrong-key"],
)
def test_bad_tokens_are_401_without_code(vendor: RavanVendor, token: str, message: str) -> None:
    with pytest.raises(VendorError) as exc:
        vendor.authenticate("bearer", token, {}, "GetAgentCalcomInfo")
    unauthorized(exc, message)


@pytest.mark.parametrize(
    "claims",
    [{"org_id": "o", "exp": "tomorrow"}, {"org_id": 7}, {"org_id": ""}, {"org_id": "o", "exp": True}],
    ids=["exp-string", "org-int", "org-empty", "exp-bool"],
)
def test_mistyped_claims_are_malformed(vendor: RavanVendor, claims: dict[str, Any]) -> None:
    token = jwt.encode(claims, vendor.signing_key, algorithm="HS256")
    with pytest.raises(VendorError) as exc:
        vendor.authenticate("bearer", token, {}, "GetAgentCalcomInfo")
    unauthorized(exc, envelope.MALFORMED_TOKEN)


def test_signing_key_survives_reset(vendor: RavanVendor) -> None:
    token = vendor.issue_token("org-1")
    vendor.reset()
    info = vendor.authenticate("bearer", token, {}, "GetAgentCalcomInfo")
    assert info is not None and info["org_id"] == "org-1"


# -- envelope ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("problem", "status", "body", "headers"),
    [
        (
            Problem(401, "unauthorized", "No authorization token provided"),
            401,
            {"message": envelope.MISSING_OR_INVALID},
            {},
        ),
        (Problem(403, "forbidden", "scope"), 403, {"message": envelope.PLAN_GATE}, {}),
        (
            Problem(422, "invalid_body", "org_id is missing", "org_id", "missing"),
            400,
            {"message": "Missing org_id", "code": "INVALID_REQUEST"},
            {},
        ),
        (
            Problem(422, "invalid_body", "org_id must not be empty", "org_id", "invalid", value=""),
            400,
            {"message": "Missing org_id", "code": "INVALID_REQUEST"},
            {},
        ),
        (
            Problem(422, "invalid_body", "org_id must be of type string", "org_id", "invalid", value=3),
            400,
            {"message": "org_id must be of type string", "code": "INVALID_REQUEST"},
            {},
        ),
        (
            Problem(415, "unsupported_media_type", "Invalid Content-type"),
            400,
            {"message": "Invalid Content-type", "code": "INVALID_REQUEST"},
            {},
        ),
        (Problem(404, "not_found", "No such path"), 404, {"message": "Not Found", "code": "NOT_FOUND"}, {}),
        (
            Problem(405, "method_not_allowed", "x", headers={"Allow": "POST"}),
            405,
            {"message": "Method Not Allowed", "code": "INVALID_REQUEST"},
            {"Allow": "POST"},
        ),
        (
            Problem(413, "payload_too_large", "the body is larger than 1048576 bytes"),
            413,
            {"message": "the body is larger than 1048576 bytes", "code": "INVALID_REQUEST"},
            {},
        ),
        (Problem(500, "fault", "injected"), 500, {"message": "Internal server error", "code": "INTERNAL_ERROR"}, {}),
        (Problem(503, "fault", "injected"), 503, {"message": "Internal server error", "code": "INTERNAL_ERROR"}, {}),
        (Problem(409, "fault", "injected"), 409, {"message": "injected", "code": "CONFLICT"}, {}),
        (
            Problem(500, "internal", "FAKE_RESPONSE_INVALID: x"),
            500,
            {"message": "FAKE_RESPONSE_INVALID: x", "code": "INTERNAL_ERROR"},
            {},
        ),
    ],
    ids=lambda v: v.kind if isinstance(v, Problem) else None,
)
def test_render(problem: Problem, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    rendered = envelope.render(problem)
    assert rendered.status == status
    assert rendered.body == {"success": False, **body}
    assert rendered.headers == headers


# -- control plane ----------------------------------------------------------------------------------
def test_mint_token_kinds(admin: InProcessAdmin) -> None:
    org_id = admin.apply_state("ravan", "org", {})["org_id"]
    vendor = admin.runtime.vendor("ravan")
    assert isinstance(vendor, RavanVendor)
    now = vendor.clock.now()
    valid = admin.mint_token("ravan", "jwt", org_id=org_id)
    assert auth.check(vendor.signing_key, valid, now)["org_id"] == org_id
    bare = admin.mint_token("ravan", "jwt", no_org_claim=True)
    assert auth.check(vendor.signing_key, bare, now)["org_id"] is None
    with pytest.raises(VendorError) as exc:
        vendor.authenticate("bearer", admin.mint_token("ravan", "jwt", True, org_id=org_id), {}, "x")
    unauthorized(exc, envelope.EXPIRED_TOKEN)
    with pytest.raises(VendorError) as exc:
        vendor.authenticate("bearer", admin.mint_token("ravan", "jwt", org_id=org_id, wrong_key=True), {}, "x")
    unauthorized(exc, envelope.BAD_SIGNATURE)


@pytest.mark.parametrize(
    ("ids", "fragment"),
    [
        ({}, "needs org_id"),
        ({"org_id": "nope"}, "unknown org_id"),
        ({"no_org_claim": "yes"}, "no_org_claim must be a boolean"),
        ({"org_id": "x", "user_id": 1}, "not user_id"),
    ],
)
def test_mint_token_refuses_bad_params(admin: InProcessAdmin, ids: dict[str, Any], fragment: str) -> None:
    with pytest.raises(AdminError) as exc:
        admin.mint_token("ravan", "jwt", **ids)
    assert exc.value.status == 400 and fragment in exc.value.message
    with pytest.raises(AdminError) as kind:
        admin.mint_token("ravan", "api_key")
    assert kind.value.code == "unknown_kind"


def test_provider_states(admin: InProcessAdmin) -> None:
    names = [(s["state"], sorted(s["params"])) for s in admin.provider_states("ravan")]
    assert names == [
        ("org", ["plan_allows_calendar"]),
        ("calcom_account", ["count", "org_id"]),
        ("agent", ["calcom_account_id", "org_id", "private_key"]),
    ]
    org = admin.apply_state("ravan", "org", {"plan_allows_calendar": False})
    accounts = admin.apply_state("ravan", "calcom_account", {"org_id": org["org_id"], "count": 3})
    assert accounts["org_id"] == org["org_id"] and len(accounts["calcom_account_ids"]) == 3
    agent = admin.apply_state("ravan", "agent", {"calcom_account_id": accounts["calcom_account_ids"][1]})
    assert agent["org_id"] == org["org_id"] and agent["private_account_id"] is None
    assert set(agent) >= {"agent_id", "agent_name", "org_id", "tokens"} and set(agent["tokens"]) == {"jwt"}
    fresh = admin.apply_state("ravan", "calcom_account", {})
    assert fresh["org_id"] != org["org_id"] and len(fresh["calcom_account_ids"]) == 1
    private = admin.apply_state("ravan", "agent", {"private_key": True})
    assert private["private_account_id"] is not None and private["org_id"] not in (org["org_id"], fresh["org_id"])
    state = admin.state("ravan")["ravan"]
    assert [o["plan_allows_calendar"] for o in state["orgs"]] == [False, True, True]
    assert [a["calcom_account_id"] for a in state["agents"]] == [accounts["calcom_account_ids"][1], None]


@pytest.mark.parametrize(
    ("state", "params", "fragment"),
    [
        ("calcom_account", {"count": 0}, "count must be at least 1"),
        ("calcom_account", {"org_id": "nope"}, "unknown org_id"),
        ("agent", {"org_id": "nope"}, "unknown org_id"),
        ("agent", {"calcom_account_id": "nope"}, "unknown calcom_account_id"),
        ("org", {"plan_allows_calendar": "no"}, "is not of type"),
    ],
)
def test_provider_states_refuse_bad_params(
    admin: InProcessAdmin, state: str, params: dict[str, Any], fragment: str
) -> None:
    before = admin.state("ravan")
    with pytest.raises(AdminError) as exc:
        admin.apply_state("ravan", state, params)
    assert exc.value.status == 400 and fragment in exc.value.message
    assert admin.state("ravan") == before


def test_agent_state_refuses_an_account_of_another_org(admin: InProcessAdmin) -> None:
    account = admin.apply_state("ravan", "calcom_account", {})["calcom_account_ids"][0]
    other = admin.apply_state("ravan", "org", {})["org_id"]
    with pytest.raises(AdminError) as exc:
        admin.apply_state("ravan", "agent", {"org_id": other, "calcom_account_id": account})
    assert "another org" in exc.value.message
