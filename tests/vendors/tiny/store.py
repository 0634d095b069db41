"""The tiny vendor's state: notes and tokens."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from mockserver import issued


@dataclass
class Note:
    """One note."""

    id: str
    text: str
    pinned: bool = False


class NotesStore:
    """Notes by id and tokens with their expiry (None: never)."""

    def __init__(self) -> None:
        self.notes: dict[str, Note] = {}
        self.tokens: dict[str, float | None] = {}
        self._ids = itertools.count(1)

    def add_note(self, text: str) -> Note:
        """A new note."""
        note = Note(f"n{next(self._ids)}", text)
        self.notes[note.id] = note
        return note

    def issue_token(self, expires_at: float | None) -> str:
        """A new bearer token."""
        token = issued.register(f"tiny_{secrets.token_hex(8)}")
        self.tokens[token] = expires_at
        return token

    def dump(self) -> dict[str, Any]:
        """The state as JSON-ready data (tokens by prefix only)."""
        return {"notes": [asdict(note) for note in self.notes.values()], "tokens": [t[:9] for t in self.tokens]}
