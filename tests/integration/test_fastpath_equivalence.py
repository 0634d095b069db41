"""The fast path answers exactly as Connexion's own AsyncApp does, for every vendor and the control plane.

``build_app()`` serves through :mod:`mockserver.fastpath`; ``build_app(fast_path=False)`` is
Connexion's AsyncApp with its default middlewares and validators. Both serve one runtime. Each
request goes to the first, then, after the whole runtime is put back, to the second; status,
headers, body, journal entry and everything the control plane shows afterwards must be equal.
Randomness (ids, tokens, request ids) and the clock are made deterministic per request.

The requests: hand-made broken variants of every operation (bad and missing credentials, wrong
methods and content types, malformed and oversized bodies...) and a Schemathesis-generated corpus
(valid and invalid data) for every operation of every spec, with and without working credentials.
The vendors come from the registry plus tests/vendors/, so a new vendor is covered unedited.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from starlette.types import Message
from support.vendors import vendor_classes

from mockserver.admin import InProcessAdmin
from mockserver.app import FakesApp, build_app
from mockserver.fastpath import routing
from mockserver.fuzz.endpoints import prepare_with_admin
from mockserver.fuzz.setups import setup_from_spec
from mockserver.interface import Call, Reply, Vendor
from mockserver.runtime import Runtime
from mockserver.specs import api_prefix, load_spec, operations, security_schemes

VENDORS = vendor_classes()
GENERATED_PER_OPERATION = 25  # per generation mode: valid and invalid data
Case = tuple[str, str, dict[str, str], bytes]


@dataclass
class Pair:
    runtime: Runtime
    fast: FakesApp
    full: FakesApp
    reset_randomness: Any


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
    messages: list[Message] = []
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers_out = sorted((k, v) for k, v in start.get("headers", []) if k != b"x-request-id")
    return {"status": start["status"], "headers": headers_out, "body": content}


def _make_pair(monkeypatch: pytest.MonkeyPatch, vendors: tuple[type[Vendor], ...], validate: bool) -> Pair:
    runtime = Runtime(vendors)
    fast = build_app(runtime, validate_responses=validate)
    full = build_app(runtime, validate_responses=validate, fast_path=False)
    counter = itertools.count()
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}x}"[-2 * n :])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n=32: f"u{next(counter):0{n}d}")
    monkeypatch.setattr(secrets, "token_bytes", lambda n=32: next(counter).to_bytes(n, "big"))
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    now = runtime.clock.now()
    monkeypatch.setattr(runtime.clock, "now", lambda: now + runtime.clock.offset)

    def reset_randomness() -> None:
        nonlocal counter
        counter = itertools.count(10_000)

    return Pair(runtime, fast, full, reset_randomness)


def _spec(runtime: Runtime, api: str) -> dict[str, Any]:
    return runtime.specs[api] if api in runtime.specs else load_spec("admin.yaml")


# -- the corpus ---------------------------------------------------------------------------------
@dataclass
class Seeded:
    """Per API: a credential header per operation, other credentials, and ids that exist."""

    auth: dict[str, dict[str, dict[str, str]]]
    others: dict[str, list[dict[str, str]]]
    known: dict[str, dict[str, Any]]


def _seed(runtime: Runtime) -> Seeded:
    admin = InProcessAdmin(runtime)
    seeded = Seeded({}, {}, {})
    for name, vendor in runtime.vendors.items():
        spec = runtime.specs[name]
        setup = setup_from_spec(name, vendor.spec_file, spec)
        prepared = prepare_with_admin(setup, admin)
        schemes = security_schemes(spec)
        headers = {
            credential.role: _credential_header(
                schemes[credential.scheme], credential.prefix + prepared.tokens[credential.role]
            )
            for credential in setup.credentials
        }
        per_operation: dict[str, dict[str, str]] = {}
        for operation in operations(spec):
            for credential in setup.credentials:
                wanted = credential.operations or ()
                if wanted and operation.operation_id not in wanted:
                    continue
                if any(credential.scheme in requirement for requirement in operation.security):
                    per_operation[operation.operation_id] = headers[credential.role]
                    break
        seeded.auth[name] = per_operation
        seeded.others[name] = list(headers.values())
        seeded.known[name] = {
            field.split(".", 1)[1]: prepared.values[known.name] for known in setup.known for field in known.fields
        }
    runtime.world.rate_limits_enabled = False  # each request is served twice
    return seeded


def _credential_header(scheme: Any, token: str) -> dict[str, str]:
    if scheme.get("type") == "apiKey":
        return {scheme["name"]: token}
    kind = str(scheme.get("scheme", "bearer")).lower()
    return {"Authorization": f"{'Basic' if kind == 'basic' else 'Bearer'} {token}"}


def _example_body(spec: dict[str, Any], definition: Any, known: dict[str, Any]) -> tuple[bytes, bool]:
    body_spec = definition.get("requestBody") or {}
    if "$ref" in body_spec:
        body_spec = spec["components"]["requestBodies"][body_spec["$ref"].rsplit("/", 1)[1]]
    media: dict[str, Any] = next(iter((body_spec.get("content") or {}).values()), {})
    example = media.get("example")
    if isinstance(example, dict):
        example = {key: known.get(key, value) for key, value in example.items()}
    return (json.dumps(example).encode() if example is not None else b""), bool(body_spec)


def _hand_made(runtime: Runtime, api: str, seeded: Seeded) -> Iterator[Case]:
    """Valid calls and many broken variants of every operation."""
    spec = _spec(runtime, api)
    known = seeded.known.get(api, {})
    for operation in operations(spec):
        path = operation.path
        for name, value in known.items():
            path = path.replace("{" + name + "}", str(value))
        path = path.replace("{", "").replace("}", "")  # any other path parameter: its own name
        full = f"{api_prefix(api)}{path}"
        body, has_body = _example_body(spec, operation.definition, known)
        json_headers = {"Content-Type": "application/json"} if has_body else {}
        auth = seeded.auth.get(api, {}).get(operation.operation_id, {})
        upper = operation.method.upper()
        headers = {**auth, **json_headers}
        yield upper, full, headers, body
        for other in seeded.others.get(api, []):
            if other != auth:
                yield upper, full, {**other, **json_headers}, body
        if auth:
            yield upper, full, json_headers, body
            yield upper, full, {k: "nope" for k in auth} | json_headers, body
        yield upper, full + "?unknown=1&limit=x", headers, body
        yield upper, full.rstrip("/") if full.endswith("/") else full + "/", headers, body
        yield "PATCH" if upper != "PATCH" else "GET", full, headers, body
        if upper == "GET":
            yield "HEAD", full, headers, b""
        if has_body:
            yield upper, full, {**auth, "Content-Type": "text/plain"}, body
            yield upper, full, {**auth, "Content-Type": "application/x-www-form-urlencoded"}, b"a=1"
            yield upper, full, {**auth, "Content-Type": "application/json; charset=latin-1"}, body
            for broken in (b"{", b"{}", b"[]", b"null", b"\xff\xfe", b'{"zzz": 1}', b"", b"x" * (1024 * 1024 + 1)):
                yield upper, full, headers, broken
    yield "GET", f"{api_prefix(api)}/no/such/path", {}, b""


def _draw(strategy: Any) -> list[Any]:
    drawn: list[Any] = []

    @settings(
        max_examples=GENERATED_PER_OPERATION,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(case: Any) -> None:
        drawn.append(case)

    # Unsatisfiable: nothing to make invalid (an operation without parameters or body).
    with contextlib.suppress(Unsatisfiable):
        draw()
    return drawn


def _generated(runtime: Runtime, api: str, seeded: Seeded) -> list[Case]:
    """Schemathesis' valid and invalid requests for every operation, half with working credentials."""
    spec = _spec(runtime, api)
    schema = schemathesis.openapi.from_dict(spec)
    cases: list[Case] = []
    auth = seeded.auth.get(api, {})
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # the bundled specs have no invalid operation
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            drawn = _draw(operation.as_strategy(generation_mode=mode))
            for index, case in enumerate(drawn):
                kwargs = case.as_transport_kwargs(base_url=f"http://127.0.0.1:8080{api_prefix(api)}")
                headers = {
                    k: str(v) for k, v in kwargs["headers"].items() if k.lower() not in ("user-agent", "connection")
                }
                if index % 2 == 0:
                    headers.update(auth.get(operation.definition.raw.get("operationId", ""), {}))
                path = kwargs["url"].removeprefix("http://127.0.0.1:8080")
                query = "&".join(f"{k}={v}" for k, v in (kwargs.get("params") or {}).items() if isinstance(v, str))
                body = b""
                if "json" in kwargs:
                    body = json.dumps(kwargs["json"]).encode()
                elif isinstance(kwargs.get("data"), (bytes, str)):
                    data = kwargs["data"]
                    body = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
                cases.append((kwargs["method"], path + (f"?{query}" if query else ""), headers, body))
    return cases


