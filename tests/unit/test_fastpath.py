"""The fast path's own parts: bundled specs loaded without re-validation, and a compiled body check
that never accepts a body the Python validator refuses (the served answers are compared with
Connexion's own stack in tests/integration/test_fastpath_equivalence.py)."""

from __future__ import annotations

from typing import Any

import pytest
from connexion import utils as connexion_utils
from connexion.json_schema import Draft4RequestValidator
from connexion.resolver import Resolver
from connexion.spec import Specification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from mockserver.app import build_app
from mockserver.fastpath import BundledSpecification, PreparedAsyncApp
from mockserver.fastpath.validation import fast_validator, header_content_type
from mockserver.specs import load_spec, spec_dir
from mockserver.vendors import ALL_VENDORS

SPECS = sorted(path.name for path in spec_dir().glob("*.yaml"))


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


def _body_schemas() -> list[tuple[str, dict[str, Any], Any]]:
    """Every request body schema exactly as Connexion hands it to the body validator."""
    found = []
    resolver = Resolver(function_resolver=lambda _name: lambda: None)
    for name in SPECS:
        spec = Specification.load(load_spec(name))
        for path, item in spec["paths"].items():
            for method, raw in item.items():
                if not isinstance(raw, dict) or "requestBody" not in raw:
                    continue
                operation = spec.operation_cls.from_spec(spec, path=path, method=method, resolver=resolver)
                for media_type, content in raw["requestBody"].get("content", {}).items():
                    schema = operation.body_schema(media_type)
                    example = content.get("example", schema.get("example"))
                    found.append((f"{name} {method.upper()} {path} {media_type}", schema, example))
    return found


BODY_SCHEMAS = _body_schemas()

_TEXT = st.sampled_from(
    [
        "",
        " ",
        "x",
        "google",
        "google_v3",
        "a@b.co",
        "not an email",
        "2024-01-01",
        "2024-13-45",
        "2024-01-01T00:00:00Z",
        "yesterday",
        "6f1c3f0e-8a5e-4c1b-9d2e-0f4a5b6c7d8e",
        "not-a-uuid",
        "https://example.com/x",
        "::not a uri",
        "null",
    ]
) | st.text(max_size=8)
_SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2.5, 2.5, allow_nan=False) | _TEXT


def _near(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values around a schema: its enum values and properties, wrong types, unknown keys."""
    if not isinstance(schema, dict) or depth > 4:
        return _SCALARS
    options: list[st.SearchStrategy[Any]] = [_SCALARS]
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if "example" in schema:
        options.append(st.just(schema["example"]))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            options.append(_near(sub, depth + 1))
    properties = schema.get("properties") or {}
    if properties or schema.get("type") == "object":
        entries = [st.tuples(st.just(name), _near(sub, depth + 1)) for name, sub in properties.items()] + [
            st.tuples(st.sampled_from(["unknown", "extra"]), _SCALARS)
        ]
        options.append(st.lists(st.one_of(entries), max_size=len(entries) + 1).map(dict))
    if "items" in schema or schema.get("type") == "array":
        options.append(st.lists(_near(schema.get("items", {}), depth + 1), max_size=3))
    return st.one_of(options)


IDS = [where for where, _, _ in BODY_SCHEMAS]


@pytest.mark.parametrize(("where", "schema", "example"), BODY_SCHEMAS, ids=IDS)
def test_the_fast_check_accepts_nothing_the_python_validator_refuses(
    where: str, schema: dict[str, Any], example: Any
) -> None:
    fast = fast_validator(schema)
    assert fast is not None, f"{where}: expected the compiled check to be used"
    python = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)

    @settings(max_examples=300, derandomize=True, suppress_health_check=list(HealthCheck), deadline=None)
    @given(_near(schema))
    def check(body: Any) -> None:
        if fast(body):
            assert python.is_valid(body), f"{where}: compiled check accepted {body!r}"

    check()


@pytest.mark.parametrize(
    ("where", "schema", "example"),
    [case for case in BODY_SCHEMAS if case[2] is not None],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_fast_check_accepts_the_specs_examples(where: str, schema: dict[str, Any], example: Any) -> None:
    fast = fast_validator(schema)
    python = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    assert fast is not None
    assert python.is_valid(example), f"{where}: the spec's own example is invalid"
    assert fast(example)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^a$"},
        {"type": "number", "multipleOf": 0.1},
        {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
        {"type": "object", "properties": {"a": {"type": "string", "pattern": "b"}}},
        {"$ref": "#/definitions/x"},
    ],
)
def test_keywords_the_engines_may_read_differently_stay_on_the_python_path(schema: dict[str, Any]) -> None:
    assert fast_validator(schema) is None


def test_formats_are_checked_by_the_python_format_checker() -> None:
    # jsonschema's Draft 4 checker has no "uuid" format, so any string passes; the Rust engine
    # alone would refuse "not-a-uuid".
    fast = fast_validator({"type": "string", "format": "uuid"})
    assert fast is not None
    assert fast("not-a-uuid") == Draft4Validator(
        {"format": "uuid"}, format_checker=Draft4Validator.FORMAT_CHECKER
    ).is_valid("not-a-uuid")
    email = fast_validator({"type": "string", "format": "email"})
    assert email is not None
    assert not email("no at sign")
    assert email("a@b")


def test_a_nullable_property_falls_back_to_the_python_validator() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}
    fast = fast_validator(schema)
    assert fast is not None
    assert not fast({"a": None})  # refused by the compiled check: the Python validator decides
    assert Draft4RequestValidator(schema).is_valid({"a": None})


_HEADER_NAMES = st.sampled_from(["content-type", "Content-Type", "CONTENT-TYPE", "accept", "x-other", "content-typo"])
_HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=5), st.booleans())
def test_header_content_type_answers_as_connexion_does(pairs: list[tuple[str, str]], as_dict: bool) -> None:
    headers: Any = (
        dict(pairs) if as_dict else [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    )
    assert header_content_type(headers) == connexion_utils.extract_content_type(headers)
