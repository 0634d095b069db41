"""Recall behaviour traced to its sources, one test per source.

Sources: the client generated from Recall's OpenAPI (its ``CalendarUser`` schema makes
``preferences`` nullable), and Django REST framework, which Recall's API runs on (the
Serializer's error collection and "No data provided"; Django's CommonMiddleware for a missing
trailing slash).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockserver.admin import InProcessAdmin

API = "recall"

USER = "/api/v1/calendar/user/"


@pytest.fixture
def user(fake_admin: InProcessAdmin) -> dict[str, Any]:
    return fake_admin.apply_state("recall", "calendar_user", {"google": "g@example.com"})


def cal(data: dict[str, Any], **extra: str) -> dict[str, str]:
    return {"x-recallcalendarauthtoken": data["tokens"]["calendar"], **extra}


def state(admin: InProcessAdmin) -> dict[str, Any]:
    return admin.state("recall")["recall"]


@pytest.mark.parametrize("raw", [b"null", b" null\n"])
def test_drf_serializer_answers_a_null_body_with_no_data_provided(
    client: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any], raw: bytes
) -> None:
    before = state(fake_admin)
    response = client.put(USER, content=raw, headers=cal(user, **{"Content-Type": "application/json"}))
    assert (response.status_code, response.json()) == (400, {"non_field_errors": ["No data provided"]})
    assert state(fake_admin) == before


def test_drf_reads_an_absent_body_as_an_empty_dict(
    client: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    before = state(fake_admin)
    for headers in (cal(user), cal(user, **{"Content-Type": "application/json"})):
        response = client.put(USER, headers=headers)
        assert response.status_code == 200
    assert state(fake_admin) == before


def test_generated_client_schema_marks_preferences_nullable(
    client: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    original = client.get(USER, headers=cal(user)).json()["preferences"]
    response = client.put(USER, json={"preferences": None}, headers=cal(user))
    assert response.status_code == 200
    # Nothing changes (what Recall does with a null preferences object is inferred).
    assert response.json()["preferences"] == original


def test_drf_serializer_lists_every_field_error_in_one_answer(
    client: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any]
) -> None:
    before = state(fake_admin)
    body = {"preferences": {"record_external": "yes", "record_internal": 1, "bot_name": "", "record_only_host": True}}
    response = client.put(USER, json=body, headers=cal(user))
    assert response.status_code == 400
    assert response.json() == {
        "preferences": {
            "record_external": ["Must be a valid boolean."],
            "record_internal": ["Must be a valid boolean."],
            "bot_name": ["This field may not be blank."],
        }
    }
    # A rejected body changes nothing, not even the one valid member it carried.
    assert state(fake_admin) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
def test_missing_trailing_slash_is_307_where_django_common_middleware_answers_301(
    client: httpx.Client, fake_admin: InProcessAdmin, user: dict[str, Any], method: str
) -> None:
    # Known difference, documented in the spec and the README: Django (APPEND_SLASH) answers 301,
    # the fakes' shared router 307 for every method, which keeps the method and body.
    before = state(fake_admin)
    response = client.request(method, USER.rstrip("/"), headers=cal(user))
    assert response.status_code == 307
    assert response.headers["location"].endswith("/recall" + USER)
    assert state(fake_admin) == before