def _corpus(runtime: Runtime, seeded: Seeded) -> list[Case]:
    """Every case; deletions after the rest of their API, the control plane last (it resets)."""
    corpus: list[Case] = []
    for api in [*runtime.vendors, "admin"]:
        cases = [*_hand_made(runtime, api, seeded), *_generated(runtime, api, seeded)]
        corpus += [c for c in cases if c[0] != "DELETE"] + [c for c in cases if c[0] == "DELETE"]
    return corpus


# -- the comparison -----------------------------------------------------------------------------
def _visible(runtime: Runtime) -> dict[str, Any]:
    """Everything the control plane shows, minus timings."""
    admin = InProcessAdmin(runtime)
    journal = [{k: v for k, v in entry.items() if k not in ("time", "duration_ms")} for entry in admin.requests()]
    return {
        "state": admin.state(),
        "settings": admin.settings(),
        "faults": admin.faults(),
        "clock": runtime.clock.offset,
        "journal": journal,
    }


def _compare(pair: Pair, corpus: list[Case]) -> tuple[set[int], int]:
    runtime = pair.runtime
    statuses: set[int] = set()
    for method, path, headers, body in corpus:
        runtime.journal.clear()
        before = runtime.snapshot()
        pair.reset_randomness()
        fast_answer = _send(pair.fast, method, path, headers, body)
        fast_visible = _visible(runtime)
        runtime.restore(before)
        pair.reset_randomness()
        full_answer = _send(pair.full, method, path, headers, body)
        where = f"{method} {path} {headers} {body[:80]!r}"
        assert fast_answer == full_answer, where
        assert fast_visible == _visible(runtime), where
        statuses.add(full_answer["status"])
    return statuses, len(corpus)


