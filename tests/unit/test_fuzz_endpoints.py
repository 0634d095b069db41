"""Fuzz set-ups on a target: what each API is prepared with, on a fake and on a real target."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.app import build_app
from mockserver.fuzz.endpoints import (
    TargetError,
    lookup,
    open_endpoint,
    prepare_with_admin,
    resolve_target,
    skip_reason,
)
from mockserver.fuzz.profiles import PROFILES
from mockserver.fuzz.report import summary_table
from mockserver.fuzz.runner import fuzzable_apis, run_api
from mockserver.fuzz.setups import SETUPS, FuzzSetup, Given, Known
from mockserver.harness import InProcessTarget, RealTarget, UrlTarget
from mockserver.vendors import ALL_VENDORS


def test_every_served_fake_has_a_fuzz_set_up() -> None:
    assert {vendor.name for vendor in ALL_VENDORS} <= set(SETUPS)
    assert fuzzable_apis([vendor.name for vendor in ALL_VENDORS])[-1] == "admin"


@pytest.mark.parametrize("api", [vendor.name for vendor in ALL_VENDORS])
def test_each_set_up_prepares_its_fake(api: str) -> None:
    setup = SETUPS[api]
    app = build_app(validate_responses=True)

    prepared = prepare_with_admin(setup, app.admin)

    assert set(prepared.tokens) == {credential.role for credential in setup.credentials}
    assert all(isinstance(token, str) and token for token in prepared.tokens.values())
    assert set(prepared.values) == {known.name for known in setup.known}
    assert app.admin.settings()["rate_limits"] is False


def test_a_later_provider_state_can_use_an_earlier_answer() -> None:
    setup = FuzzSetup(
        "vcita",
        "vcita.yaml",
        "/vcita",
        given=(Given("staff", "staff"), Given("sync", "calendar_sync", {"staff_uid": "{{staff.staff_uid}}"})),
        known=(Known("staff_uid", "staff.staff_uid", ("body.staff_uid",)),),
    )
    app = build_app()

    prepared = prepare_with_admin(setup, app.admin)

    [sync] = app.admin.state("vcita")["vcita"]["calendar_syncs"]
    assert sync["staff_uid"] == prepared.values["staff_uid"]


def test_a_reference_to_a_missing_answer_is_a_target_error() -> None:
    setup = FuzzSetup("vcita", "vcita.yaml", "/vcita", given=(Given("s", "staff", {"business_uid": "{{nope.id}}"}),))

    with pytest.raises(TargetError, match=r"an earlier provider state answered no 'nope\.id'"):
        prepare_with_admin(setup, build_app().admin)


def test_a_refused_provider_state_is_a_target_error() -> None:
    setup = FuzzSetup("vcita", "vcita.yaml", "/vcita", given=(Given("s", "staff", {"bogus": 1}),))

    with pytest.raises(TargetError, match="vcita: preparing the fake failed"):
        prepare_with_admin(setup, build_app().admin)


def test_lookup_descends_into_mappings_and_lists() -> None:
    data = {"a": {"ids": [10, 11]}}

    assert lookup(data, "a.ids.1") == 11
    with pytest.raises(KeyError):
        lookup(data, "a.ids.2")
    with pytest.raises(KeyError):
        lookup(data, "a.missing")


def test_the_control_plane_is_prepared_with_nothing() -> None:
    prepared = prepare_with_admin(SETUPS["admin"], build_app().admin)
    assert (prepared.tokens, prepared.values) == ({}, {})


def production(environ: dict[str, str]) -> RealTarget:
    apis = {
        "vcita": {
            "url": "https://api.vcita.biz",
            "tokens": {"staff": "VCITA_STAFF_TOKEN", "admin": "VCITA_ADMIN_TOKEN"},
            "given": {"calendar_sync": {"staff_uid": {"env": "VCITA_STAFF_UID"}, "provider": "google_v3"}},
        }
    }
    return RealTarget("production", apis, environ=environ)


def test_a_real_target_reads_tokens_and_known_ids_from_the_environment() -> None:
    target = production({"VCITA_STAFF_TOKEN": "st", "VCITA_STAFF_UID": "u1"})

    with open_endpoint(target, SETUPS["vcita"]) as endpoint:
        assert endpoint.base_url == "https://api.vcita.biz"
        assert endpoint.prepared.tokens == {"staff": "st"}
        assert endpoint.prepared.values == {"staff_uid": "u1"}
        assert endpoint.app is None


def test_a_real_target_skips_the_control_plane_and_apis_it_has_no_url_for() -> None:
    target = production({})

    assert skip_reason(target, SETUPS["admin"]) == "admin exists only on the fakes"
    assert skip_reason(target, SETUPS["recall"]) == "target production has no base URL for recall"
    assert skip_reason(target, SETUPS["vcita"]) is None
    assert skip_reason(InProcessTarget("fake"), SETUPS["admin"]) is None


def test_resolve_target(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "targets:\n"
        "  prod:\n    kind: real\n    apis:\n      vcita: {url: 'https://api.vcita.biz'}\n"
        "  mine:\n    kind: url\n    url: http://127.0.0.1:9\n"
        "  local-fake:\n    kind: fake\n",
        encoding="utf-8",
    )

    # Fuzzing builds an app per API, so a fake target needs no socket.
    assert isinstance(resolve_target("fake"), InProcessTarget)
    assert isinstance(resolve_target("local-fake", targets), InProcessTarget)
    server = resolve_target("http://127.0.0.1:9/", targets)
    assert isinstance(server, UrlTarget)
    assert server.base == "http://127.0.0.1:9"
    named = resolve_target("mine", targets)
    assert isinstance(named, UrlTarget)
    assert (named.name, named.base) == ("mine", "http://127.0.0.1:9")
    real = resolve_target("prod", targets)
    assert isinstance(real, RealTarget)
    assert real.name == "prod"
    with pytest.raises(TargetError, match="unknown target 'nope'; known: fake, local, local-fake, mine, prod"):
        resolve_target("nope", targets)


def test_resolve_target_reports_a_broken_targets_file(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("targets:\n  prod: {kind: moon}\n", encoding="utf-8")

    with pytest.raises(TargetError, match=r"targets\.yaml"):
        resolve_target("prod", targets)


def test_a_fake_target_is_fuzzed_in_a_fresh_app_per_api() -> None:
    target = InProcessTarget("fake")
    before = target.admin.state()

    with open_endpoint(target, SETUPS["vcita"]) as first, open_endpoint(target, SETUPS["vcita"]) as second:
        assert first.app is not None and second.app is not None
        assert first.app is not second.app
        assert first.app is not target.app
        assert first.base_url == "http://testserver/vcita"
        assert first.app.admin.state("vcita")["vcita"]["calendar_syncs"]
    # Prepared in its own app: the target's fakes are untouched.
    assert target.admin.state() == before


def test_a_real_target_leaves_out_what_changes_state_or_lacks_a_token() -> None:
    result = run_api("vcita", production({"VCITA_STAFF_TOKEN": "st"}), PROFILES["ci"])

    assert result.skipped == "every operation is left out on this target"
    assert result.examples == 0
    assert result.left_out == {
        "PUT /business/scheduling/v1/external_calendar_items/connect": "changes state; needs --allow-destructive",
        "PUT /business/scheduling/v1/external_calendar_items/disconnect": "changes state; needs --allow-destructive",
        "PUT /business/scheduling/v1/external_calendar_items/disable": "changes state; needs --allow-destructive",
        "POST /platform/v1/scheduling/calendar_syncs": "no admin token on this target",
    }
    assert result.format().startswith("== vcita: SKIPPED: every operation is left out on this target")
    assert summary_table([result]).startswith("vcita    skip")
