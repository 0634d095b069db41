"""Builds the one ASGI app that serves every fake under its prefix and the control plane."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from connexion import AsyncApp
from connexion.options import SwaggerUIOptions
from starlette.types import ASGIApp, Receive, Scope, Send

from . import rendering
from .admin import InProcessAdmin
from .admin.handlers import OPERATIONS as ADMIN_OPERATIONS
from .auth import SECURITY_MAP
from .cors import with_cors
from .dashboard import DashboardRoutes
from .dispatch import FunctionTableResolver, VendorResolver
from .interface import Vendor
from .middleware import FakesMiddleware
from .runtime import Runtime
from .specs import ADMIN_PREFIX, load_spec
from .state.files import StateFile
from .validation import validator_map


class FakesApp:
    """The ASGI application: the fakes, the control plane, and the runtime behind them.

    ``cors`` lists the origins allowed to call the fakes from a browser (``*`` for any; empty for
    none, the default); see cors.py.
    """

    def __init__(
        self, connexion_app: AsyncApp, runtime: Runtime, admin: InProcessAdmin, *, cors: Sequence[str] = ()
    ) -> None:
        self.connexion_app = connexion_app
        self.runtime = runtime
        self.admin = admin
        self.cors = tuple(cors)
        self._asgi: ASGIApp = FakesMiddleware(connexion_app, runtime)
        self._asgi = self.dashboard = DashboardRoutes(self._asgi, runtime)
        # Outermost: a preflight is answered before anything else runs (Connexion would answer 405).
        self._asgi = with_cors(self._asgi, self.cors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    def close_dashboard_streams(self) -> None:
        """End every open dashboard journal stream (the server is stopping)."""
        self.dashboard.close_streams()

    @property
    def apis(self) -> list[str]:
        """The names (and URL prefixes) of the served fakes."""
        return list(self.runtime.vendors)


def build_app(
    runtime: Runtime | None = None,
    *,
    vendors: Iterable[type[Vendor]] | None = None,
    validate_responses: bool = False,
    fast_path: bool = True,
    state_file: StateFile | None = None,
    cors: Sequence[str] = (),
) -> FakesApp:
    """Build the app.

    Args:
        runtime: an existing runtime to serve (a new one otherwise).
        vendors: the vendor classes to serve when building a new runtime (default: every
            registered vendor, :data:`mockserver.vendors.ALL_VENDORS`).
        validate_responses: check every fake response against its spec; a violation answers
            500 ``FAKE_RESPONSE_INVALID`` in the vendor's envelope. Tests keep this on.
        fast_path: serve through :mod:`mockserver.fastpath` (Connexion's handling with the
            per-operation work done once); off serves through Connexion's own ``AsyncApp`` and
            its default middlewares, which answer the same, more slowly.
        state_file: where ``POST /__admin/state/save`` writes the default session (the
            server loads it at start and saves it on shutdown).
        cors: the origins a browser may call the fakes from (``["*"]`` for any; see
            :mod:`mockserver.cors`). None by default; never the control plane.
    """
    if runtime is None:
        if vendors is None:
            from .vendors import ALL_VENDORS

            vendors = ALL_VENDORS
        runtime = Runtime(vendors)
    swagger = SwaggerUIOptions(swagger_ui=True)
    app: AsyncApp
    if fast_path:
        from .fastpath import fast_async_app

        app = fast_async_app(__name__, swagger_ui_options=swagger)
    else:
        app = AsyncApp(__name__, validator_map=validator_map(), security_map=SECURITY_MAP, swagger_ui_options=swagger)
    for name, vendor in runtime.vendors.items():
        app.add_api(
            load_spec(vendor.spec_file),
            base_path=f"/{name}",
            name=name,
            resolver=VendorResolver(runtime, vendor),
            validate_responses=validate_responses,
        )
    admin_spec = load_spec("admin.yaml")
    admin = InProcessAdmin(runtime)
    admin.state_file = state_file
    app.add_api(
        admin_spec,
        base_path=ADMIN_PREFIX,
        name="admin",
        resolver=FunctionTableResolver(dict(ADMIN_OPERATIONS), admin),
        validate_responses=validate_responses,
    )
    rendering.install(app, runtime, admin_spec)
    return FakesApp(app, runtime, admin, cors=cors)


def describe_urls(base_url: str, app: FakesApp) -> dict[str, Any]:
    """The base URL of each fake and of the control plane."""
    base = base_url.rstrip("/")
    return {**{api: f"{base}/{api}" for api in app.apis}, "admin": f"{base}{ADMIN_PREFIX}"}
