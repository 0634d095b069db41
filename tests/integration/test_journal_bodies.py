"""The journal with bodies over a served fake: what an entry keeps, find/count, near misses,
verdicts and the byte cap, through both Admin implementations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.admin import AdminError, HttpAdmin
from mockserver.journal_query import BODY_CAP
from mockserver.server import ServerThread

ITEMS = "/vcita/business/scheduling/v1/external_calendar_items"


@pytest.fixture(params=["in_process", "http"])
def admin(request: pytest.FixtureRequest, fake_server: ServerThread) -> Iterator[Any]:
    if request.param == "in_process":
        yield fake_server.app.admin
    else:
        with HttpAdmin(fake_server.base_url) as http_admin:
            yield http_admin


@pytest.fixture
def http(fake_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_server.base_url, timeout=10) as client:
        yield client


def disconnect(http: httpx.Client, data: dict[str, Any], account: str = "a@b.c") -> httpx.Response:
    body = {"staff_uid": data["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": account}}
    return http.put(f"{ITEMS}/disconnect", json=body, headers={"Authorization": f"Bearer {data['tokens']['staff']}"})


def test_an_entry_keeps_headers_and_both_bodies_with_the_token_masked(admin: Any, http: httpx.Client) -> None:
    data = admin.apply_state("vcita", "calendar_sync", {"account": "a@b.c"})
    response = disconnect(http, data)
    assert response.status_code == 200
    (entry,) = admin.requests("vcita")
    token = data["tokens"]["staff"]
    assert token not in str(entry), "the issued token is masked everywhere in the entry"
    assert entry["request"]["headers"]["authorization"] == f"Bearer {token[:6]}…"
    assert entry["request"]["body"] == response.request.content.decode()
    assert entry["request"]["body_bytes"] == len(response.request.content) and not entry["request"]["truncated"]
    assert entry["response"]["body"] == response.text
    assert entry["response"]["headers"]["content-type"] == "application/json"
    assert entry["verdict"] == {
        "result": "declared",
        "message": "200 is a declared response of disconnectExternalCalendar",
    }
    assert admin.request(entry["id"]) == entry


def test_a_body_refused_before_it_was_read_is_still_kept(admin: Any, http: httpx.Client) -> None:
    admin.apply_state("vcita", "calendar_sync")
    http.put(f"{ITEMS}/disconnect", json={"who": "no token"})
    (entry,) = admin.requests("vcita")
    assert entry["status"] == 401 and entry["request"]["body"] == '{"who":"no token"}'


def test_a_large_body_is_cut_at_the_cap_with_a_marker(admin: Any, http: httpx.Client) -> None:
    big = '{"pad": "' + "z" * (BODY_CAP + 1000) + '"}'
    http.post("/calcom/v2/nowhere", content=big, headers={"Content-Type": "application/json"})
    (entry,) = admin.requests("calcom")
    kept = entry["request"]
    assert kept["truncated"] is True and kept["body_bytes"] == len(big)
    assert kept["body"].startswith(big[:BODY_CAP])
    assert kept["body"].endswith(f"…[truncated by mockserver: {len(big)} bytes, the first {BODY_CAP} kept]")


def test_a_404_on_a_vendor_path_records_its_near_misses(admin: Any, http: httpx.Client) -> None:
    assert http.get("/calcom/v2/calendar").status_code == 404
    (entry,) = admin.requests("calcom")
    assert entry["operationId"] is None and entry["verdict"]["result"] == "no_operation"
    assert len(entry["near_misses"]) == 3
    assert entry["near_misses"][0]["path"].startswith("/v2/calendars")
    assert entry["near_misses"][0]["method"] == "GET"


def test_find_and_count_select_by_every_filter(admin: Any, http: httpx.Client) -> None:
    first = admin.apply_state("vcita", "calendar_sync", {"account": "one@b.c"})
    second = admin.apply_state("vcita", "calendar_sync", {"account": "two@b.c"})
    disconnect(http, first, "one@b.c")
    disconnect(http, second, "two@b.c")
    http.get("/vcita/nowhere")
    http.get("/calcom/v2/nowhere")
    assert admin.count_requests() == 4
    assert admin.count_requests(api="vcita") == 3
    assert admin.count_requests(status=404) == 2
    assert admin.count_requests(method="put", operation_id="disconnectExternalCalendar") == 2
    assert admin.count_requests(path="/vcita/nowhere") == 1
    assert admin.count_requests(path_pattern=r"/\w+(/v2)?/nowhere") == 2
    found = admin.find_requests(json_path={"expression": "$.calendar_sync.account", "equals": "two@b.c"})
    assert len(found) == 1
    assert "two@b.c" in found[0]["request"]["body"] and found[0]["verdict"]["result"] == "declared"
    assert len(admin.find_requests(json_path="$.calendar_sync.account")) == 2
    assert len(admin.find_requests(api="vcita", limit=1)) == 1
    assert admin.find_requests(api="vcita", limit=1)[0]["path"] == "/vcita/nowhere", "newest first"
    responses = admin.find_requests(json_path={"expression": "$.status", "equals": "Error", "body": "response"})
    assert {e["status"] for e in responses} == {404}


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda a: a.find_requests(path_pattern="(unclosed"), 400, "invalid_filter"),
        (lambda a: a.count_requests(json_path="$[[["), 400, "invalid_filter"),
        (lambda a: a.find_requests(api="nope"), 404, "unknown_api"),
        (lambda a: a.request(999_999), 404, "unknown_request"),
    ],
)
def test_bad_queries_are_clear_errors_and_change_nothing(
    admin: Any, http: httpx.Client, call: Any, status: int, code: str
) -> None:
    http.get("/vcita/nowhere")
    before = admin.requests()
    with pytest.raises(AdminError) as raised:
        call(admin)
    assert (raised.value.status, raised.value.code) == (status, code)
    assert admin.requests() == before


def test_find_over_http_refuses_what_the_spec_does_not_allow(http: httpx.Client) -> None:
    for body in ({"colour": "red"}, {"status": "x"}, {"jsonPath": {"expression": "$.a", "body": "both"}}):
        response = http.post("/__admin/requests/find", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"]
    assert http.post("/__admin/requests/count", json={}).json() == {"count": 0}, "an empty filter counts all"


def test_the_byte_cap_is_a_setting_and_bounds_the_journal(admin: Any, http: httpx.Client) -> None:
    assert admin.settings()["journal_max_bytes"] == 32 * 1024 * 1024
    admin.update_settings({"journal_max_bytes": 150_000})
    pad = "p" * 60_000
    for n in range(4):
        http.post(f"/calcom/v2/nowhere/{n}", json={"pad": pad})
    kept = [e["path"] for e in admin.requests()]
    assert kept == ["/calcom/v2/nowhere/3", "/calcom/v2/nowhere/2"], "two entries of ~60 kB fit in 150 kB"
    with pytest.raises(AdminError) as raised:
        admin.update_settings({"journal_max_bytes": 10})
    assert raised.value.status == 400
    admin.reset()
    assert admin.settings()["journal_max_bytes"] == 32 * 1024 * 1024
