"""A real browser for tests: Debian's chromium, driven by Playwright for Python.

Playwright's own browser downloads are never used (``playwright install`` is not run): the browser
is the system's ``/usr/bin/chromium`` (Debian's ``chromium`` package), started headless with a
fresh temporary profile and no network of its own (no sync, no component updates, no QUIC). When
it is missing, browser tests skip with the one line that says what to install.

* :func:`browser_page` (fixture): a blank page in a new browser, closed after the test - by its
  process, so a browser that hangs cannot outlive the test.
* :func:`chromium_page`: the same as a context manager, for code outside a fixture.
* :class:`StaticSite`: serves fixed pages from another loopback port, as a web app's origin would.

Mark such tests ``@pytest.mark.browser``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
MISSING_CHROMIUM = "install Debian's chromium: apt-get install -y chromium chromium-driver"
"""The skip reason when the browser is missing (a CI guard fails the run on it)."""
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in CI, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",  # a proxy from the environment must not see the tests' loopback traffic
)
LAUNCH_TIMEOUT_MS = 60_000
"""Starting chromium on a busy two-core machine can take several seconds."""


@contextlib.contextmanager
def chromium_page(timeout_ms: float = 15_000) -> Iterator[Page]:
    """A blank page in a fresh headless chromium; the browser is gone when the block ends.

    Skips the test when ``/usr/bin/chromium`` is missing. ``timeout_ms`` is the page's default
    timeout for waits and navigation.
    """
    if not CHROMIUM.is_file():
        pytest.skip(MISSING_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="mockserver-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
            timeout=LAUNCH_TIMEOUT_MS,
            # Playwright would otherwise stop the browser on the test run's own Ctrl-C first.
            handle_sigint=False,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(timeout_ms)
            yield page
        finally:
            with contextlib.suppress(Exception):
                context.close()
            _kill_browser(profile)


@pytest.fixture
def browser_page() -> Iterator[Page]:
    """A blank page in a fresh headless chromium, closed (by its process) after the test."""
    with chromium_page() as page:
        yield page


def _kill_browser(profile: str) -> None:
    """Kill what is left of the browser that used ``profile``.

    Every process of that browser carries its unique profile folder on its command line, so the
    processes killed are exactly this browser's (never another test's or the user's chromium).
    """
    marker = f"--user-data-dir={profile}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone already, or not ours to read
        if marker in arguments:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


class StaticSite:
    """Serves fixed pages on a free loopback port from a thread: a web app's own origin.

    Args:
        pages: path (``/index.html``) to HTML text; any other path answers 404.

    Use as a context manager; :attr:`origin` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self, pages: Mapping[str, str]) -> None:
        encoded = {path: html.encode() for path, html in pages.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = encoded.get(self.path.split("?", 1)[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test's output stays the test's

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The absolute URL of one of the pages."""
        return self.origin + path

    def __enter__(self) -> StaticSite:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
