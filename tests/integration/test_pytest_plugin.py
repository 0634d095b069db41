"""The pytest fixtures as another project uses them: installed plugin, no conftest."""

from __future__ import annotations

import pytest
from support.stepfiles import disconnect_step, step_text

CONTRACT = step_text(
    [disconnect_step("qa@example.com", expect={"status": 200, "body": {"data": {"enabled": False}}})],
    name="a contract",
    given=[{"state": "calendar_sync", "params": {"account": "qa@example.com"}}],
)

USER_SUITE = """
import httpx

ITEMS = "/business/scheduling/v1/external_calendar_items"


def test_disconnect_against_the_fake(fake_server, fake_admin):
    data = fake_admin.apply_state("vcita", "calendar_sync", {"account": "qa@example.com"})
    response = httpx.put(
        fake_server.url("vcita") + ITEMS + "/disconnect",
        json={"staff_uid": data["staff_uid"], "calendar_sync": {"provider": "google_v3", "account": "qa@example.com"}},
        headers={"Authorization": "Bearer " + data["tokens"]["staff"]},
    )
    assert response.status_code == 200
    assert response.json()["data"]["enabled"] is False


def test_each_test_starts_from_a_clean_fake(fake_admin):
    assert fake_admin.state("vcita")["vcita"]["calendar_syncs"] == []
    assert fake_admin.requests() == []


def test_the_server_is_shared_by_the_session(make_fake_server, fake_server):
    assert make_fake_server is fake_server
    assert fake_server.url("admin").endswith("/__admin")
"""


def test_fixtures_work_in_a_suite_without_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user_suite=USER_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert "warnings summary" not in result.stdout.str()


STRICT_SUITE = """
import httpx


def test_refusals_and_the_ui_raise_no_warning(fake_server, fake_admin):
    data = fake_admin.apply_state("calcom", "user", {})
    calcom = fake_server.url("calcom")
    assert httpx.get(calcom + "/v2/calendars", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad_json = {"Authorization": "Bearer " + data["tokens"]["api_key"], "Content-Type": "application/json"}
    assert httpx.post(calcom + "/v2/calendars/google/disconnect", content=b"{", headers=bad_json).status_code == 400
    assert httpx.get(fake_server.url("vcita") + "/ui/").status_code == 200
    assert len(fake_admin.requests()) == 3
"""


def test_a_strict_suite_run_with_W_error_passes(pytester: pytest.Pytester) -> None:
    # A new process: this one imported connexion long ago, and its import is where the
    # dependencies' deprecation warnings were raised.
    pytester.makepyfile(test_user_suite=USER_SUITE, test_strict=STRICT_SUITE)
    contracts = pytester.mkdir("contracts")
    (contracts / "disconnect.yaml").write_text(CONTRACT, encoding="utf-8")
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)


NOTHING_LOADED = """
import sys


def test_the_installed_plugins_loaded_no_harness_or_app_module():
    loaded = sorted(name for name in sys.modules if name.startswith(("mockserver.harness.", "mockserver.app")))
    assert loaded == ["mockserver.harness.plugin"]
    assert "openapi_core" not in sys.modules
"""


def test_a_suite_without_contracts_or_fixtures_pays_for_no_harness_imports(pytester: pytest.Pytester) -> None:
    # Both plugins are loaded into every pytest run of a project that installs mockserver; the
    # runner, the step-file loader and the app are imported only once a contract file or a
    # fixture needs them.
    pytester.makepyfile(test_plain=NOTHING_LOADED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


TOKEN_SUITE = """
import httpx

from mockserver.admin import HttpAdmin


def test_the_fixture_server_requires_the_token_from_the_environment(fake_server):
    assert fake_server.admin_token == "fixture-admin-token-0123456789"
    assert httpx.get(fake_server.url("admin") + "/health").status_code == 401
    with HttpAdmin(fake_server.base_url) as admin:  # reads MOCKSERVER_ADMIN_TOKEN
        assert admin.health()["status"] == "ok"
"""


def test_the_fixture_server_takes_the_admin_token_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "fixture-admin-token-0123456789")
    pytester.makepyfile(test_token_suite=TOKEN_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)
