"""The Ravan fake over real HTTP: disconnect, assign, agent account/info/status, auth, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from support.http import Refusals, bearer

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

API = "ravan"

CALCOM = "/api/v1/calcom"
DISCONNECT = f"{CALCOM}/disconnect"
DISCONNECTED = {"success": True, "message": "Cal.com disconnected successfully"}
PLAN_GATE_MESSAGE = "Plan does not include calendar integration"


@pytest.fixture
def accounts(fake_admin: InProcessAdmin) -> dict[str, Any]:
    """An org with two active org-level accounts."""
    return fake_admin.apply_state("ravan", "calcom_account", {"count": 2})


@pytest.fixture
def linked(fake_admin: InProcessAdmin, accounts: dict[str, Any]) -> dict[str, Any]:
    """An agent of that org linked to its first account."""
    return fake_admin.apply_state("ravan", "agent", {"calcom_account_id": accounts["calcom_account_ids"][0]})


def agent_path(agent_id: str, leaf: str) -> str:
    return f"{CALCOM}/agents/{agent_id}/{leaf}"


def assert_error(response: httpx.Response, status: int, code: str | None, message: str | None = None) -> None:
    """Ravan's error envelope, exactly: 401/403 carry no code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    expected_keys = {"success", "message"} | ({"code"} if code is not None else set())
    assert set(body) == expected_keys
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code
    if message is not None:
        assert body["message"] == message


def accounts_by_id(admin: InProcessAdmin) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in admin.state("ravan")["ravan"]["calcom_accounts"]}


def info(client: httpx.Client, agent_id: str, token: str) -> dict[str, Any]:
    response = client.get(agent_path(agent_id, "info"), headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is True and body["message"] == "Agent Cal.com info retrieved"
    return dict(body["data"])


# -- disconnect -------------------------------------------------------------------------------------
def test_disconnect_soft_deletes_every_org_account(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    token = accounts["tokens"]["jwt"]
    assert info(client, linked["agent_id"], token)["type"] == "org_linked"
    response = client.post(DISCONNECT, json={"org_id": accounts["org_id"]}, headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == DISCONNECTED
    state = accounts_by_id(fake_admin)
    for account_id in accounts["calcom_account_ids"]:
        assert state[account_id]["status"] == "inactive"
        assert state[account_id]["api_key_prefix"] is None
        assert state[account_id]["deleted_at"] is not None
    # The agent keeps its link, but the link no longer connects it.
    agents = fake_admin.state("ravan")["ravan"]["agents"]
    assert agents[0]["calcom_account_id"] == accounts["calcom_account_ids"][0]
    assert info(client, linked["agent_id"], token) == {"connected": False, "type": "none"}


def test_disconnect_with_provider_id_touches_only_that_account(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    first, second = accounts["calcom_account_ids"]
    token = accounts["tokens"]["jwt"]
    response = client.post(
        DISCONNECT, json={"org_id": accounts["org_id"], "provider_id": second}, headers=bearer(token)
    )
    assert response.status_code == 200 and response.json() == DISCONNECTED
    state = accounts_by_id(fake_admin)
    assert state[second]["status"] == "inactive" and state[second]["deleted_at"] is not None
    assert state[first]["status"] == "active" and state[first]["deleted_at"] is None
    assert state[first]["api_key_prefix"] is not None and state[first]["api_key_prefix"].startswith("cal_live_")
    assert info(client, linked["agent_id"], token)["calcom_account_id"] == first


def test_repeat_disconnect_is_200_and_changes_nothing(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any]
) -> None:
    body = {"org_id": accounts["org_id"]}
    headers = bearer(accounts["tokens"]["jwt"])
    assert client.post(DISCONNECT, json=body, headers=headers).json() == DISCONNECTED
    after_first = fake_admin.state("ravan")
    fake_admin.advance_clock(90)
    repeat = client.post(DISCONNECT, json=body, headers=headers)
    assert repeat.status_code == 200 and repeat.json() == DISCONNECTED
    assert fake_admin.state("ravan") == after_first  # the deleted time is the first disconnect's


def test_disconnect_of_an_org_with_nothing_connected_is_200(client: httpx.Client, fake_admin: InProcessAdmin) -> None:
    org = fake_admin.apply_state("ravan", "org", {})
    response = client.post(DISCONNECT, json={"org_id": org["org_id"]}, headers=bearer(org["tokens"]["jwt"]))
    assert response.status_code == 200 and response.json() == DISCONNECTED


@pytest.mark.parametrize("foreign", [False, True], ids=["unknown", "other-org"])
def test_disconnect_of_a_provider_id_the_org_lacks_is_a_200_no_op(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], foreign: bool
) -> None:
    other = fake_admin.apply_state("ravan", "calcom_account", {})
    provider_id = other["calcom_account_ids"][0] if foreign else str(uuid.uuid4())
    before = fake_admin.state("ravan")
    response = client.post(
        DISCONNECT,
        json={"org_id": accounts["org_id"], "provider_id": provider_id},
        headers=bearer(accounts["tokens"]["jwt"]),
    )
    assert response.status_code == 200 and response.json() == DISCONNECTED
    assert fake_admin.state("ravan") == before


def test_body_org_of_another_org_is_403(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any]
) -> None:
    attacker = fake_admin.apply_state("ravan", "org", {})
    before = fake_admin.state("ravan")
    response = client.post(DISCONNECT, json={"org_id": accounts["org_id"]}, headers=bearer(attacker["tokens"]["jwt"]))
    assert_error(response, 403, None, "org_id does not match the authenticated organization")
    assert fake_admin.state("ravan") == before


def test_token_without_org_claim_acts_for_the_body_org(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any]
) -> None:
    token = fake_admin.mint_token("ravan", "jwt", no_org_claim=True)
    response = client.post(DISCONNECT, json={"org_id": accounts["org_id"]}, headers=bearer(token))
    assert response.status_code == 200 and response.json() == DISCONNECTED
    assert {a["status"] for a in accounts_by_id(fake_admin).values()} == {"inactive"}


