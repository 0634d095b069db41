"""Request body validation that says which field failed and why."""

from __future__ import annotations

import pytest
from jsonschema import Draft4Validator
from support.asgi import NOTES, call, note_and_token, tiny_app

from mockserver.errors import Problem
from mockserver.validation import FieldAwareJSONBodyValidator, describe

SCHEMA = {
    "type": "object",
    "required": ["staff_uid", "calendar_sync"],
    "additionalProperties": False,
    "properties": {
        "staff_uid": {"type": "string", "minLength": 1},
        "calendar_sync": {
            "type": "object",
            "required": ["provider"],
            "properties": {"provider": {"type": "string", "enum": ["google_v3"]}},
        },
    },
}


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"calendar_sync": {"provider": "google_v3"}}, "staff_uid", "missing"),
        ({"staff_uid": "s", "calendar_sync": {}}, "calendar_sync.provider", "missing"),
        ({"staff_uid": 5, "calendar_sync": {"provider": "google_v3"}}, "staff_uid", "invalid"),
        ({"staff_uid": "", "calendar_sync": {"provider": "google_v3"}}, "staff_uid", "invalid"),
        ({"staff_uid": "s", "calendar_sync": {"provider": "x"}}, "calendar_sync.provider", "invalid"),
        ({"staff_uid": "s", "calendar_sync": {"provider": "google_v3"}, "zzz": 1}, "zzz", "unknown"),
        ([], "body", "invalid"),
    ],
)
def test_describe_names_the_field_and_reason(body: object, field: str, reason: str) -> None:
    errors = list(Draft4Validator(SCHEMA).iter_errors(body))
    assert errors
    problems = [describe(e) for e in errors]
    assert any(p.field == field and p.reason == reason for p in problems), problems
    assert all(p.status == 422 and p.kind == "invalid_body" for p in problems)


def test_describe_quotes_the_offending_value_and_the_allowed_ones() -> None:
    error = next(Draft4Validator(SCHEMA).iter_errors({"staff_uid": "s", "calendar_sync": {"provider": "x"}}))
    problem = describe(error)
    assert problem.message == "calendar_sync.provider must be one of: google_v3"
    assert problem.value == "x"
    typed = describe(next(Draft4Validator({"type": ["string", "null"]}).iter_errors(5)))
    assert typed.message == "body must be of type string or null"


def _validator() -> FieldAwareJSONBodyValidator:
    return FieldAwareJSONBodyValidator(
        schema=SCHEMA, required=True, nullable=False, encoding="utf-8", strict_validation=False
    )


def test_field_aware_validator_rejects_empty_and_accepts_valid() -> None:
    validator = _validator()
    with pytest.raises(Problem) as raised:
        validator._validate(None)
    assert (raised.value.status, raised.value.field, raised.value.reason) == (400, "body", "missing")
    good = {"staff_uid": "s", "calendar_sync": {"provider": "google_v3"}}
    assert validator._validate(good) == good


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast_path", "connexion"])
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe{}", "the body is not valid utf-8: invalid start byte"),
        (b'{"text": ', "the body is not valid JSON: Expecting value: line 1 column 10 (char 9)"),
        (b'{"text": 5}', "text must be of type string"),
        (b'{"pinned": true}', "text is missing"),
        (b'{"text": "a", "colour": "red"}', "colour is not a known field"),
    ],
)
def test_a_bad_body_is_refused_in_the_vendors_envelope_and_changes_nothing(
    fast_path: bool, body: bytes, reason: str
) -> None:
    app = tiny_app(fast_path=fast_path)
    note, headers = note_and_token(app)
    response = call(
        app, "PUT", f"{NOTES}/{note}", headers={**headers, "Content-Type": "application/json"}, content=body
    )
    assert (response.status_code, response.json()) == (400, {"ok": False, "reason": reason})
    assert app.admin.state("tiny")["tiny"]["notes"] == [{"id": note, "text": "hello", "pinned": False}]
