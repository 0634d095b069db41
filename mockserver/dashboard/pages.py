"""The landing page, the dashboard page and its static files, rendered from the package's templates."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from string import Template

from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..runtime import Runtime
from ..specs import ADMIN_PREFIX

_FILES = resources.files(__package__)
SECURITY_HEADERS = {
    # Everything the page uses comes from the server itself; no inline script, no framing.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@cache
def _template(name: str) -> Template:
    return Template(_FILES.joinpath("templates", name).read_text(encoding="utf-8"))


@cache
def _static_files() -> dict[str, tuple[bytes, str]]:
    """Every file in ``static/`` that the dashboard may serve, with its media type."""
    found = {}
    for item in _FILES.joinpath("static").iterdir():
        media_type = _STATIC_TYPES.get("." + item.name.rsplit(".", 1)[-1])
        if item.is_file() and media_type:
            found[item.name] = (item.read_bytes(), media_type)
    return found


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def landing_page(runtime: Runtime) -> Response:
    """``/``: what is served here, with links to the dashboard and every Swagger UI."""
    rows = "\n".join(
        f'      <tr><td><a href="{_e(name)}/ui/">{_e(name)}</a></td><td>{_e(vendor.title)}</td>'
        f"<td><code>/{_e(name)}</code></td></tr>"
        for name, vendor in runtime.vendors.items()
    )
    body = _template("landing.html").substitute(apis=rows, admin=_e(ADMIN_PREFIX.lstrip("/")))
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def dashboard_page(runtime: Runtime) -> Response:
    """``/__admin/dashboard``: the page's frame; the script fills it from the control plane."""
    options = "\n".join(f'<option value="{_e(name)}">{_e(name)}</option>' for name in runtime.vendors)
    operations = "\n".join(
        f'<option value="{_e(operation_id)}" data-api="{_e(name)}">{_e(operation_id)}</option>'
        for name in runtime.vendors
        for operation_id in runtime.operation_ids(name)
    )
    body = _template("dashboard.html").substitute(api_options=options, operation_options=operations)
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def static_file(name: str) -> Response:
    """One of the dashboard's own files, or a 404."""
    found = _static_files().get(name)
    if found is None:
        error = {"code": "not_found", "message": f"the dashboard has no file {name!r}"}
        return JSONResponse({"error": error}, status_code=404)
    data, media_type = found
    return Response(
        data, media_type=media_type, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    )


def redirect(location: str) -> Response:
    """A redirect to the dashboard (from ``/__admin`` and ``/__admin/``)."""
    return RedirectResponse(location, status_code=307)