@pytest.mark.parametrize("validate_responses", [True, False], ids=["response-validation", "no-response-validation"])
def test_fast_path_and_connexion_answer_alike(validate_responses: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    pair = _make_pair(monkeypatch, VENDORS, validate_responses)
    seeded = _seed(pair.runtime)
    corpus = _corpus(pair.runtime, seeded)
    matched: list[bool] = []
    match = routing._FastPathAPI.match

    def spy(api: Any, route_path: str, method: str) -> Any:
        found = match(api, route_path, method)
        matched.append(found is not None)
        return found

    monkeypatch.setattr(routing._FastPathAPI, "match", spy)
    statuses, checked = _compare(pair, corpus)
    # The corpus reaches successes and the usual failures, not just one kind of answer.
    assert {200, 400, 401, 404, 405, 413, 415}.issubset(statuses), statuses
    assert checked > 150 * len(VENDORS)
    assert sum(matched) > checked // 2, "the fast path served too few of the requests to compare anything"


def _off_spec(vendor: Any, call: Call) -> Reply:
    return Reply({"id": 1, "surprise": True})


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "connexion"])
def test_an_off_spec_fake_response_is_a_500_on_both_paths(fast_path: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    base = VENDORS[-1]
    spec = load_spec(base.spec_file)
    operation = next(op for op in operations(spec) if op.method == "get" and op.operation_id in base.handlers)
    planted_class = type(
        f"Planted{base.__name__}", (base,), {"handlers": {**base.handlers, operation.operation_id: _off_spec}}
    )
    for validate, expected in ((True, 500), (False, 200)):
        pair = _make_pair(monkeypatch, (planted_class,), validate)
        seeded = _seed(pair.runtime)
        case = next(c for c in _hand_made(pair.runtime, base.name, seeded) if c[0] == "GET")
        answer = _send(pair.fast if fast_path else pair.full, *case)
        assert answer["status"] == expected, answer
        if validate:
            assert b"FAKE_RESPONSE_INVALID" in answer["body"], answer
        else:
            assert json.loads(answer["body"]) == {"id": 1, "surprise": True}
