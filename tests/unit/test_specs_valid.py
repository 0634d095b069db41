"""The bundled specs pass Connexion's own spec validation, which the served app skips at start-up."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification

from mockserver.app import build_app
from mockserver.fastpath import BundledSpecification, PreparedAsyncApp
from mockserver.specs import SpecLoader, load_spec, spec_dir
from mockserver.vendors import ALL_VENDORS


def _as_served() -> dict[str, dict[str, Any]]:
    """Each spec exactly as build_app hands it to Connexion."""
    specs = {vendor.name: load_spec(vendor.spec_file) for vendor in ALL_VENDORS}
    specs["admin"] = load_spec("admin.yaml")
    return specs


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


def test_the_served_app_loads_every_api_as_a_bundled_spec() -> None:
    app = build_app()
    connexion_app = app.connexion_app
    assert isinstance(connexion_app, PreparedAsyncApp)
    apis = connexion_app.middleware.apis
    assert sorted(api.kwargs["name"] for api in apis) == sorted([*[v.name for v in ALL_VENDORS], "admin"])
    assert all(isinstance(api.specification, BundledSpecification) for api in apis)


def test_a_swagger_2_document_is_refused() -> None:
    app = PreparedAsyncApp(__name__)
    with pytest.raises(ValueError, match="OpenAPI 3"):
        app.add_api({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}})


@pytest.mark.parametrize("name", sorted(path.name for path in spec_dir().glob("*.yaml")))
def test_libyaml_and_the_python_loader_read_each_spec_alike(name: str) -> None:
    text = (spec_dir() / name).read_text(encoding="utf-8")
    assert SpecLoader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert yaml.load(text, Loader=SpecLoader) == yaml.load(text, Loader=yaml.SafeLoader)
