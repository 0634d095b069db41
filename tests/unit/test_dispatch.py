"""The dispatcher's request path and scheme are exactly what starlette's URL would say."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import URL

from mockserver.dispatch import path_and_scheme

_PATH_CHARS = st.sampled_from(list("/abcXYZ019._~%!$&'()*+,;=:@-?#\\ \t\né\x00"))


def _scope(path: str, scheme: str, host: bytes | None, server: tuple[str, int] | None) -> dict[str, Any]:
    headers = [] if host is None else [(b"host", host)]
    return {
        "type": "http",
        "path": path,
        "scheme": scheme,
        "headers": headers,
        "server": server,
        "query_string": b"a=1",
    }


@settings(max_examples=500, derandomize=True)
@given(
    path=st.lists(_PATH_CHARS, max_size=12).map(lambda chars: "/" + "".join(chars)),
    scheme=st.sampled_from(["http", "https"]),
    host=st.sampled_from([b"127.0.0.1:8080", b"example.com", b"a/b", b"[::1]:80", b"bad host", None]),
    server=st.sampled_from([("127.0.0.1", 8080), ("::1", 80), None]),
)
def test_path_and_scheme_match_starlettes_url(
    path: str, scheme: str, host: bytes | None, server: tuple[str, int] | None
) -> None:
    scope = _scope(path, scheme, host, server)
    url = URL(scope=scope)
    assert path_and_scheme(scope) == (url.path, url.scheme)


def test_ordinary_paths_are_taken_as_they_are() -> None:
    scope = _scope("/vcita/business/scheduling/v1/x", "http", b"127.0.0.1:8080", ("127.0.0.1", 8080))
    assert path_and_scheme(scope) == ("/vcita/business/scheduling/v1/x", "http")


def test_unusual_paths_go_through_starlette() -> None:
    scope = _scope("/a?b#c\\d", "http", b"127.0.0.1:8080", ("127.0.0.1", 8080))
    assert path_and_scheme(scope) == ("/a%3Fb%23c%5Cd", "http")
