"""Every registered fake's store survives the JSON round trip an engine puts it through."""

from __future__ import annotations

import secrets

import pytest
from support.vendors import vendor_classes

from mockserver import issued
from mockserver.admin import InProcessAdmin
from mockserver.app import build_app
from mockserver.interface import Vendor
from mockserver.state import records
from mockserver.vendors import ALL_VENDORS
from mockserver.vendors.calcom.store import CalcomStore, OAuthCode
from mockserver.vendors.ravan.store import RavanStore
from mockserver.vendors.recall.store import RecallStore


@pytest.mark.parametrize("vendor_class", ALL_VENDORS, ids=lambda v: v.name)
def test_a_store_with_every_provider_state_survives_json(vendor_class: type[Vendor]) -> None:
    app = build_app(vendors=[vendor_class])
    admin = InProcessAdmin(app.runtime)
    vendor = app.runtime.vendors[vendor_class.name]
    for state in vendor.provider_states.values():
        params = {name: param.default for name, param in state.params.items() if param.default is not None}
        admin.apply_state(vendor.name, state.name, params)
    store = vendor.store
    encoded = records.split(vendor.name, store)
    decoded = records.assemble(vendor, encoded, None)
    assert type(decoded) is type(store)
    assert decoded.dump() == store.dump()
    assert records.split(vendor.name, decoded) == encoded  # stable: a reload is no change


def test_decoding_registers_the_issued_secrets_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_app(vendors=[v for v in ALL_VENDORS if v.name == "vcita"])
    admin = InProcessAdmin(app.runtime)
    token = admin.apply_state("vcita", "calendar_sync", {})["tokens"]["staff"]
    vendor = app.runtime.vendors["vcita"]
    encoded = records.split(vendor.name, vendor.store)
    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())  # a worker that never saw it
    assert issued.mask_text(token) == token
    records.assemble(vendor, encoded, None)  # as another worker would
    assert issued.mask_text(token) != token


def test_calcom_per_user_tables_survive_decoding() -> None:
    app = build_app(vendors=[v for v in ALL_VENDORS if v.name == "calcom"])
    admin = InProcessAdmin(app.runtime)
    made = admin.apply_state("calcom", "connected_calendar", {"count": 2})
    vendor = app.runtime.vendors["calcom"]
    decoded = records.assemble(vendor, records.split(vendor.name, vendor.store), None)
    user_id = made["user_id"]
    assert decoded.credential_ids == {user_id: made["credential_ids"]}
    assert [c.id for c in decoded.user_credentials(user_id)] == made["credential_ids"]
    assert all(c is decoded.credentials[c.id] for c in decoded.user_credentials(user_id))
    assert decoded.user_selected_calendars(user_id) == vendor.store.user_selected_calendars(user_id)
    assert len(decoded.user_selected_calendars(user_id)) == 2


@pytest.mark.parametrize("vendor_class", vendor_classes(), ids=lambda v: v.name)
def test_entries_restored_one_at_a_time_register_what_a_whole_restore_does(
    vendor_class: type[Vendor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store kept as one record per dictionary entry: each entry that arrives registers its
    own secrets, and all of them together register exactly what ``restored()`` does."""
    app = build_app(vendors=[vendor_class])
    admin = InProcessAdmin(app.runtime)
    vendor = app.runtime.vendors[vendor_class.name]
    for state in vendor.provider_states.values():
        admin.apply_state(vendor.name, state.name, {})
    encoded = records.split(vendor.name, vendor.store)

    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())
    records.assemble(vendor, encoded, None)
    whole = set(issued.REGISTRY)
    assert whole, "the states left no secret in the store"

    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())  # a worker that never saw them
    store = vendor.new_store()
    arrived = [records.put(vendor, store, name, raw) for name, raw in encoded.items()]
    assert not any(issued.mask_text(secret) != secret for secret in whole)  # decoded, none registered
    for entry in arrived:
        if entry is not None:
            field, key = entry
            store.restored_entry(field, key, getattr(store, field)[key])
    assert set(issued.REGISTRY) == whole
    assert all(issued.mask_text(secret) == issued.masked(secret) for secret in whole)


def test_a_calcom_oauth_code_entry_is_masked_once_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "calcode_" + secrets.token_hex(12)
    store = CalcomStore()
    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())
    store.oauth_codes[code] = OAuthCode(code, "google", None)
    assert issued.mask_text(f"code={code}") == f"code={code}"
    store.restored_entry("oauth_codes", code, store.oauth_codes[code])
    assert issued.mask_text(f"code={code}") == f"code={issued.masked(code)}"


def test_a_ravan_agents_private_key_is_masked_once_its_entry_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    source = RavanStore()
    agent = source.add_agent(source.add_org().id, private_key=True)
    assert agent.private_account is not None
    key = agent.private_account.api_key
    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())
    store = RavanStore()
    store.agents[agent.id] = agent
    assert issued.mask_text(key) == key
    store.restored_entry("agents", agent.id, agent)
    assert issued.mask_text(key) == issued.masked(key)
    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())
    store.restored()  # a whole restore registers it too
    assert issued.mask_text(key) == issued.masked(key)


def test_a_recall_api_key_is_masked_once_its_entry_or_its_workspace_is_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = RecallStore()
    workspace = source.add_workspace()
    key = workspace.api_keys[0]
    for field, entry_key, value in [("api_keys", key, workspace.id), ("workspaces", workspace.id, workspace)]:
        monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())
        store = RecallStore()
        getattr(store, field)[entry_key] = value
        assert issued.mask_text(key) == key
        store.restored_entry(field, entry_key, value)
        assert issued.mask_text(key) == issued.masked(key), field


def test_recall_forgets_tokens_verified_under_a_signing_key_it_no_longer_has() -> None:
    store = RecallStore()
    user = store.get_or_create_user(store.default_workspace().id, "u")
    token = store.issue_calendar_token(user, 1_000_000.0)
    assert store.read_calendar_token(token) is not None
    store.signing_key = RecallStore().signing_key  # what a reset elsewhere delivers as a new entry
    assert store.read_calendar_token(token) is None
