"""The app as served answers exactly as Connexion's own AsyncApp, unoptimised, does.

``build_app()`` does the work Connexion repeats per request once, and runs matched operation
requests through their own stages; ``build_app(fast_path=False)`` is Connexion's AsyncApp with
its default middlewares and validators. Both serve one runtime. Each request (valid calls and
many broken variants of every operation of every spec) goes to the first, then, after the state
is put back, to the second; status, headers, body, journal entry and resulting state must be
equal. Randomness (ids, tokens, request ids) and the clock are made deterministic per request.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.admin import InProcessAdmin
from mockserver.app import FakesApp, build_app
from mockserver.fastpath import routing
from mockserver.runtime import Runtime
from mockserver.specs import load_spec
from mockserver.vendors import ALL_VENDORS

_METHODS = ("get", "put", "post", "delete", "patch")


def _send(app: FakesApp, method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    raw_path, _, query = path.partition("?")
    header_list = [(b"host", b"127.0.0.1:8080")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        header_list.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": header_list,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    messages: list[dict[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return {"status": start["status"], "headers": sorted(start.get("headers", [])), "body": content}


@pytest.fixture
def apps(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, FakesApp, FakesApp, Any]]:
    runtime = Runtime(ALL_VENDORS)
    runtime.rate_limits_enabled = False  # each request is served twice
    fast = build_app(runtime, validate_responses=True)
    full = build_app(runtime, validate_responses=True, fast_path=False)
    counter = itertools.count()
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}x}"[-2 * n :])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n=32: f"u{next(counter):0{n}d}")
    monkeypatch.setattr(secrets, "token_bytes", lambda n=32: next(counter).to_bytes(n, "big"))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    now = runtime.clock.now()
    monkeypatch.setattr(runtime.clock, "now", lambda: now)

    def reset_randomness() -> None:
        nonlocal counter
        counter = itertools.count(10_000)

    yield runtime, fast, full, reset_randomness


def _seed(runtime: Runtime) -> dict[str, Any]:
    admin = InProcessAdmin(runtime)
    vcita = admin.apply_state("vcita", "calendar_sync", {"provider": "google_v3", "account": "a@example.com"})
    calcom = admin.apply_state("calcom", "connected_calendar", {"type": "google", "count": 2})
    recall = admin.apply_state("recall", "calendar_user", {"google": "g@example.com", "microsoft": "m@example.com"})
    ravan_account = admin.apply_state("ravan", "calcom_account", {"count": 1})
    ravan_agent = admin.apply_state(
        "ravan",
        "agent",
        {"org_id": ravan_account["org_id"], "calcom_account_id": ravan_account["calcom_account_ids"][0]},
    )
    return {
        "vcita": vcita,
        "calcom": calcom,
        "recall": recall,
        "ravan": {**ravan_account, "agent_id": ravan_agent["agent_id"]},
    }


def _auth(seeded: dict[str, Any]) -> dict[str, str]:
    return {
        "vcita": {"Authorization": f"Bearer {seeded['vcita']['tokens']['staff']}"},
        "calcom": {"Authorization": f"Bearer {seeded['calcom']['tokens']['api_key']}"},
        "recall": {
            "x-recallcalendarauthtoken": seeded["recall"]["tokens"]["calendar"],
            "Authorization": f"Token {seeded['recall']['tokens']['workspace']}",
        },
        "ravan": {"Authorization": f"Bearer {seeded['ravan']['tokens']['jwt']}"},
    }


def _fill(value: Any, seeded: dict[str, Any]) -> Any:
    known = {
        "staff_uid": seeded["vcita"]["staff_uid"],
        "org_id": seeded["ravan"]["org_id"],
        "provider_id": seeded["ravan"]["calcom_account_ids"][0],
        "calcom_account_id": seeded["ravan"]["calcom_account_ids"][0],
        "account": "a@example.com",
        "id": seeded["calcom"]["credential_ids"][0],
    }
    if isinstance(value, dict):
        return {k: known.get(k, _fill(v, seeded)) for k, v in value.items()}
    return value


def _cases(seeded: dict[str, Any]) -> list[tuple[str, str, dict[str, str], bytes]]:
    """Every case, deletions last (a deleted user would turn the rest into 401s)."""
    cases = list(_all_cases(seeded))
    return [c for c in cases if c[0] != "DELETE"] + [c for c in cases if c[0] == "DELETE"]


def _all_cases(seeded: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str], bytes]]:
    auth = _auth(seeded)
    alternative = {
        "vcita": {"Authorization": f"Bearer {seeded['vcita']['tokens']['admin']}"},
        "calcom": {"Authorization": f"Bearer {seeded['calcom']['tokens']['managed_user']}"},
    }
    path_values = {
        "calendar": "google",
        "agent_id": seeded["ravan"]["agent_id"],
    }
    for api in ("vcita", "calcom", "recall", "ravan"):
        spec = load_spec(f"{api}.yaml")
        for template, item in spec["paths"].items():
            path = template
            for name, value in path_values.items():
                path = path.replace("{" + name + "}", str(value))
            for method, operation in item.items():
                if method not in _METHODS:
                    continue
                body_spec = operation.get("requestBody") or {}
                if "$ref" in body_spec:
                    body_spec = spec["components"]["requestBodies"][body_spec["$ref"].rsplit("/", 1)[1]]
                example = next(iter((body_spec.get("content") or {}).values()), {}).get("example")
                body = json.dumps(_fill(example, seeded)).encode() if example is not None else b""
                json_headers = {"Content-Type": "application/json"} if body_spec else {}
                full = f"/{api}{path}"
                upper = method.upper()
                headers = {**auth[api], **json_headers}
                yield upper, full, headers, body
                if api in alternative:
                    yield upper, full, {**alternative[api], **json_headers}, body
                yield upper, full, json_headers, body
                yield upper, full, {k: "nope" for k in auth[api]} | json_headers, body
                yield upper, full + "?unknown=1&limit=x", headers, body
                yield upper, full.rstrip("/") if full.endswith("/") else full + "/", headers, body
                yield "PATCH" if upper != "PATCH" else "GET", full, headers, body
                if upper == "GET":
                    yield "HEAD", full, headers, b""
                if body_spec:
                    yield upper, full, {**auth[api], "Content-Type": "text/plain"}, body
                    yield upper, full, headers, b"{"
                    yield upper, full, headers, b"{}"
                    yield upper, full, headers, b"[]"
                    yield upper, full, headers, b"\xff\xfe"
                    yield upper, full, headers, b'{"zzz": 1}'
                    yield upper, full, {**auth[api], "Content-Type": "application/json; charset=latin-1"}, body
                    yield upper, full, headers, b""
                    yield upper, full, headers, b"x" * (1024 * 1024 + 1)
        yield "GET", f"/{api}/no/such/path", auth[api], b""


def _normalise(answer: dict[str, Any]) -> dict[str, Any]:
    headers = [(k, v) for k, v in answer["headers"] if k != b"x-request-id"]
    return {**answer, "headers": headers}


def _journal_tail(runtime: Runtime) -> dict[str, Any]:
    entry = runtime.journal.entries(limit=1)[0]
    return {k: entry[k] for k in ("method", "path", "query", "api", "operationId", "status")}


def test_fast_path_and_full_chain_answer_alike(
    apps: tuple[Runtime, FakesApp, FakesApp, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, fast, full, reset_randomness = apps
    seeded = _seed(runtime)
    statuses: set[int] = set()
    checked = 0
    matched = []
    match = routing._FastPathAPI.match

    def spy(api: Any, route_path: str, method: str) -> Any:
        found = match(api, route_path, method)
        matched.append(found is not None)
        return found

    monkeypatch.setattr(routing._FastPathAPI, "match", spy)
    for method, path, headers, body in _cases(seeded):
        before = {name: vendor.snapshot() for name, vendor in runtime.vendors.items()}
        reset_randomness()
        fast_answer = _normalise(_send(fast, method, path, headers, body))
        fast_state = {name: vendor.dump() for name, vendor in runtime.vendors.items()}
        fast_journal = _journal_tail(runtime)
        for name, vendor in runtime.vendors.items():
            vendor.restore(before[name])
        reset_randomness()
        full_answer = _normalise(_send(full, method, path, headers, body))
        full_state = {name: vendor.dump() for name, vendor in runtime.vendors.items()}
        where = f"{method} {path} {headers} {body[:60]!r}"
        assert fast_answer == full_answer, where
        assert fast_state == full_state, where
        assert fast_journal == _journal_tail(runtime), where
        statuses.add(full_answer["status"])
        checked += 1
    # The corpus reaches successes and the usual failures, not just one kind of answer.
    assert {200, 401, 404, 405}.issubset(statuses), statuses
    assert checked > 200
    assert sum(matched) > 100, "the fast path served too few of the requests to compare anything"