# -- plan gate --------------------------------------------------------------------------------------
def _every_route(org_id: str, agent_id: str, account_id: str) -> list[tuple[str, str, Any]]:
    return [
        ("POST", DISCONNECT, {"org_id": org_id}),
        ("PUT", agent_path(agent_id, "account"), {"calcom_account_id": account_id}),
        ("GET", agent_path(agent_id, "account"), None),
        ("GET", agent_path(agent_id, "info"), None),
        ("GET", agent_path(agent_id, "status"), None),
    ]


@pytest.mark.parametrize("route", range(5), ids=["disconnect", "assign", "account", "info", "status"])
def test_plan_without_calendar_is_403_on_every_route(
    client: httpx.Client, fake_admin: InProcessAdmin, route: int
) -> None:
    org = fake_admin.apply_state("ravan", "org", {"plan_allows_calendar": False})
    account = fake_admin.apply_state("ravan", "calcom_account", {"org_id": org["org_id"]})["calcom_account_ids"][0]
    agent = fake_admin.apply_state("ravan", "agent", {"org_id": org["org_id"], "private_key": True})
    method, path, body = _every_route(org["org_id"], agent["agent_id"], account)[route]
    before = fake_admin.state("ravan")
    response = client.request(method, path, json=body, headers=bearer(org["tokens"]["jwt"]))
    assert_error(response, 403, None, PLAN_GATE_MESSAGE)
    assert fake_admin.state("ravan") == before


# -- auth -------------------------------------------------------------------------------------------
BAD_AUTHORIZATION = {
    "missing": "Missing or invalid JWT",
    "basic": "Missing or invalid JWT",
    "garbage": "Invalid token",
    "wrong-key": "Invalid token signature",
    "expired": "Token has expired",
}


