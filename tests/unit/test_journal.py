"""The request journal: capped, newest first, filterable, and handing out copies."""

from __future__ import annotations

from mockserver.journal import Journal


def test_journal_is_capped_newest_first_and_filterable() -> None:
    journal = Journal(cap=3)
    for n in range(5):
        journal.record({"api": "a" if n % 2 else "b", "n": n})
    assert [e["n"] for e in journal.entries()] == [4, 3, 2]
    assert [e["n"] for e in journal.entries(api="a")] == [3]
    assert [e["n"] for e in journal.entries(limit=1)] == [4]
    assert journal.entries()[0]["id"] == 5
    journal.set_cap(2)
    assert [e["n"] for e in journal.entries()] == [4, 3]
    assert journal.clear("a") == 1
    assert journal.clear() == 1
    assert len(journal) == 0


def test_journal_reads_epoch_times_as_iso_and_hands_out_copies() -> None:
    journal = Journal()
    journal.record({"api": "a", "time": 1.5})
    journal.record({"api": "a", "time": "2026-01-01T00:00:00.000Z"})
    assert [e["time"] for e in journal.entries()] == ["2026-01-01T00:00:00.000Z", "1970-01-01T00:00:01.500Z"]
    journal.entries()[0]["api"] = "changed"
    assert journal.entries()[0]["api"] == "a"


def test_restore_puts_back_entries_cap_and_the_next_id() -> None:
    journal = Journal(cap=4)
    journal.record({"api": "a", "n": 1})
    taken = journal.snapshot()
    journal.record({"api": "a", "n": 2})
    journal.set_cap(10)
    journal.restore(taken)
    assert [e["n"] for e in journal.entries()] == [1]
    assert journal.cap == 4
    journal.record({"api": "a", "n": 3})
    assert [e["id"] for e in journal.entries()] == [2, 1], "ids continue from the snapshot"
