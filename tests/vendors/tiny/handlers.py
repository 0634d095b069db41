"""The tiny vendor's operations."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from mockserver.interface import Call, HandlerTable, Reply

from . import envelope
from .store import Note

if TYPE_CHECKING:
    from . import TinyVendor

OPERATIONS = HandlerTable()
"""The tiny fake's handlers by operationId."""


def _note(vendor: TinyVendor, call: Call) -> Note:
    note = vendor.store.notes.get(call.params["note_id"])
    if note is None:
        raise envelope.error(404, "no such note")
    return note


@OPERATIONS.serves("getNote")
def get_note(vendor: TinyVendor, call: Call) -> Reply:
    """GET a note."""
    return Reply(asdict(_note(vendor, call)))


@OPERATIONS.serves("putNote")
def put_note(vendor: TinyVendor, call: Call) -> Reply:
    """Create or replace a note."""
    text = call.body["text"].upper() if vendor.settings["shout"] else call.body["text"]
    note = Note(call.params["note_id"], text, bool(call.body.get("pinned", False)))
    vendor.store.notes[note.id] = note
    return Reply(asdict(note))


@OPERATIONS.serves("deleteNote")
def delete_note(vendor: TinyVendor, call: Call) -> Reply:
    """Delete a note, answering it."""
    note = _note(vendor, call)
    del vendor.store.notes[note.id]
    return Reply(asdict(note))
