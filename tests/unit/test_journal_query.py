"""Journal entries as kept (capped bodies, masked credentials) and the find/count filters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.journal_query import (
    BODY_CAP,
    BodyTap,
    count,
    entry_size,
    filter_body,
    find,
    mask_credential_headers,
    parse_filter,
    readable,
)


def entry(n: int, **fields: Any) -> dict[str, Any]:
    body = fields.pop("body", None)
    shown = {
        "id": n,
        "api": "vcita",
        "method": "POST",
        "path": f"/vcita/items/{n}",
        "operationId": "createItem",
        "status": 201,
        "request": {"headers": {}, "body": json.dumps(body) if body is not None else None, "truncated": False},
        "response": {"headers": {}, "body": json.dumps({"id": n}), "truncated": False},
    }
    shown.update(fields)
    return shown


def test_a_body_within_the_cap_is_kept_whole_and_a_longer_one_is_cut_with_a_marker() -> None:
    small = BodyTap()
    small.add(b'{"a": ', more=True)
    small.add(b"1}")
    assert small.part([(b"content-type", b"application/json")]).shown() == {
        "headers": "content-type: application/json",
        "body": '{"a": 1}',
        "body_bytes": 8,
        "truncated": False,
    }
    big = BodyTap()
    for _ in range(3):
        big.add(b"x" * BODY_CAP, more=True)
    big.add(b"")
    part = big.part([]).shown()
    assert part["truncated"] is True and part["body_bytes"] == 3 * BODY_CAP
    assert part["body"].startswith("x" * BODY_CAP)
    assert part["body"][BODY_CAP:] == f"\n…[truncated by mockserver: {3 * BODY_CAP} bytes, the first {BODY_CAP} kept]"
    assert len(big.chunks) == 1, "chunks past the cap are not held"
    assert BodyTap().part([]).shown()["body"] is None


def test_bytes_that_are_not_utf8_are_shown_replaced_and_headers_read_as_a_dict() -> None:
    tap = BodyTap()
    tap.add(b"ok \xff")
    part = tap.part([(b"x-a", b"1"), (b"x-a", b"2"), (b"x-b", b"a: b")]).shown()
    assert part["body"] == "ok \ufffd" and part["headers"] == "x-a: 1\nx-a: 2\nx-b: a: b"
    shown = readable({"request": part, "path": "/p"})
    assert shown["request"]["headers"] == {"x-a": "1, 2", "x-b": "a: b"} and shown["path"] == "/p"
    assert part["headers"] == "x-a: 1\nx-a: 2\nx-b: a: b", "reading leaves the recorded entry alone"
    assert readable({"request": {"headers": ""}})["request"]["headers"] == {}


def test_entry_size_counts_bodies_headers_and_path() -> None:
    small = entry(1)
    bigger = entry(1, body="y" * 10_000)
    assert entry_size(bigger) - entry_size(small) == len(json.dumps("y" * 10_000))
    assert entry_size({"path": "/p"}) == 512 + 2
    as_text = {"request": {"headers": "a: bc", "body": "xyz"}}
    as_dict = {"request": {"headers": {"a": "bc"}, "body": "xyz"}}
    assert entry_size(as_text) == 512 + 5 + 3 and entry_size(as_dict) == 512 + 3 + 3


def test_credential_headers_are_cut_short_and_others_left() -> None:
    masked = mask_credential_headers(
        {
            "request": {
                "headers": {
                    "authorization": "Bearer sk_live_abcdefghijklmnop",
                    "x-api-key": "abcdefghijklmnop",
                    "cookie": "session=abcdefghijkl",
                    "accept": "application/json",
                }
            }
        }
    )
    headers = masked["request"]["headers"]
    assert headers == {
        "authorization": "Bearer sk_liv…",
        "x-api-key": "abcdef…",
        "cookie": "sessio…",
        "accept": "application/json",
    }


ENTRIES = [
    entry(3, method="GET", operationId="getItem", status=404, path="/calcom/v2/x", api="calcom"),
    entry(2, body={"provider": "google_v3", "n": 1, "flag": True}),
    entry(1, body={"provider": "outlook", "n": 2}),
]


@pytest.mark.parametrize(
    ("given", "ids"),
    [
        ({}, [3, 2, 1]),
        ({"api": "vcita"}, [2, 1]),
        ({"operationId": "getItem"}, [3]),
        ({"method": "get"}, [3]),
        ({"path": "/vcita/items/2"}, [2]),
        ({"pathPattern": "/vcita/items/[12]"}, [2, 1]),
        ({"pathPattern": "items"}, []),  # the whole path must match
        ({"status": 404}, [3]),
        ({"jsonPath": {"expression": "$.provider"}}, [2, 1]),
        ({"jsonPath": {"expression": "$.provider", "equals": "outlook"}}, [1]),
        ({"jsonPath": {"expression": "$.n", "equals": 1}}, [2]),
        ({"jsonPath": {"expression": "$.flag", "equals": 1}}, []),  # JSON's true is not 1
        ({"jsonPath": {"expression": "$.id", "equals": 2, "body": "response"}}, [2]),
        ({"jsonPath": {"expression": "$.missing"}}, []),
        ({"api": "vcita", "limit": 1}, [2]),
    ],
)
def test_find_applies_every_filter(given: dict[str, Any], ids: list[int]) -> None:
    selected = parse_filter(given)
    assert [e["id"] for e in find(ENTRIES, selected)] == ids
    assert count(ENTRIES, selected) == (len(ids) if "limit" not in given else 2)


def test_a_truncated_or_non_json_body_matches_no_json_path() -> None:
    cut = entry(5, body={"provider": "x"})
    cut["request"]["truncated"] = True
    text = entry(6)
    text["request"]["body"] = "provider=x"
    assert count([cut, text], parse_filter({"jsonPath": {"expression": "$.provider"}})) == 0


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"colour": "red"}, "unknown filter 'colour'"),
        ({"status": "404"}, "status must be an integer"),
        ({"status": True}, "status must be an integer"),
        ({"limit": 0}, "limit must be at least 1"),
        ({"method": 5}, "method must be a string"),
        ({"pathPattern": "(unclosed"}, "pathPattern is not a regular expression"),
        ({"jsonPath": {"expression": "$[[["}}, "jsonPath.expression does not parse"),
        ({"jsonPath": {"expression": ""}}, "jsonPath.expression must be a JSONPath"),
        ({"jsonPath": {"expression": "$.a", "body": "both"}}, "jsonPath.body must be"),
        ({"jsonPath": {"expression": "$.a", "value": 1}}, "jsonPath has no field 'value'"),
        ({"jsonPath": 5}, "jsonPath must be an object"),
    ],
)
def test_bad_filters_say_which_field_is_wrong(given: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace("[", r"\[")):
        parse_filter(given)


def test_filter_body_uses_the_json_names_and_drops_unset_filters() -> None:
    assert filter_body({"operation_id": "x", "path_pattern": "/a", "json_path": "$.a", "status": None}) == {
        "operationId": "x",
        "pathPattern": "/a",
        "jsonPath": {"expression": "$.a"},
    }
