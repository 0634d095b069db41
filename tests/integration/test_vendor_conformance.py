"""Every vendor - registered or test-only (tests/vendors/) - has the shape the server relies on.

A new vendor passes these before it is served: one handler per spec operation, provider states
that apply with their defaults, every kind of failure rendered to a status its spec declares in
a body its spec describes, the modules of a vendor package, and a fuzz set-up its spec states.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.vendors import vendor_classes

from mockserver import errors
from mockserver.admin import InProcessAdmin
from mockserver.errors import Problem
from mockserver.fuzz.setups import setup_from_spec
from mockserver.interface import Vendor
from mockserver.runtime import Runtime
from mockserver.specs import load_spec, operations, resolve_ref
from mockserver.state import records

VENDORS = vendor_classes()
IDS = [vendor.name for vendor in VENDORS]
PACKAGE_MODULES = ("__init__", "auth", "store", "handlers", "envelope", "states")

# Every kind of Problem the generic layers raise, with the status they suggest.
KINDS = {
    errors.INVALID_BODY: 422,
    errors.MALFORMED_BODY: 400,
    errors.INVALID_PARAMETER: 400,
    errors.UNAUTHORIZED: 401,
    errors.FORBIDDEN: 403,
    errors.NOT_FOUND: 404,
    errors.METHOD_NOT_ALLOWED: 405,
    errors.UNSUPPORTED_MEDIA_TYPE: 415,
    errors.PAYLOAD_TOO_LARGE: 413,
    errors.RATE_LIMITED: 429,
    errors.INTERNAL: 500,
}


def _declared_responses(spec: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """Each status any operation declares, with the JSON schemas declared for it."""
    declared: dict[int, list[dict[str, Any]]] = {}
    for operation in operations(spec):
        for status, response in (operation.definition.get("responses") or {}).items():
            if not str(status).isdigit():
                continue
            content = resolve_ref(spec, response).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            declared.setdefault(int(status), []).append(dict(schema) if schema else {})
    return declared


def _conforms(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> bool:
    resolver_spec = {**schema, "components": spec.get("components", {})}
    try:
        jsonschema.validate(json.loads(json.dumps(body)), _openapi_to_jsonschema(resolver_spec))
    except jsonschema.ValidationError:
        return False
    return True


def _openapi_to_jsonschema(schema: Any) -> Any:
    # OpenAPI 3.0's `nullable` is the only keyword the response schemas use that JSON Schema lacks.
    if isinstance(schema, dict):
        converted = {key: _openapi_to_jsonschema(value) for key, value in schema.items() if key != "nullable"}
        if schema.get("nullable") and "type" in converted:
            types = converted["type"] if isinstance(converted["type"], list) else [converted["type"]]
            converted["type"] = [*types, "null"]
        return converted
    if isinstance(schema, list):
        return [_openapi_to_jsonschema(item) for item in schema]
    return schema


@pytest.mark.parametrize("vendor_class", VENDORS, ids=IDS)
def test_every_spec_operation_has_a_handler_and_every_handler_an_operation(vendor_class: type[Vendor]) -> None:
    spec_ids = {operation.operation_id for operation in operations(load_spec(vendor_class.spec_file))}
    assert spec_ids == set(vendor_class.handlers)


@pytest.mark.parametrize("vendor_class", VENDORS, ids=IDS)
def test_every_provider_state_applies_with_its_defaults(vendor_class: type[Vendor]) -> None:
    admin = InProcessAdmin(Runtime([vendor_class]))
    listed = admin.provider_states(vendor_class.name)
    assert listed, f"{vendor_class.name} offers no provider state"
    for state in listed:
        required = [name for name, param in state["params"].items() if param["required"]]
        assert not required, f"{state['state']} has required parameters {required}; give them defaults"
        answer = admin.apply_state(vendor_class.name, state["state"], {})
        assert isinstance(answer, dict) and answer, state["state"]
    assert admin.state(vendor_class.name)[vendor_class.name], "applying the states left no state behind"


@pytest.mark.parametrize("vendor_class", VENDORS, ids=IDS)
def test_the_store_survives_the_json_an_engine_keeps_it_in(vendor_class: type[Vendor]) -> None:
    """The Redis engine and the state export keep a store as JSON: every state's store must come
    back the same (a dataclass of plain fields; what it derives rebuilt in ``restored()``)."""
    runtime = Runtime([vendor_class])
    admin = InProcessAdmin(runtime)
    for state in admin.provider_states(vendor_class.name):
        admin.apply_state(vendor_class.name, state["state"], {})
    exported = admin.export_state()
    admin.reset()
    admin.import_state(exported)
    assert admin.export_state() == exported
    vendor = runtime.vendors[vendor_class.name]
    again = records.assemble(vendor, records.split(vendor.name, vendor.store), None)
    assert again.dump() == vendor.store.dump()


def _reachable(vendor_class: type[Vendor], spec: dict[str, Any], kind: str) -> bool:
    """Whether the generic layers can raise ``kind`` for this vendor at all."""
    if kind == errors.RATE_LIMITED:
        return bool(vendor_class.rate_limits)  # the only source: the vendor's own limits
    if kind == errors.FORBIDDEN:
        # Connexion's only 403 is a missing OAuth scope; vendors judge their own scopes.
        schemes = (spec.get("components") or {}).get("securitySchemes") or {}
        return any(scheme.get("type") in ("oauth2", "openIdConnect") for scheme in schemes.values())
    return True


def _render(vendor_class: type[Vendor], kind: str) -> tuple[dict[str, Any], Any]:
    runtime = Runtime([vendor_class])
    headers = {"Allow": "GET"} if kind == errors.METHOD_NOT_ALLOWED else {}
    problem = Problem(KINDS[kind], kind, f"a {kind} problem", field="body", reason="invalid", headers=headers)
    return runtime.specs[vendor_class.name], runtime.vendors[vendor_class.name].render(
        problem, f"/{vendor_class.name}/x"
    )


REACHABLE = [
    pytest.param(vendor_class, kind, id=f"{vendor_class.name}-{kind}")
    for vendor_class in VENDORS
    for kind in KINDS
    if kind != errors.METHOD_NOT_ALLOWED and _reachable(vendor_class, load_spec(vendor_class.spec_file), kind)
]


@pytest.mark.parametrize(("vendor_class", "kind"), REACHABLE)
def test_every_problem_kind_renders_to_a_declared_status_and_body(vendor_class: type[Vendor], kind: str) -> None:
    spec, rendered = _render(vendor_class, kind)
    declared = _declared_responses(spec)
    assert rendered.status in declared, f"{kind} renders {rendered.status}, which no operation declares"
    assert any(_conforms(spec, schema, rendered.body) for schema in declared[rendered.status]), (
        f"{kind} renders a body no {rendered.status} response of the spec describes: {rendered.body}"
    )


@pytest.mark.parametrize("vendor_class", VENDORS, ids=IDS)
def test_a_wrong_method_is_a_405_with_allow_in_an_error_body_of_the_spec(vendor_class: type[Vendor]) -> None:
    # A 405 answers a method the spec does not list, so no operation can declare it; its body
    # is still one of the vendor's declared error bodies.
    spec, rendered = _render(vendor_class, errors.METHOD_NOT_ALLOWED)
    assert rendered.status == 405
    assert rendered.headers.get("Allow") == "GET"
    error_schemas = [
        schema for status, schemas in _declared_responses(spec).items() if status >= 400 for schema in schemas
    ]
    assert any(_conforms(spec, schema, rendered.body) for schema in error_schemas), rendered.body


@pytest.mark.parametrize("vendor_class", VENDORS, ids=IDS)
def test_the_vendor_package_has_every_module_of_the_shape(vendor_class: type[Vendor]) -> None:
    package = sys.modules[vendor_class.__module__]
    folder = Path(str(package.__file__)).parent
    missing = [name for name in PACKAGE_MODULES if not (folder / f"{name}.py").is_file()]
    assert not missing, f"{folder} lacks {missing}"
    assert package.VENDOR is vendor_class
    assert vendor_class.title, "a title for mockserver --help"


@pytest.mark.parametrize("vendor_class", VENDORS, ids=IDS)
def test_the_spec_states_a_fuzz_set_up_the_vendor_can_satisfy(vendor_class: type[Vendor]) -> None:
    spec = load_spec(vendor_class.spec_file)
    setup = setup_from_spec(vendor_class.name, vendor_class.spec_file, spec)
    assert setup.credentials, f"{vendor_class.spec_file} states no x-fuzz-setup credentials"
    states = {state for state in Runtime([vendor_class]).vendors[vendor_class.name].provider_states}
    assert {given.state for given in setup.given} <= states
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    assert {credential.scheme for credential in setup.credentials} <= set(schemes)
