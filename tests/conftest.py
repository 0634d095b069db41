"""Fixtures every test module may use."""

from collections.abc import Iterator

# httpx loads httpcore on first use and keeps a map of its exception classes. Loaded first inside
# an in-process pytester run, httpcore would be dropped from sys.modules afterwards and loaded
# anew, and connection errors would then escape httpx untranslated. So it is imported here, first.
import httpcore  # noqa: F401
import httpx
import pytest
from support.http import Refusals

from mockserver.admin import InProcessAdmin
from mockserver.server import ServerThread

pytest_plugins = ["pytester", "support.browser"]


@pytest.fixture
def client(request: pytest.FixtureRequest, fake_server: ServerThread) -> Iterator[httpx.Client]:
    """An HTTP client on the fake the test module names in its ``API`` constant."""
    with httpx.Client(base_url=fake_server.url(request.module.API), timeout=10) as c:
        yield c


@pytest.fixture
def refusals(request: pytest.FixtureRequest, client: httpx.Client, fake_admin: InProcessAdmin) -> Refusals:
    """Requests to the module's ``API`` that must change nothing, on the ``client`` fixture's client."""
    return Refusals(client, fake_admin, request.module.API)
