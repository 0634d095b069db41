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


def test_the_byte_cap_drops_the_oldest_entries_and_keeps_the_newest_always() -> None:
    body = "x" * 10_000

    def big(n: int) -> dict[str, object]:
        return {"api": "a", "n": n, "request": {"headers": {}, "body": body}}

    journal = Journal(cap=100, max_bytes=35_000)
    for n in range(5):
        journal.record(big(n))
    assert [e["n"] for e in journal.entries()] == [4, 3, 2], "three entries of ~10.5 kB fit in 35 kB"
    assert journal.size_bytes <= journal.max_bytes
    journal.set_max_bytes(1024)
    assert [e["n"] for e in journal.entries()] == [4], "the newest entry stays whatever its size"
    assert "_size" not in journal.entries()[0], "the size bookkeeping is never shown"
    journal.clear()
    assert journal.size_bytes == 0


def test_restore_recounts_the_bytes() -> None:
    journal = Journal(cap=10, max_bytes=1_000_000)
    journal.record({"api": "a", "request": {"headers": {}, "body": "y" * 5000}})
    taken = journal.snapshot()
    held = journal.size_bytes
    journal.clear()
    journal.restore(taken)
    assert journal.size_bytes == held > 5000


def test_entries_mask_issued_secrets_in_bodies_and_credential_headers() -> None:
    from mockserver import issued

    secret = issued.register("tok_" + "s3cr3t" * 5)
    journal = Journal()
    journal.record(
        {
            "api": "a",
            "request": {"headers": {"authorization": "Bearer never-issued-credential"}, "body": f'{{"t": "{secret}"}}'},
            "response": {"headers": {}, "body": f"issued {secret}"},
        }
    )
    (shown,) = journal.entries()
    assert secret not in str(shown)
    assert shown["request"]["body"] == '{"t": "tok_s3…"}' and shown["response"]["body"] == "issued tok_s3…"
    assert shown["request"]["headers"]["authorization"] == "Bearer never-…"
