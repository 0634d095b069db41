"""Pytest fixtures for suites that test code against the fakes (loaded by ``pip install``).

* ``make_fake_server`` (session): one server on a free loopback port, in a background thread.
* ``fake_server`` (function): that server after a full reset; ``fake_server.url("vcita")``.
* ``fake_admin`` (function): the in-process control plane of that server, after a reset.
* ``shared_fake`` (function): with ``--mockserver-url URL`` (or ``MOCKSERVER_URL``), a session of
  its own on that running ``mockserver serve`` for each test, deleted after it; without, the
  in-process ``fake_server``. ``shared_fake.url("vcita")`` and ``shared_fake.admin`` work alike in
  both, so a suite moves to a shared server with one option.

Set ``MOCKSERVER_VALIDATE_RESPONSES=0`` to turn off response validation in the fixture's server.
With ``MOCKSERVER_ADMIN_TOKEN`` set, the fixture's server requires that token on ``/__admin`` (as
``mockserver serve`` does), and :class:`~mockserver.admin.HttpAdmin` sends it; the server's
``admin_token`` attribute holds it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .admin import Admin, InProcessAdmin
    from .server import ServerThread


STATE_ENV = "MOCKSERVER_STATE"
URL_ENV = "MOCKSERVER_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption(
        "--mockserver-state",
        default=None,
        metavar="memory|redis://HOST:PORT/DB",
        help=f"the state engine of the fake_server fixture (default: ${STATE_ENV}, else memory)",
    )
    group.addoption(
        "--mockserver-url",
        default=None,
        metavar="URL",
        help=f"a running `mockserver serve` the shared_fake fixture opens a session on per test (default: ${URL_ENV}; "
        "without either, shared_fake is the in-process fake_server)",
    )


def fixture_state(config: pytest.Config) -> str:
    """The ``--state`` the fixtures' server uses (option, else environment, else memory)."""
    return config.getoption("--mockserver-state", None) or os.environ.get(STATE_ENV) or "memory"


@pytest.fixture(scope="session")
def make_fake_server(request: pytest.FixtureRequest) -> Iterator[ServerThread]:
    """A session-wide server; most tests want :func:`fake_server`, which also resets it."""
    # Imported here so that merely having the plugin installed costs a test run nothing.
    from .quiet_import import import_connexion

    import_connexion()
    from .admin_guard import TOKEN_ENV
    from .app import build_app
    from .runtime import Runtime
    from .server import ServerThread
    from .state.engine import open_engine
    from .vendors import ALL_VENDORS

    validate = os.environ.get("MOCKSERVER_VALIDATE_RESPONSES", "1") != "0"
    token = os.environ.get(TOKEN_ENV) or None
    state = fixture_state(request.config)
    if state.startswith(("redis://", "rediss://", "unix://")):
        # A namespace of its own: parallel test processes on one Redis must not share a fake.
        separator = "&" if "?" in state else "?"
        state = f"{state}{separator}namespace=mockserver-test-{os.getpid()}"
    runtime = Runtime(ALL_VENDORS, engine=open_engine(state))
    with ServerThread(build_app(runtime, validate_responses=validate), admin_token=token) as server:
        yield server
    runtime.engine.close()


@pytest.fixture
def fake_server(make_fake_server: ServerThread) -> ServerThread:
    """The session's server, reset (state, journal, faults, settings, clock; no sessions) for this test."""
    admin = make_fake_server.app.admin
    admin.reset()
    for session in admin.sessions():
        admin.delete_session(session["id"])
    return make_fake_server


@pytest.fixture
def fake_admin(fake_server: ServerThread) -> InProcessAdmin:
    """The control plane of :func:`fake_server`, in process."""
    return fake_server.app.admin


@dataclass
class SharedFake:
    """The fakes one test uses: a session of a served mockserver, or the in-process server.

    Attributes:
        base_url: where every fake and ``/__admin`` live (``<server>/s/<id>`` for a session).
        admin: the control plane of exactly these fakes (:class:`~mockserver.admin.HttpAdmin` on
            the session, or the in-process server's :class:`~mockserver.admin.InProcessAdmin`).
        session_id: the session's id, or None in process.
    """

    base_url: str
    admin: Admin
    session_id: str | None = None
    _url: Callable[[str], str] | None = None

    def url(self, api: str) -> str:
        """The base URL of one fake (``"vcita"``) or of the control plane (``"admin"``)."""
        if self._url is not None:
            return self._url(api)
        from .specs import api_prefix

        return self.base_url + api_prefix(api)


def mockserver_url(config: pytest.Config) -> str | None:
    """The served mockserver ``shared_fake`` uses (option, else environment), or None for in process."""
    url = config.getoption("--mockserver-url", None) or os.environ.get(URL_ENV) or None
    return url.rstrip("/") if url else None


@pytest.fixture
def shared_fake(request: pytest.FixtureRequest) -> Iterator[SharedFake]:
    """A fake of this test's own: a new session on ``--mockserver-url``, else :func:`fake_server`.

    On a served mockserver each test gets a session (function scope: its state, journal, faults,
    settings and clock start fresh and are nobody else's), deleted when the test ends; the
    server's default session and other runs are never touched. ``MOCKSERVER_ADMIN_TOKEN`` is
    sent to create it where the server asks for an admin credential; the session's own token
    opens its control plane. Without a URL the in-process server is used, reset as
    :func:`fake_server` is.
    """
    url = mockserver_url(request.config)
    if url is None:
        server: ServerThread = request.getfixturevalue("fake_server")
        yield SharedFake(server.base_url, server.app.admin, None, server.url)
        return
    import httpx

    from .admin import AdminError, HttpAdmin

    with HttpAdmin(url) as root:
        try:
            created = root.create_session(name=f"pytest {request.node.nodeid}"[:200])
        except httpx.HTTPError as exc:
            pytest.fail(f"shared_fake: no mockserver answers at {url}: {exc}", pytrace=False)
        except AdminError as exc:
            pytest.fail(f"shared_fake: {url} refused to create a session: {exc.message}", pytrace=False)
        session_id = str(created["id"])
        base_url = f"{url}/s/{session_id}"
        try:
            with HttpAdmin(base_url, token=str(created["token"])) as admin:
                yield SharedFake(base_url, admin, session_id)
        finally:
            try:
                root.delete_session(session_id)
            except httpx.HTTPError:
                pass  # the server stopped: nothing is left to free
            except AdminError as exc:
                if exc.status != 404:  # already deleted (by the test itself, or expired)
                    raise