@pytest.fixture(params=list(BAD_AUTHORIZATION))
def bad_authorization(
    request: pytest.FixtureRequest, fake_admin: InProcessAdmin, accounts: dict[str, Any]
) -> tuple[dict[str, str], str]:
    """The headers of one bad-credential case (a parameter) for the org, and the 401's message."""
    case, org_id = request.param, accounts["org_id"]
    message = BAD_AUTHORIZATION[case]
    if case == "missing":
        return {}, message
    if case == "basic":
        return {"Authorization": "Basic dXNlcjpwYXNz"}, message
    if case == "garbage":
        return bearer("not.a.jwt"), message
    if case == "wrong-key":
        return bearer(fake_admin.mint_token("ravan", "jwt", org_id=org_id, wrong_key=True)), message
    assert case == "expired", case
    return bearer(fake_admin.mint_token("ravan", "jwt", True, org_id=org_id)), message


@pytest.mark.parametrize("route", range(5), ids=["disconnect", "assign", "account", "info", "status"])
def test_bad_tokens_are_401_without_code(
    refusals: Refusals,
    accounts: dict[str, Any],
    linked: dict[str, Any],
    bad_authorization: tuple[dict[str, str], str],
    route: int,
) -> None:
    method, path, body = _every_route(accounts["org_id"], linked["agent_id"], accounts["calcom_account_ids"][1])[route]
    headers, message = bad_authorization
    assert_error(refusals.request(method, path, json=body, headers=headers), 401, None, message)


def test_tokens_expire_on_the_fake_clock(
    client: httpx.Client, fake_admin: InProcessAdmin, linked: dict[str, Any]
) -> None:
    token = linked["tokens"]["jwt"]
    assert info(client, linked["agent_id"], token)["connected"] is True
    fake_admin.advance_clock(3601)
    response = client.get(agent_path(linked["agent_id"], "info"), headers=bearer(token))
    assert_error(response, 401, None, "Token has expired")


