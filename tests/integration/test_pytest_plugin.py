"""The pytest fixtures as another project uses them: installed plugin, no conftest."""

from __future__ import annotations

import pytest

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
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=3)


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
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1)
