"""Pytest fixtures for suites that test code against the fakes (loaded by ``pip install``).

* ``make_fake_server`` (session): one server on a free loopback port, in a background thread.
* ``fake_server`` (function): that server after a full reset; ``fake_server.url("vcita")``.
* ``fake_admin`` (function): the in-process control plane of that server, after a reset.

Set ``MOCKSERVER_VALIDATE_RESPONSES=0`` to turn off response validation in the fixture's server.
With ``MOCKSERVER_ADMIN_TOKEN`` set, the fixture's server requires that token on ``/__admin`` (as
``mockserver serve`` does), and :class:`~mockserver.admin.HttpAdmin` sends it; the server's
``admin_token`` attribute holds it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .admin import InProcessAdmin
    from .server import ServerThread


STATE_ENV = "MOCKSERVER_STATE"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption(
        "--mockserver-state",
        default=None,
        metavar="memory|redis://HOST:PORT/DB",
        help=f"the state engine of the fake_server fixture (default: ${STATE_ENV}, else memory)",
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
    """The session's server, reset (state, journal, faults, settings, clock) for this test."""
    make_fake_server.app.admin.reset()
    return make_fake_server


@pytest.fixture
def fake_admin(fake_server: ServerThread) -> InProcessAdmin:
    """The control plane of :func:`fake_server`, in process."""
    return fake_server.app.admin
