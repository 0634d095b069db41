"""Keeping credentials out of reports: known secret values and credential headers are masked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

MASK = "<redacted>"
# Header and capture names that carry credentials.
SECRET_NAME = re.compile(r"authorization|token|secret|password|passwd|api[-_]?key|cookie|credential", re.IGNORECASE)
# Shorter values are not masked: they would blank out ordinary words and numbers.
MIN_SECRET_LENGTH = 6


def is_secret_name(name: str) -> bool:
    """Whether a header, variable or capture name says its value is a credential."""
    return bool(SECRET_NAME.search(name))


class Redactor:
    """Remembers secret values and masks them (and credential headers) in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, value: Any) -> None:
        """Treat ``value`` (a string, or every string inside a mapping or list) as secret."""
        if isinstance(value, str):
            if len(value) >= MIN_SECRET_LENGTH:
                self._secrets.add(value)
                # A credential is often sent with a scheme word in front; mask the bare value too.
                scheme, _, bare = value.partition(" ")
                if bare and scheme.isalpha() and len(bare) >= MIN_SECRET_LENGTH:
                    self._secrets.add(bare)
        elif isinstance(value, Mapping):
            for item in value.values():
                self.add(item)
        elif isinstance(value, list | tuple):
            for item in value:
                self.add(item)

    def add_secret_fields(self, document: Any) -> None:
        """Treat the values of credential-named keys anywhere in a JSON document as secret."""
        if isinstance(document, Mapping):
            for key, value in document.items():
                secret_key = isinstance(key, str) and is_secret_name(key)
                if secret_key and isinstance(value, str):
                    self.add(value)
                elif secret_key and isinstance(value, Mapping):
                    # A map of credentials by kind ({"staff": "...", "app": "..."}).
                    self.add([item for item in value.values() if isinstance(item, str)])
                    self.add_secret_fields(value)
                else:
                    self.add_secret_fields(value)
        elif isinstance(document, list):
            for item in document:
                self.add_secret_fields(item)

    def text(self, text: str) -> str:
        """``text`` with every known secret replaced by the mask (longest first)."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with credential-carrying values masked."""
        return {name: MASK if is_secret_name(name) else self.text(value) for name, value in headers.items()}


class _RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.text(record.getMessage())
        record.args = None
        return True


# The HTTP client logs each request line (a URL may carry a credential in its query).
HTTP_LOGGERS = ("httpx", "httpcore")


@contextmanager
def redacted_logs(redactor: Redactor) -> Iterator[None]:
    """Mask known secrets in what the HTTP client libraries log while the block runs."""
    log_filter = _RedactingFilter(redactor)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(log_filter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(log_filter)
