"""Every registered fake's store survives the JSON round trip an engine puts it through."""

from __future__ import annotations

import pytest

from mockserver import issued
from mockserver.admin import InProcessAdmin
from mockserver.app import build_app
from mockserver.interface import Vendor
from mockserver.state import codec
from mockserver.vendors import ALL_VENDORS


@pytest.mark.parametrize("vendor_class", ALL_VENDORS, ids=lambda v: v.name)
def test_a_store_with_every_provider_state_survives_json(vendor_class: type[Vendor]) -> None:
    app = build_app(vendors=[vendor_class])
    admin = InProcessAdmin(app.runtime)
    vendor = app.runtime.vendors[vendor_class.name]
    for state in vendor.provider_states.values():
        params = {name: param.default for name, param in state.params.items() if param.default is not None}
        admin.apply_state(vendor.name, state.name, params)
    store = vendor.store
    encoded = codec.encode_store(vendor, store)
    decoded = codec.decode_store(vendor, encoded)
    assert type(decoded) is type(store)
    assert decoded.dump() == store.dump()
    assert codec.encode_store(vendor, decoded) == encoded  # stable: a reload is no change


def test_decoding_registers_the_issued_secrets_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_app(vendors=[v for v in ALL_VENDORS if v.name == "vcita"])
    admin = InProcessAdmin(app.runtime)
    token = admin.apply_state("vcita", "calendar_sync", {})["tokens"]["staff"]
    vendor = app.runtime.vendors["vcita"]
    encoded = codec.encode_store(vendor, vendor.store)
    monkeypatch.setattr(issued, "REGISTRY", issued.IssuedSecrets())  # a worker that never saw it
    assert issued.mask_text(token) == token
    codec.decode_store(vendor, encoded)  # as another worker would
    assert issued.mask_text(token) != token


def test_calcom_indexes_are_rebuilt_after_decoding() -> None:
    app = build_app(vendors=[v for v in ALL_VENDORS if v.name == "calcom"])
    admin = InProcessAdmin(app.runtime)
    made = admin.apply_state("calcom", "connected_calendar", {})
    vendor = app.runtime.vendors["calcom"]
    decoded = codec.decode_store(vendor, codec.encode_store(vendor, vendor.store))
    user_id = made["user_id"]
    assert [c.id for c in decoded.user_credentials(user_id)] == [c.id for c in vendor.store.user_credentials(user_id)]
    assert decoded.user_selected_calendars(user_id) == vendor.store.user_selected_calendars(user_id)
