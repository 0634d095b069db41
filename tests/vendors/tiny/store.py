"""The tiny vendor's state: notes and tokens."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from mockserver import issued


@dataclass
class Note:
    """One note."""

    id: str
    text: str
    pinned: bool = False


@dataclass
class NotesStore:
    """Notes by id and tokens with their expiry (None: never)."""

    notes: dict[str, Note] = field(default_factory=dict)
    tokens: dict[str, float | None] = field(default_factory=dict)
    next_id: int = 1

    def add_note(self, text: str) -> Note:
        """A new note."""
        note = Note(f"n{self.next_id}", text)
        self.next_id += 1
        self.notes[note.id] = note
        return note

    def issue_token(self, expires_at: float | None) -> str:
        """A new bearer token."""
        token = issued.register(f"tiny_{secrets.token_hex(8)}")
        self.tokens[token] = expires_at
        return token

    def restored(self) -> None:
        """Re-register the issued tokens after decoding (so every worker masks them)."""
        for token in self.tokens:
            issued.register(token)

    def restored_entry(self, field: str, key: Any, value: Any) -> None:
        """One entry that arrived from another process (``self.<field>[key] = value`` already
        done): register the secrets it holds."""
        if field == "tokens":
            issued.register(key)

    def dump(self) -> dict[str, Any]:
        """The state as JSON-ready data (tokens by prefix only)."""
        return {"notes": [asdict(note) for note in self.notes.values()], "tokens": [t[:9] for t in self.tokens]}