# -- assign -----------------------------------------------------------------------------------------
def test_assign_links_and_unlinks(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    token = accounts["tokens"]["jwt"]
    second = accounts["calcom_account_ids"][1]
    path = agent_path(linked["agent_id"], "account")
    response = client.put(path, json={"calcom_account_id": second}, headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Agent Cal.com account updated",
        "data": {"agent_id": linked["agent_id"], "agent_name": linked["agent_name"], "calcom_account_id": second},
    }
    assert info(client, linked["agent_id"], token)["calcom_account_id"] == second
    for _ in range(2):  # unlinking an unlinked agent is also a 200
        unlinked = client.put(path, json={"calcom_account_id": None}, headers=bearer(token))
        assert unlinked.status_code == 200
        assert unlinked.json()["data"] == {
            "agent_id": linked["agent_id"],
            "agent_name": linked["agent_name"],
            "calcom_account_id": None,
        }
    assert info(client, linked["agent_id"], token) == {"connected": False, "type": "none"}
    assert fake_admin.state("ravan")["ravan"]["agents"][0]["calcom_account_id"] is None


@pytest.fixture(params=["unknown-agent", "other-orgs-agent", "unknown-account", "other-orgs-account"])
def not_found(
    request: pytest.FixtureRequest, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> tuple[str, Any, str]:
    """(agent_id, calcom_account_id, message) of one assignment (a parameter) that must be a 404."""
    case, ours = request.param, accounts["calcom_account_ids"][1]
    if case == "unknown-agent":
        return str(uuid.uuid4()), ours, "Agent not found"
    if case == "other-orgs-agent":
        return fake_admin.apply_state("ravan", "agent", {})["agent_id"], ours, "Agent not found"
    if case == "unknown-account":
        return linked["agent_id"], str(uuid.uuid4()), "Cal.com account not found"
    assert case == "other-orgs-account", case
    other = fake_admin.apply_state("ravan", "calcom_account", {})["calcom_account_ids"][0]
    return linked["agent_id"], other, "Cal.com account not found"


def test_assign_not_found(refusals: Refusals, accounts: dict[str, Any], not_found: tuple[str, Any, str]) -> None:
    agent_id, account_id, message = not_found
    response = refusals.request(
        "PUT",
        agent_path(agent_id, "account"),
        json={"calcom_account_id": account_id},
        headers=bearer(accounts["tokens"]["jwt"]),
    )
    assert_error(response, 404, "NOT_FOUND", message)


def test_assign_to_a_disconnected_account_is_404(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    token = accounts["tokens"]["jwt"]
    second = accounts["calcom_account_ids"][1]
    client.post(DISCONNECT, json={"org_id": accounts["org_id"], "provider_id": second}, headers=bearer(token))
    before = fake_admin.state("ravan")
    response = client.put(
        agent_path(linked["agent_id"], "account"), json={"calcom_account_id": second}, headers=bearer(token)
    )
    assert_error(response, 404, "NOT_FOUND", "Cal.com account not found")
    assert fake_admin.state("ravan") == before


@pytest.mark.parametrize("target", ["account", None], ids=["link", "unlink"])
def test_assign_to_an_agent_with_a_private_key_is_409(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], target: str | None
) -> None:
    agent = fake_admin.apply_state("ravan", "agent", {"org_id": accounts["org_id"], "private_key": True})
    account_id = accounts["calcom_account_ids"][0] if target else None
    before = fake_admin.state("ravan")
    response = client.put(
        agent_path(agent["agent_id"], "account"),
        json={"calcom_account_id": account_id},
        headers=bearer(accounts["tokens"]["jwt"]),
    )
    assert_error(response, 409, "CONFLICT")
    assert fake_admin.state("ravan") == before


# -- org context ------------------------------------------------------------------------------------
def test_query_org_id_is_the_fallback_without_a_claim(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    bare = fake_admin.mint_token("ravan", "jwt", no_org_claim=True)
    path = agent_path(linked["agent_id"], "info")
    response = client.get(path, params={"org_id": accounts["org_id"]}, headers=bearer(bare))
    assert response.status_code == 200 and response.json()["data"]["type"] == "org_linked"
    assert_error(client.get(path, headers=bearer(bare)), 400, "INVALID_REQUEST", "Missing org_id")
    before = fake_admin.state("ravan")
    unlink = client.put(
        agent_path(linked["agent_id"], "account"), json={"calcom_account_id": None}, headers=bearer(bare)
    )
    assert_error(unlink, 400, "INVALID_REQUEST", "Missing org_id")
    assert fake_admin.state("ravan") == before
    # The status page lists no org_id parameter: without a claim the org is the agent's own.
    status = client.get(agent_path(linked["agent_id"], "status"), headers=bearer(bare))
    assert status.status_code == 200 and status.json()["data"]["status"] == "not_connected"


def test_query_org_id_is_ignored_when_the_claim_is_present(
    client: httpx.Client, fake_admin: InProcessAdmin, linked: dict[str, Any]
) -> None:
    stranger = fake_admin.apply_state("ravan", "org", {})
    response = client.get(
        agent_path(linked["agent_id"], "info"),
        params={"org_id": linked["org_id"]},
        headers=bearer(stranger["tokens"]["jwt"]),
    )
    assert_error(response, 404, "NOT_FOUND", "Agent not found")


# -- account / info / status ------------------------------------------------------------------------
def test_account_and_info_report_the_effective_account(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    token = accounts["tokens"]["jwt"]
    private = fake_admin.apply_state(
        "ravan",
        "agent",
        {"calcom_account_id": accounts["calcom_account_ids"][1], "private_key": True},
    )
    expected_linked = {
        "connected": True,
        "type": "org_linked",
        "calcom_account_id": accounts["calcom_account_ids"][0],
        "account_name": "Cal.com account 1",
        "status": "active",
        "api_base_url": "https://api.cal.com/v2",
    }
    expected_private = {
        "connected": True,
        "type": "agent",
        "calcom_account_id": private["private_account_id"],
        "account_name": "Default",
        "status": "active",
        "api_base_url": "https://api.cal.com/v2",
    }
    for agent_id, expected in ((linked["agent_id"], expected_linked), (private["agent_id"], expected_private)):
        for leaf in ("account", "info"):
            response = client.get(agent_path(agent_id, leaf), headers=bearer(token))
            assert response.status_code == 200
            assert response.json() == {"success": True, "message": "Agent Cal.com info retrieved", "data": expected}


def test_status_reports_only_private_keys(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], linked: dict[str, Any]
) -> None:
    token = accounts["tokens"]["jwt"]
    none = client.get(agent_path(linked["agent_id"], "status"), headers=bearer(token))
    assert none.status_code == 200
    assert none.json() == {
        "success": True,
        "message": "No agent-level connection found",
        "data": {"connected": False, "status": "not_connected", "accounts": []},
    }
    private = fake_admin.apply_state("ravan", "agent", {"org_id": accounts["org_id"], "private_key": True})
    connected = client.get(agent_path(private["agent_id"], "status"), headers=bearer(token))
    assert connected.status_code == 200
    assert connected.json() == {
        "success": True,
        "message": "Agent connection status retrieved",
        "data": {
            "connected": True,
            "status": "connected",
            "accounts": [
                {"id": private["private_account_id"], "account_name": "Default", "status": "active", "error": None}
            ],
        },
    }


@pytest.mark.parametrize("leaf", ["account", "info", "status"])
@pytest.mark.parametrize("foreign", [False, True], ids=["unknown", "other-org"])
def test_reads_of_an_agent_outside_the_org_are_404(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any], leaf: str, foreign: bool
) -> None:
    agent_id = fake_admin.apply_state("ravan", "agent", {})["agent_id"] if foreign else str(uuid.uuid4())
    response = client.get(agent_path(agent_id, leaf), headers=bearer(accounts["tokens"]["jwt"]))
    assert_error(response, 404, "NOT_FOUND", "Agent not found")


# -- bad input --------------------------------------------------------------------------------------
JSON = {"Content-Type": "application/json"}


def _bad_requests(org_id: str, agent_id: str) -> dict[str, tuple[str, str, dict[str, Any], str | None]]:
    """name -> (method, path, httpx kwargs, exact message or None)."""
    assign = agent_path(agent_id, "account")
    return {
        "malformed-json": ("POST", DISCONNECT, {"content": b'{"org_id": ', "headers": JSON}, None),
        "invalid-utf8": ("POST", DISCONNECT, {"content": b'{"org_id": "\xff\xfe"}', "headers": JSON}, None),
        "wrong-content-type": (
            "POST",
            DISCONNECT,
            {"content": f'{{"org_id": "{org_id}"}}'.encode(), "headers": {"Content-Type": "text/plain"}},
            None,
        ),
        "no-body": ("POST", DISCONNECT, {"headers": JSON}, None),
        "missing-org-id": ("POST", DISCONNECT, {"json": {"provider_id": "x"}}, "Missing org_id"),
        "empty-org-id": ("POST", DISCONNECT, {"json": {"org_id": ""}}, "Missing org_id"),
        "int-org-id": ("POST", DISCONNECT, {"json": {"org_id": 42}}, "org_id must be of type string"),
        "null-org-id": ("POST", DISCONNECT, {"json": {"org_id": None}}, "org_id must be of type string"),
        "list-org-id": ("POST", DISCONNECT, {"json": {"org_id": [org_id]}}, "org_id must be of type string"),
        "int-provider-id": (
            "POST",
            DISCONNECT,
            {"json": {"org_id": org_id, "provider_id": 7}},
            "provider_id must be of type string",
        ),
        "array-body": ("POST", DISCONNECT, {"json": [org_id]}, None),
        "assign-missing-field": ("PUT", assign, {"json": {}}, "Missing calcom_account_id"),
        "assign-int-field": ("PUT", assign, {"json": {"calcom_account_id": 5}}, None),
        "assign-not-uuid": ("PUT", assign, {"json": {"calcom_account_id": "acct-1"}}, "Invalid calcom_account_id"),
        "assign-malformed-json": ("PUT", assign, {"content": b"{calcom", "headers": JSON}, None),
        "assign-agent-not-uuid": (
            "PUT",
            agent_path("agent-1", "account"),
            {"json": {"calcom_account_id": None}},
            "Invalid agent_id",
        ),
        "info-agent-not-uuid": ("GET", agent_path("agent-1", "info"), {}, "Invalid agent_id"),
    }


BAD_REQUESTS = list(_bad_requests("o", "a"))


@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_bad_input_is_400_invalid_request_and_changes_nothing(
    refusals: Refusals, accounts: dict[str, Any], linked: dict[str, Any], name: str
) -> None:
    method, path, kwargs, message = _bad_requests(accounts["org_id"], linked["agent_id"])[name]
    response = refusals.send(bearer(accounts["tokens"]["jwt"]), method, path, kwargs)
    assert_error(response, 400, "INVALID_REQUEST", message)


def test_body_over_one_mib_is_413(client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any]) -> None:
    before = fake_admin.state("ravan")
    huge = b'{"org_id": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post(DISCONNECT, content=huge, headers={**JSON, **bearer(accounts["tokens"]["jwt"])})
    assert_error(response, 413, "INVALID_REQUEST", "the body is larger than 1048576 bytes")
    assert fake_admin.state("ravan") == before


def test_unknown_path_is_404_not_found(client: httpx.Client, accounts: dict[str, Any]) -> None:
    response = client.get(f"{CALCOM}/organizations", headers=bearer(accounts["tokens"]["jwt"]))
    assert_error(response, 404, "NOT_FOUND", "Not Found")


@pytest.mark.parametrize(
    ("method", "leaf", "allow"),
    [
        ("GET", None, "POST"),
        ("DELETE", None, "POST"),
        ("POST", "account", "GET, PUT"),
        ("DELETE", "info", "GET"),
        ("PUT", "status", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(
    refusals: Refusals, accounts: dict[str, Any], linked: dict[str, Any], method: str, leaf: str | None, allow: str
) -> None:
    path = DISCONNECT if leaf is None else agent_path(linked["agent_id"], leaf)
    response = refusals.request(
        method, path, json={"org_id": accounts["org_id"]}, headers=bearer(accounts["tokens"]["jwt"])
    )
    assert_error(response, 405, "INVALID_REQUEST", "Method Not Allowed")
    assert response.headers["allow"] == allow


def test_injected_500_is_internal_error_and_changes_nothing(
    client: httpx.Client, fake_admin: InProcessAdmin, accounts: dict[str, Any]
) -> None:
    fake_admin.add_fault("ravan", "DisconnectCalcom", status=500, times=1)
    before = fake_admin.state("ravan")
    body = {"org_id": accounts["org_id"]}
    response = client.post(DISCONNECT, json=body, headers=bearer(accounts["tokens"]["jwt"]))
    assert_error(response, 500, "INTERNAL_ERROR", "Internal server error")
    assert fake_admin.state("ravan") == before
    assert client.post(DISCONNECT, json=body, headers=bearer(accounts["tokens"]["jwt"])).json() == DISCONNECTED


def test_admin_over_http_lists_states_and_mints_tokens(
    client: httpx.Client, fake_server: ServerThread, linked: dict[str, Any]
) -> None:
    admin_url = fake_server.url("admin")
    listed = httpx.get(f"{admin_url}/states", params={"api": "ravan"}).json()["data"]
    assert [s["state"] for s in listed] == ["org", "calcom_account", "agent"]
    minted = httpx.post(f"{admin_url}/tokens", json={"api": "ravan", "kind": "jwt", "org_id": linked["org_id"]})
    assert minted.status_code == 201
    assert info(client, linked["agent_id"], minted.json()["token"])["type"] == "org_linked"
    expired = httpx.post(
        f"{admin_url}/tokens", json={"api": "ravan", "kind": "jwt", "org_id": linked["org_id"], "expired": True}
    ).json()["token"]
    assert_error(
        client.get(agent_path(linked["agent_id"], "info"), headers=bearer(expired)), 401, None, "Token has expired"
    )
    created = httpx.post(
        f"{admin_url}/states", json={"api": "ravan", "state": "agent", "params": {"private_key": True}}
    )
    assert created.status_code == 201
    assert set(created.json()["data"]) >= {"agent_id", "agent_name", "org_id", "tokens"}
