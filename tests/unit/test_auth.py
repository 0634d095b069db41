"""Connexion finds the credential as the spec's scheme says; the request's vendor decides on it."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.asgi import call, tiny_app

from mockserver.app import FakesApp
from mockserver.auth import SECURITY_MAP
from mockserver.errors import Problem, VendorError
from mockserver.interface import Call, Reply, Vendor
from mockserver.specs import load_spec, security_schemes, spec_dir

_OK = {"200": {"description": "the token info", "content": {"application/json": {"schema": {"type": "object"}}}}}
GUARDED_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "one operation per security scheme type", "version": "1"},
    "paths": {
        "/bearer": {"get": {"operationId": "viaBearer", "security": [{"bearer": []}], "responses": _OK}},
        "/key": {"get": {"operationId": "viaKey", "security": [{"key": []}], "responses": _OK}},
        "/basic": {"get": {"operationId": "viaBasic", "security": [{"basic": []}], "responses": _OK}},
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            "basic": {"type": "http", "scheme": "basic"},
        }
    },
}


def _echo(vendor: Any, call: Call) -> Reply:
    return Reply(call.auth)


class Guarded(Vendor):
    """Notes every credential it is asked about; refuses the credential ``refused``."""

    name = "guarded"
    spec_file = ""  # set by the fixture below
    handlers = {"viaBearer": _echo, "viaKey": _echo, "viaBasic": _echo}
    asked: list[tuple[str, str, str]] = []

    def new_store(self) -> None:
        return None

    def authenticate(
        self, scheme: str, credential: str, headers: Mapping[str, str], operation_id: str
    ) -> dict[str, Any]:
        self.asked.append((scheme, credential, operation_id))
        if credential.startswith("refused"):
            raise VendorError(403, {"refused": scheme}, {"X-Refused": "yes"})
        return {"scheme": scheme, "credential": credential}

    def render(self, problem: Problem, path: str) -> VendorError:
        return VendorError(problem.status, {"problem": problem.kind})


@pytest.fixture(scope="module", params=[True, False], ids=["fast_path", "connexion"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> FakesApp:
    spec = Path(tmp_path_factory.mktemp("guarded")) / "guarded.yaml"
    spec.write_text(yaml.safe_dump(GUARDED_SPEC), encoding="utf-8")
    Guarded.spec_file = str(spec)
    return tiny_app(Guarded, fast_path=request.param, validate_responses=False)


@pytest.fixture(autouse=True)
def fresh_log() -> None:
    Guarded.asked.clear()


@pytest.mark.parametrize(
    ("path", "headers", "scheme", "credential", "operation_id"),
    [
        ("/bearer", {"Authorization": "Bearer tok-1"}, "bearer", "tok-1", "viaBearer"),
        ("/key", {"X-Key": "key-1"}, "apikey", "key-1", "viaKey"),
        (
            "/basic",
            {"Authorization": "Basic " + base64.b64encode(b"user:pa:ss").decode()},
            "basic",
            "user:pa:ss",
            "viaBasic",
        ),
    ],
)
def test_the_credential_goes_to_the_requests_vendor_and_its_answer_to_the_handler(
    app: FakesApp, path: str, headers: dict[str, str], scheme: str, credential: str, operation_id: str
) -> None:
    response = call(app, "GET", f"/guarded{path}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"scheme": scheme, "credential": credential}
    assert Guarded.asked == [(scheme, credential, operation_id)]


@pytest.mark.parametrize(
    ("path", "headers", "scheme"),
    [
        ("/bearer", {"Authorization": "Bearer refused"}, "bearer"),
        ("/key", {"X-Key": "refused"}, "apikey"),
        ("/basic", {"Authorization": "Basic " + base64.b64encode(b"refused:x").decode()}, "basic"),
    ],
)
def test_a_vendor_refusal_is_answered_as_its_own_vendor_error(
    app: FakesApp, path: str, headers: dict[str, str], scheme: str
) -> None:
    response = call(app, "GET", f"/guarded{path}", headers=headers)
    assert (response.status_code, response.json()) == (403, {"refused": scheme})
    assert response.headers["x-refused"] == "yes"


@pytest.mark.parametrize("path", ["/bearer", "/key", "/basic"])
def test_a_missing_credential_never_reaches_the_vendor(app: FakesApp, path: str) -> None:
    response = call(app, "GET", f"/guarded{path}")
    assert (response.status_code, response.json()) == (401, {"problem": "unauthorized"})
    assert Guarded.asked == []


def test_the_security_map_covers_every_scheme_type_the_bundled_specs_use() -> None:
    used = set()
    for path in spec_dir().glob("*.yaml"):
        for scheme in security_schemes(load_spec(path.name)).values():
            used.add(scheme["scheme"] if scheme["type"] == "http" else scheme["type"])
    assert used, "the bundled specs declare security schemes"
    assert used <= set(SECURITY_MAP)
