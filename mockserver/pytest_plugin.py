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


@pytest.fixture(scope="session")
def make_fake_server() -> Iterator[ServerThread]:
    """A session-wide server; most tests want :func:`fake_server`, which also resets it."""
    # Imported here so that merely having the plugin installed costs a test run nothing.
    from .quiet_import import import_connexion

    import_connexion()
    from .admin_guard import TOKEN_ENV
    from .app import build_app
    from .server import ServerThread

    validate = os.environ.get("MOCKSERVER_VALIDATE_RESPONSES", "1") != "0"
    token = os.environ.get(TOKEN_ENV) or None
    with ServerThread(build_app(validate_responses=validate), admin_token=token) as server:
        yield server


@pytest.fixture
def fake_server(make_fake_server: ServerThread) -> ServerThread:
    """The session's server, reset (state, journal, faults, settings, clock) for this test."""
    make_fake_server.app.runtime.reset()
    return make_fake_server


@pytest.fixture
def fake_admin(fake_server: ServerThread) -> InProcessAdmin:
    """The control plane of :func:`fake_server`, in process."""
    return fake_server.app.admin
