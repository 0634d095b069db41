"""Every secret the fakes issued, and masking them wherever the fakes show data.

The rule: a value the fakes handed out as a credential (an API key, an access token, a JWT, an
OAuth code, the admin token) never appears in full in the journal, a state dump or a log line.
Vendors register what they mint (``return issued.register(token)``); the journal, the state
dumps and the server's log handlers pass what they show through :func:`mask_text` or
:func:`mask_data`, which replace any occurrence - inside a URL, a JSON string or a percent-encoded
query alike - with its first :data:`SHOWN_CHARACTERS` characters and ``…`` (the form state dumps
use for token prefixes).

The registry is process-wide and keeps the newest :data:`MAX_SECRETS` values; a secret is only
looked up by its last characters, so masking costs one dictionary lookup per character of
token-like text, however many secrets were issued.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

SHOWN_CHARACTERS = 6
"""How much of a secret stays visible."""
MAX_SECRETS = 20_000
"""The most secrets remembered; the oldest are forgotten first."""
MIN_LENGTH = 16
"""Shorter values are not registered: masking them would hide ordinary words and ids."""
_SUFFIX = 12
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_.~+/=-]{" + str(MIN_LENGTH) + ",}")


def masked(secret: str) -> str:
    """The shown form of a secret: ``cal_ab…``."""
    return secret[:SHOWN_CHARACTERS] + "…"


class IssuedSecrets:
    """A bounded, thread-safe set of issued secrets, indexed by their last characters."""

    def __init__(self, cap: int = MAX_SECRETS) -> None:
        self.cap = cap
        self._secrets: OrderedDict[str, None] = OrderedDict()
        self._by_suffix: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def register(self, secret: str) -> str:
        """Remember ``secret`` (when long enough to be one); answers it unchanged."""
        if len(secret) < MIN_LENGTH or not _TOKEN_RUN.fullmatch(secret):
            return secret
        with self._lock:
            if secret in self._secrets:
                return secret
            self._secrets[secret] = None
            self._by_suffix.setdefault(secret[-_SUFFIX:], []).append(secret)
            while len(self._secrets) > self.cap:
                oldest, _ = self._secrets.popitem(last=False)
                same_suffix = self._by_suffix[oldest[-_SUFFIX:]]
                same_suffix.remove(oldest)
                if not same_suffix:
                    del self._by_suffix[oldest[-_SUFFIX:]]
        return secret

    def __contains__(self, secret: object) -> bool:
        return secret in self._secrets

    def __len__(self) -> int:
        return len(self._secrets)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._secrets))

    def mask_text(self, text: str) -> str:
        """``text`` with every registered secret in it replaced by its masked form."""
        if not self._secrets or len(text) < MIN_LENGTH:
            return text
        spans: list[tuple[int, int, str]] = []
        with self._lock:
            by_suffix = self._by_suffix
            for run in _TOKEN_RUN.finditer(text):
                start, end = run.span()
                position = start
                for stop in range(start + MIN_LENGTH, end + 1):
                    if stop - _SUFFIX < position:
                        continue
                    for secret in by_suffix.get(text[stop - _SUFFIX : stop], ()):
                        begin = stop - len(secret)
                        if begin >= position and text.startswith(secret, begin):
                            spans.append((begin, stop, secret))
                            position = stop
                            break
        if not spans:
            return text
        parts: list[str] = []
        last = 0
        for begin, stop, secret in spans:
            parts.append(text[last:begin])
            parts.append(masked(secret))
            last = stop
        parts.append(text[last:])
        return "".join(parts)

    def mask_data(self, data: Any) -> Any:
        """A copy of JSON-like ``data`` with every string (keys included) masked."""
        if isinstance(data, str):
            return self.mask_text(data)
        if isinstance(data, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.mask_data(item) for item in data]
        return data

    def clear(self) -> None:
        """Forget every secret (tests)."""
        with self._lock:
            self._secrets.clear()
            self._by_suffix.clear()


REGISTRY = IssuedSecrets()
"""The process's registry: what every fake in this process issued."""


def register(secret: str) -> str:
    """Remember a secret a fake issued; answers it, so ``return register(token)`` reads naturally."""
    return REGISTRY.register(secret)


def mask_text(text: str) -> str:
    """``text`` with every issued secret masked."""
    return REGISTRY.mask_text(text)


def mask_data(data: Any) -> Any:
    """JSON-like ``data`` with every issued secret masked."""
    return REGISTRY.mask_data(data)


class MaskingFilter(logging.Filter):
    """A log filter that masks issued secrets in the message, its arguments and any traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        shown = mask_text(message)
        if shown != message:
            record.msg, record.args = shown, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def install_log_masking() -> None:
    """Add :class:`MaskingFilter` to every configured log handler (and the last-resort one)."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    handlers = {handler for logger in loggers for handler in logger.handlers}
    if logging.lastResort is not None:
        handlers.add(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
