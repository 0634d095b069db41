"""What a --cors value allows, and the default by bind address."""

from __future__ import annotations

import re

import pytest

from mockserver.cors import default_origins, parse_origins


@pytest.mark.parametrize(
    ("text", "origins"),
    [
        ("*", ("*",)),
        ("none", ()),
        ("", ()),
        ("http://localhost:3000", ("http://localhost:3000",)),
        # As a browser writes its Origin header: lowercase, no default port, no trailing slash.
        ("HTTP://LocalHost:3000/", ("http://localhost:3000",)),
        ("https://app.example:443,http://app.example:80", ("https://app.example", "http://app.example")),
        ("http://[::1]:5173, http://127.0.0.1:5173", ("http://[::1]:5173", "http://127.0.0.1:5173")),
        ("http://a.test,http://a.test", ("http://a.test",)),
    ],
)
def test_accepted_values(text: str, origins: tuple[str, ...]) -> None:
    assert parse_origins(text) == origins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("localhost:3000", "not an origin: 'localhost:3000' (expected scheme://host[:port]"),
        ("http://localhost:3000/app", "an origin has no path, query or user"),
        ("http://user@localhost", "an origin has no path, query or user"),
        ("*,http://a.test", "'*' allows every origin; give it alone"),
        ("none,http://a.test", "'none' turns CORS off; give it alone"),
        ("http://a.test:99999", "bad port"),
    ],
)
def test_refused_values_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_origins(text)


def test_default_is_any_origin_on_loopback_only() -> None:
    assert default_origins(loopback=True) == ("*",)
    assert default_origins(loopback=False) == ()
