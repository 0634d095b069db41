"""The landing page and the dashboard in a real browser (Debian's chromium, tests/support/browser.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from mockserver.app import build_app
from mockserver.server import ServerThread

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"


def open_dashboard(page: Page, server: ServerThread) -> None:
    page.goto(f"{server.base_url}/__admin/dashboard")
    page.wait_for_selector("#live.on")  # the journal stream is connected


def disconnect(server: ServerThread, data: dict[str, Any]) -> httpx.Response:
    body = {"staff_uid": data["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "a@b.c"}}
    headers = {"Authorization": f"Bearer {data['tokens']['staff']}"}
    return httpx.put(f"{server.base_url}{ITEMS}/disconnect", json=body, headers=headers, timeout=10)


def test_the_landing_page_leads_to_the_dashboard_and_the_swagger_uis(
    browser_page: Page, fake_server: ServerThread
) -> None:
    page = browser_page
    page.goto(fake_server.base_url + "/")
    assert page.title() == "mockserver"
    apis = page.locator("#apis tbody tr")
    assert apis.count() == len(fake_server.app.apis)
    page.click("#apis a >> text=vcita")
    page.wait_for_selector(".swagger-ui")
    page.go_back()
    page.click("#dashboard-link")
    page.wait_for_selector("#live.on")
    assert page.url == f"{fake_server.base_url}/__admin/dashboard"


def test_a_request_shows_in_the_journal_within_a_second(browser_page: Page, fake_server: ServerThread) -> None:
    page = browser_page
    open_dashboard(page, fake_server)
    sent = time.monotonic()
    assert httpx.get(f"{fake_server.base_url}/calcom/v2/calendar", timeout=10).status_code == 404
    page.wait_for_selector('#journal tbody tr:has-text("/calcom/v2/calendar")', timeout=1000)
    assert time.monotonic() - sent < 1.0
    row = page.locator("#journal tbody tr").first
    assert row.locator("td").nth(5).inner_text() == "404"
    assert row.locator("td").nth(2).inner_text() == "calcom"


def test_the_filters_hide_what_does_not_match(browser_page: Page, fake_server: ServerThread) -> None:
    page = browser_page
    for path in ("/calcom/v2/nowhere", "/vcita/nowhere"):
        httpx.get(fake_server.base_url + path, timeout=10)
    open_dashboard(page, fake_server)
    page.wait_for_selector('#journal tbody tr:has-text("/vcita/nowhere")')
    shown = page.locator("#journal tbody tr:visible")
    assert shown.count() == 2
    page.select_option("#filter-api", "vcita")
    assert shown.count() == 1 and "/vcita/nowhere" in shown.first.inner_text()
    page.select_option("#filter-api", "")
    page.fill("#filter-text", "calcom/v2")
    assert shown.count() == 1 and "/calcom/v2/nowhere" in shown.first.inner_text()
    page.fill("#filter-text", "")
    page.fill("#filter-status", "2xx")
    assert shown.count() == 0
    page.fill("#filter-status", "4xx")
    assert shown.count() == 2


def test_a_requests_detail_shows_everything_with_the_token_masked(
    browser_page: Page, fake_server: ServerThread
) -> None:
    page = browser_page
    data = fake_server.app.admin.apply_state("vcita", "calendar_sync", {"account": "a@b.c"})
    token = data["tokens"]["staff"]
    open_dashboard(page, fake_server)
    assert disconnect(fake_server, data).status_code == 200
    page.click(f'#journal tbody tr:has-text("{ITEMS}/disconnect")')
    page.wait_for_selector("#detail:not([hidden]) #detail-request-body:has-text('calendar_sync')")
    detail = page.inner_text("#detail")
    assert f"Bearer {token[:6]}…" in page.inner_text("#detail-request-headers")
    assert "disconnectExternalCalendar" in detail and "PUT" in detail
    assert "declared: 200 is a declared response of disconnectExternalCalendar" in detail
    assert '"account": "a@b.c"' in page.inner_text("#detail-request-body")
    assert page.inner_text("#detail-response-body").strip().startswith("{")
    assert token not in page.content(), "the issued token appears nowhere on the page"


def test_a_404_detail_names_the_near_misses(browser_page: Page, fake_server: ServerThread) -> None:
    page = browser_page
    open_dashboard(page, fake_server)
    httpx.get(f"{fake_server.base_url}/calcom/v2/calendar", timeout=10)
    page.click('#journal tbody tr:has-text("/calcom/v2/calendar")')
    page.wait_for_selector("#detail-near tbody tr")
    assert "/v2/calendars" in page.inner_text("#detail-near tbody tr >> nth=0")
    assert "no_operation" in page.inner_text("#detail-facts")


def test_a_provider_state_shows_as_a_state_table(browser_page: Page, fake_server: ServerThread) -> None:
    page = browser_page
    open_dashboard(page, fake_server)
    synced = fake_server.app.admin.apply_state("vcita", "calendar_sync", {"account": "table@b.c"})
    page.click("#refresh-state")
    table = page.locator('.api-state[data-api="vcita"] .collection[data-collection="calendar_syncs"] table')
    table.wait_for()
    assert "uid" in table.locator("thead").inner_text()
    assert synced["calendar_sync_uid"] in table.inner_text()
    assert "table@b.c" in table.inner_text()
    assert synced["tokens"]["staff"] not in page.content()


def test_a_fault_added_from_the_page_applies_to_the_next_request(browser_page: Page, fake_server: ServerThread) -> None:
    page = browser_page
    data = fake_server.app.admin.apply_state("vcita", "calendar_sync", {"account": "a@b.c"})
    open_dashboard(page, fake_server)
    page.select_option("#fault-api", "vcita")
    page.select_option("#fault-operation", "disconnectExternalCalendar")
    page.fill("#fault-status", "503")
    page.fill("#fault-times", "1")
    page.click("#add-fault")
    page.wait_for_selector('#faults tbody tr:has-text("disconnectExternalCalendar")')
    assert fake_server.app.admin.faults()[0]["status"] == 503
    assert disconnect(fake_server, data).status_code == 503
    assert disconnect(fake_server, data).status_code == 200, "times=1: the fault is used up"
    page.wait_for_selector('#faults tbody tr:has-text("none")')


def test_settings_and_the_clock_are_edited_from_the_page(browser_page: Page, fake_server: ServerThread) -> None:
    page = browser_page
    open_dashboard(page, fake_server)
    page.wait_for_function("() => document.getElementById('settings').value.includes('journal_max_bytes')")
    page.fill("#settings", '{"rate_limits": false, "journal_cap": 77}')
    page.click("#settings-form button[type=submit]")
    # The page shows the whole document again once the change is in.
    page.wait_for_function(
        "() => document.getElementById('settings').value.includes('journal_max_bytes')"
        " && document.getElementById('settings').value.includes('77')"
    )
    assert fake_server.app.admin.settings()["journal_cap"] == 77
    page.fill("#settings", '{"journal_cap": 0}')
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    assert "400" in page.inner_text("#error")
    assert fake_server.app.admin.settings()["journal_cap"] == 77, "a refused change changes nothing"
    page.fill("#clock-advance", "7200")
    page.click("#clock-form button[type=submit]")
    page.wait_for_selector("#clock-offset:has-text('7200')")
    assert fake_server.app.admin.clock()["offset_seconds"] == 7200


def test_the_sessions_panel_shows_only_when_the_server_has_sessions(
    browser_page: Page, fake_server: ServerThread
) -> None:
    page = browser_page
    open_dashboard(page, fake_server)
    page.wait_for_selector("#clock-now:not(:empty)")
    assert page.locator("#sessions-section").is_hidden(), "no session exists yet"
    created = fake_server.app.admin.create_session("shard 1")
    page.click("#refresh-state")
    page.wait_for_selector(f"#sessions-section:not([hidden]) td:has-text('{created['id']}')")
    fake_server.app.admin.delete_session(created["id"])
    page.click("#refresh-state")
    page.wait_for_selector("#sessions-section", state="hidden")


def test_with_an_admin_token_the_page_asks_for_it_and_sends_it(browser_page: Page) -> None:
    token = "browser-admin-token-123456"
    with ServerThread(build_app(), admin_token=token) as server:
        page = browser_page
        # The page and its files load with the token (a browser opens a guarded page only with a
        # header-adding proxy or extension); the page's own calls must then send it themselves.
        page.route(
            "**/__admin/dashboard**",
            lambda route: route.continue_(headers={**route.request.headers, "authorization": f"Bearer {token}"}),
        )
        page.goto(f"{server.base_url}/__admin/dashboard")
        page.wait_for_selector("#token-form:not([hidden])")
        assert page.locator("#live.on").count() == 0, "without the token the stream is refused"
        page.fill("#token-input", token)
        page.click("#token-form button[type=submit]")
        page.wait_for_selector("#live.on")
        httpx.get(f"{server.base_url}/vcita/nowhere", timeout=10)
        page.wait_for_selector('#journal tbody tr:has-text("/vcita/nowhere")')
        assert token not in page.content()
