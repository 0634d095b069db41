"""A store as records: reads tracked per entry, changes found among them, records split and
assembled again (``mockserver.state.records``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mockserver import issued
from mockserver.state import records
from mockserver.state.records import TrackedDict, Tracker
from mockserver.vendors.calcom import VENDOR as CALCOM_CLASS
from mockserver.vendors.recall import VENDOR as RECALL_CLASS
from mockserver.vendors.vcita import VENDOR as VCITA_CLASS

CALCOM, RECALL, VCITA = CALCOM_CLASS(), RECALL_CLASS(), VCITA_CLASS()


def _vcita_store(staff: int = 3) -> Any:
    store = VCITA.new_store()
    business = store.add_business()
    for _ in range(staff):
        member = store.add_staff(business.uid)
        store.create_sync(member.uid, "google_v3")
        store.issue_token("staff", business.uid, member.uid, None)
    return store


def _tracked(vendor: Any, store: Any) -> tuple[Any, Tracker, dict[str, bytes]]:
    held = records.split(vendor.name, store)
    tracker = Tracker()
    return records.assemble(vendor, held, tracker), tracker, held


def test_split_and_assemble_give_the_same_store_back() -> None:
    store = _vcita_store()
    again, _, held = _tracked(VCITA, store)
    assert VCITA.new_store().__class__ is again.__class__
    assert again.dump() == store.dump()
    assert records.split("vcita", again) == held
    # One record per entry: every sync is its own record, named by its key as JSON.
    for staff_uid in store.syncs:
        assert f"e:vcita:syncs:{json.dumps(staff_uid)}" in held


def test_integer_keys_and_whole_fields_survive() -> None:
    store = RECALL.new_store()
    again, _, held = _tracked(RECALL, store)
    assert again.signing_key == store.signing_key  # a field kept whole
    assert "e:recall:signing_key" in held
    calcom = CALCOM.new_store()
    user = calcom.add_user()
    assert isinstance(next(iter(_tracked(CALCOM, calcom)[0].users)), int)
    assert f"e:calcom:users:{user.id}" in records.split("calcom", calcom)


def test_reads_are_tracked_per_key_and_whole_field_on_iteration() -> None:
    store, tracker, _ = _tracked(VCITA, _vcita_store())
    uid = next(iter(dict.keys(store.syncs)))
    tracker.start()
    store.syncs[uid]
    store.staff.get("nobody")
    assert "absent" not in store.tokens
    assert tracker.reads == {("syncs", uid), ("staff", "nobody"), ("tokens", "absent")}
    assert tracker.whole == set()
    list(store.businesses.values())
    assert tracker.whole == {"businesses"}
    tracker.stop()
    store.syncs[uid]
    len(store.staff)
    assert ("staff", "nobody") in tracker.reads and "staff" not in tracker.whole  # off: nothing noted


def test_changes_are_found_among_what_was_read() -> None:
    store, tracker, held = _tracked(VCITA, _vcita_store())
    first, second, _ = list(dict.keys(store.syncs))
    tracker.start()
    store.syncs[first].provider = None  # changed in place, as handlers do
    store.syncs[second]  # read, unchanged
    del store.staff[second]
    business = next(iter(dict.keys(store.businesses)))
    store.businesses["new"] = store.businesses.pop(business)  # moved to a new key
    tracker.stop()
    changed = records.touched("vcita", store, tracker, held)
    assert set(changed) == {
        records.entry_name("vcita", "syncs", first),
        records.entry_name("vcita", "staff", second),
        records.entry_name("vcita", "businesses", "new"),
        records.entry_name("vcita", "businesses", business),
    }
    assert changed[records.entry_name("vcita", "staff", second)] is None  # removed
    assert changed[records.entry_name("vcita", "businesses", business)] is None
    assert json.loads(changed[records.entry_name("vcita", "syncs", first)] or b"")["provider"] is None


def test_a_change_outside_what_was_read_is_not_seen() -> None:
    """Why entities must be reached through the dictionary fields: a write through an untracked
    path is invisible (the Cal.com store keeps its indexes as records for this reason)."""
    store, tracker, held = _tracked(VCITA, _vcita_store())
    sync = next(iter(dict.values(store.syncs)))
    tracker.start()
    sync.account = "elsewhere@example.com"
    tracker.stop()
    assert records.touched("vcita", store, tracker, held) == {}


def test_whole_field_reads_find_additions_and_removals() -> None:
    store, tracker, held = _tracked(VCITA, _vcita_store())
    tracker.start()
    first = next(iter(store.syncs))  # iterating: the whole field is read
    dict.pop(store.syncs, first)
    dict.__setitem__(store.syncs, "added", copy.copy(next(iter(dict.values(store.syncs)))))
    tracker.stop()
    changed = records.touched("vcita", store, tracker, held)
    assert sorted(v is None for v in changed.values()) == [False, True]


def test_put_and_refreshed_bring_in_records_from_elsewhere() -> None:
    store, _, _ = _tracked(VCITA, _vcita_store())
    other = _vcita_store(1)
    token = next(iter(other.tokens))
    raw = records.split("vcita", other)[records.entry_name("vcita", "tokens", token)]
    entry = records.put(VCITA, store, records.entry_name("vcita", "tokens", token), raw)
    assert entry == ("tokens", token)
    records.refreshed(VCITA, store, [entry])
    assert dict.__getitem__(store.tokens, token).token == token
    assert token not in issued.mask_text(f"token {token}")  # its secret is known, so masked
    gone = next(iter(dict.keys(store.staff)))
    assert records.put(VCITA, store, records.entry_name("vcita", "staff", gone), None) is None
    assert not dict.__contains__(store.staff, gone)


def test_a_copy_of_a_tracked_dict_is_a_plain_one() -> None:
    tracker = Tracker()
    tracked = TrackedDict({"a": 1}).bind("f", tracker)
    assert type(copy.deepcopy(tracked)) is dict
    assert tracked == {"a": 1}


def test_a_store_that_is_not_a_dataclass_is_refused() -> None:
    with pytest.raises(TypeError, match="not a dataclass"):
        records.layout(dict)
