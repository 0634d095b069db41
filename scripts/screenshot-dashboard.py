#!/usr/bin/env python3
"""Regenerates docs/dashboard.png, the README's picture of the dashboard.

    .venv/bin/python scripts/screenshot-dashboard.py [--out docs/dashboard.png]

Serves every fake on a free loopback port, seeds a few provider states, sends the requests an
app would (a disconnect that works, one a fault turns into a 503, a typo'd path, a call without
a credential), opens the dashboard in Debian's chromium (the browser the tests use,
tests/support/browser.py) and screenshots it with one request opened. Loopback only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.browser import chromium_page  # noqa: E402

from mockserver.app import build_app  # noqa: E402
from mockserver.server import ServerThread  # noqa: E402

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"
VIEWPORT = {"width": 1440, "height": 900}


def exercise(server: ServerThread) -> None:
    """What an app under test would have sent: some of it right, some of it not."""
    admin = server.app.admin
    synced = admin.apply_state("vcita", "calendar_sync", {"account": "ada@example.com"})
    calcom = admin.apply_state("calcom", "connected_calendar", {})
    recall = admin.apply_state("recall", "calendar_user", {})
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        staff = {"Authorization": f"Bearer {synced['tokens']['staff']}"}
        body = {
            "staff_uid": synced["staff_uid"],
            "calendar_sync": {"provider": "google_v3", "account": "ada@example.com"},
        }
        http.get("/calcom/v2/calendars", headers={"Authorization": f"Bearer {calcom['tokens']['api_key']}"})
        http.get("/recall/api/v1/calendar/user/", headers={"x-recallcalendarauthtoken": recall["tokens"]["calendar"]})
        http.get("/calcom/v2/calendar", headers={"Authorization": f"Bearer {calcom['tokens']['api_key']}"})
        http.put(f"{ITEMS}/disconnect", json=body)  # no credential: 401
        admin.add_fault("vcita", "disconnectExternalCalendar", status=503, times=1)
        http.put(f"{ITEMS}/disconnect", json=body, headers=staff)  # the fault: 503
        http.put(f"{ITEMS}/disconnect", json=body, headers=staff)  # then it works
    admin.add_fault("recall", "calendar_user_disconnect_create", delay_ms=1500)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args(argv)
    with ServerThread(build_app(validate_responses=True)) as server:
        exercise(server)
        with chromium_page() as page:
            page.set_viewport_size(VIEWPORT)
            page.goto(f"{server.base_url}/__admin/dashboard")
            page.wait_for_selector("#live.on")
            page.wait_for_selector(f'#journal tbody tr:has-text("{ITEMS}/disconnect")')
            page.wait_for_selector('.api-state[data-api="vcita"] table')
            page.locator(f'#journal tbody tr:has-text("{ITEMS}/disconnect")').first.click()
            page.wait_for_selector("#detail:not([hidden]) #detail-response-body:not(:empty)")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
