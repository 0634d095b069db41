"""The bundled specs and the one model of them: loading, operations, routes, and Connexion's own check.

The served app skips Connexion's spec validation at start-up; the tests here run it on every
spec exactly as build_app hands it over.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification

from mockserver.fastpath import BundledSpecification
from mockserver.specs import (
    Routes,
    SpecLoader,
    UnknownApi,
    bundled_spec,
    known_apis,
    load_spec,
    operation_ids,
    operations,
    resolve_ref,
    spec_dir,
    template_regex,
)
from mockserver.vendors import ALL_VENDORS


def _as_served() -> dict[str, dict[str, Any]]:
    """Each spec exactly as build_app hands it to Connexion."""
    specs = {vendor.name: load_spec(vendor.spec_file) for vendor in ALL_VENDORS}
    specs["admin"] = load_spec("admin.yaml")
    return specs


def test_route_table_matches_templates() -> None:
    table = Routes({"paths": {"/a/{id}/b": {"get": {}, "put": {}}, "/a/x/b": {"post": {}}}})
    assert table.allowed("/a/7/b") == ["GET", "PUT"]
    assert table.allowed("/a/x/b") == ["GET", "PUT", "POST"]
    assert table.allowed("/nope") == []


def test_find_prefers_the_most_literal_template_and_ignores_the_query() -> None:
    table = Routes({"paths": {"/a/{id}": {"get": {"operationId": "byId"}}, "/a/me": {"get": {"operationId": "me"}}}})
    assert table.find("GET", "/a/me?x=1").operation_id == "me"  # type: ignore[union-attr]
    assert table.find("get", "/a/7").operation_id == "byId"  # type: ignore[union-attr]
    assert table.find("POST", "/a/7") is None
    assert table.find("GET", "/a/7/more") is None


def test_template_regex_matches_one_segment_per_parameter() -> None:
    pattern = template_regex("/v2/calendars/{calendar}/check")
    assert pattern.match("/v2/calendars/google/check")
    assert not pattern.match("/v2/calendars/a/b/check")
    assert not pattern.match("/v2/calendars//check")
    assert template_regex("/a.b").match("/a.b") and not template_regex("/a.b").match("/axb")


def test_operations_inherit_security_and_name_the_unnamed() -> None:
    spec = {
        "security": [{"bearer": []}],
        "paths": {
            "/x": {
                "parameters": [],
                "get": {"operationId": "getX"},
                "delete": {"security": []},
                "post": {"x-changes-state": False},
            }
        },
    }
    found = {operation.method: operation for operation in operations(spec)}
    assert list(found) == ["get", "post", "delete"], "HTTP_METHODS order within a path; parameters skipped"
    assert found["get"].security == ({"bearer": []},)
    assert found["delete"].security == ()
    assert found["delete"].operation_id == "delete /x"
    assert found["delete"].label == "DELETE /x"
    assert (found["get"].changes_state, found["delete"].changes_state, found["post"].changes_state) == (
        False,
        True,
        False,
    )


def test_bundled_specs_are_found_and_copied() -> None:
    assert (spec_dir() / "admin.yaml").is_file()
    spec = load_spec("vcita.yaml")
    spec["paths"].clear()
    assert load_spec("vcita.yaml")["paths"], "load_spec must hand out copies"
    assert "disconnectExternalCalendar" in operation_ids(load_spec("vcita.yaml"))


def test_bundled_spec_by_api_name() -> None:
    assert {"admin", "calcom", "ravan", "recall", "vcita"} <= set(known_apis())
    assert bundled_spec("ravan") == load_spec("ravan.yaml")
    with pytest.raises(UnknownApi, match="unknown api 'nope'"):
        bundled_spec("nope")


def test_resolve_ref_follows_local_references() -> None:
    spec = {"components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}}}
    assert resolve_ref(spec, {"$ref": "#/components/schemas/A"}) == {"type": "string"}
    assert resolve_ref(spec, {"$ref": "#/components/schemas/missing"}) == {}
    assert resolve_ref(spec, {"type": "integer"}) == {"type": "integer"}


@pytest.mark.parametrize("name", [*[vendor.name for vendor in ALL_VENDORS], "admin"])
def test_each_served_spec_passes_connexions_validation(name: str) -> None:
    spec = _as_served()[name]
    validated = Specification.from_dict(copy.deepcopy(spec))
    bundled = BundledSpecification(copy.deepcopy(validated.raw))
    # The skipped check is the only difference: the resolved documents are the same.
    assert dict(bundled) == dict(validated)


def test_connexions_validation_rejects_a_broken_spec() -> None:
    spec = _as_served()["vcita"]
    first_path = next(iter(spec["paths"].values()))
    first_operation = next(iter(v for k, v in first_path.items() if k != "parameters"))
    first_operation["responses"] = "not a responses object"
    with pytest.raises(InvalidSpecification):
        Specification.from_dict(spec)


@pytest.mark.parametrize("name", sorted(path.name for path in spec_dir().glob("*.yaml")))
def test_libyaml_and_the_python_loader_read_each_spec_alike(name: str) -> None:
    text = (spec_dir() / name).read_text(encoding="utf-8")
    assert SpecLoader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert yaml.load(text, Loader=SpecLoader) == yaml.load(text, Loader=yaml.SafeLoader)
