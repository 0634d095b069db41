"""The registry of issued secrets and masking them in text, data and log records."""

from __future__ import annotations

import io
import json
import logging
import secrets
from urllib.parse import quote, urlencode

import pytest

from mockserver.issued import IssuedSecrets, MaskingFilter, masked


@pytest.fixture
def registry() -> IssuedSecrets:
    return IssuedSecrets()


def test_a_secret_is_masked_wherever_it_appears(registry: IssuedSecrets) -> None:
    key = registry.register("cal_" + secrets.token_hex(16))
    jwt = registry.register("eyJhbGciOiJIUzI1NiJ9.eyJvcmdfaWQiOiJ4In0." + secrets.token_urlsafe(32))
    state = json.dumps({"accessToken": key, "origin": "127.0.0.1:8080"})
    texts = {
        "plain": f"token {key} given",
        "json": state,
        "query": urlencode({"state": state, "code": "x"}),
        "path": f"/recall/api/v1/calendar/{jwt}/user",
        "quoted": quote(f"Bearer {jwt}"),
        "glued": f"x{key}y{jwt}",
    }
    for where, text in texts.items():
        shown = registry.mask_text(text)
        assert key not in shown and jwt not in shown, where
        assert masked(key) in shown or masked(jwt) in shown, where
    assert registry.mask_text(f"{key} and {key}") == f"{masked(key)} and {masked(key)}"
    assert masked(key) == key[:6] + "…"


def test_text_without_secrets_is_unchanged(registry: IssuedSecrets) -> None:
    registry.register(secrets.token_hex(20))
    for text in ("", "short", "/vcita/platform/v1/scheduling/calendar_syncs?staff_uid=f67acee343b4a38b", "é" * 40):
        assert registry.mask_text(text) == text


def test_short_or_odd_values_are_not_registered(registry: IssuedSecrets) -> None:
    registry.register("abc123")
    registry.register("a password with spaces in it")
    assert len(registry) == 0
    assert registry.mask_text("abc123 and a password with spaces in it") == "abc123 and a password with spaces in it"


def test_secrets_sharing_their_last_characters_are_all_found(registry: IssuedSecrets) -> None:
    tail = secrets.token_hex(8)
    first = registry.register("aaaa" + secrets.token_hex(8) + tail)
    second = registry.register("bbbbbbbb" + secrets.token_hex(8) + tail)
    shown = registry.mask_text(f"{first} {second}")
    assert shown == f"{masked(first)} {masked(second)}"


def test_the_oldest_secrets_are_forgotten_past_the_cap() -> None:
    registry = IssuedSecrets(cap=3)
    values = [registry.register(secrets.token_hex(20)) for _ in range(5)]
    assert len(registry) == 3
    assert [value in registry for value in values] == [False, False, True, True, True]
    assert registry.mask_text(values[0]) == values[0]
    assert registry.mask_text(values[4]) == masked(values[4])


def test_mask_data_masks_nested_strings_and_keys(registry: IssuedSecrets) -> None:
    key = registry.register(secrets.token_hex(20))
    data = {"tokens": [key, {"k": f"Bearer {key}"}], key: 1, "n": 2, "none": None}
    shown = registry.mask_data(data)
    assert key not in json.dumps(shown)
    assert shown["n"] == 2 and shown["none"] is None
    assert key in json.dumps(data)  # a copy: the original is untouched


def test_the_log_filter_masks_messages_arguments_and_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = IssuedSecrets()
    monkeypatch.setattr("mockserver.issued.REGISTRY", registry)
    key = registry.register(secrets.token_hex(20))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("test.issued")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("request with %s failed", key)
        try:
            raise ValueError(f"bad token {key}")
        except ValueError:
            logger.exception("handler failed for %r", {"token": key})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert key not in output
    assert output.count(masked(key)) == 3
    assert "ValueError: bad token " + masked(key) in output
