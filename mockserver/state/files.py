"""``--state-file``: the default session saved to disk and loaded at start."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class StateFile:
    """One JSON export on disk. It holds every token the fakes issued, so it is written with
    mode 0600, and atomically (a temporary file in the same folder, then a rename), so a crash
    mid-save leaves the previous file whole."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        """The saved export, or None when the file does not exist yet; raises ``ValueError``
        for a file that is not JSON."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{self.path} is not a state export: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} is not a state export")
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Write ``data`` in place of the file, atomically, readable by its owner only."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
