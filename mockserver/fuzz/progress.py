"""What a fuzz run is doing while it runs: the API, the phase and the operation, as it happens.

The runner reports a :class:`Step` each time Schemathesis starts a scenario; :class:`ProgressLines`
shows them, as one line rewritten in place on a terminal, or as plain lines for a CI log::

    fuzz 2/5 vcita: 4 operations (target fake, profile ci)
    fuzz vcita coverage 3/4 disableExternalCalendar (PUT /business/scheduling/v1/external_calendar_items/disable)
    fuzz vcita stateful scenario 10
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

STATEFUL = "stateful"
STATEFUL_EVERY = 10
"""In a log, one stateful scenario in this many gets a line (the first always does)."""


@dataclass(frozen=True)
class Step:
    """A scenario Schemathesis started.

    Args:
        api: the API being fuzzed.
        phase: ``examples``, ``coverage``, ``fuzzing`` or ``stateful``.
        number: the operation's place in this phase (1 for the first), or the stateful scenario's number.
        total: the operations this phase covers (0 in the stateful phase, which has no fixed count).
        operation: the operationId (empty for stateful scenarios, which chain several).
        label: ``METHOD /path``.
    """

    api: str
    phase: str
    number: int
    total: int
    operation: str = ""
    label: str = ""

    def describe(self) -> str:
        """``coverage 3/4 disableExternalCalendar (PUT /path)``, or ``stateful scenario 10``."""
        if self.phase == STATEFUL or not self.total:
            return f"{self.phase} scenario {self.number}"
        name = self.operation or self.label
        shown = f" ({self.label})" if self.operation and self.label else ""
        return f"{self.phase} {self.number}/{self.total} {name}{shown}"


ProgressCallback = Callable[[Step], None]


class ProgressLines:
    """Shows a run's progress on ``stream``.

    Args:
        stream: where to write (the command's stdout).
        live: rewrite one line in place; by default when ``stream`` is a terminal.
        enabled: show anything at all (``--quiet`` shows nothing).
    """

    def __init__(self, stream: TextIO, live: bool | None = None, enabled: bool = True) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.enabled = enabled
        self._shown = False
        self._api = ""
        self._position = ""
        self._started = 0.0

    def api_started(self, api: str, number: int, total: int, detail: str) -> None:
        """A new API's run begins (``number`` of ``total`` APIs); ``detail`` says what it covers."""
        self._api = api
        self._position = f"{number}/{total}"
        self._started = time.monotonic()
        self._show(f"fuzz {self._position} {api}: {detail}", keep=True)

    def step(self, step: Step) -> None:
        """Schemathesis started a scenario."""
        if self.live:
            elapsed = time.monotonic() - self._started
            self._show(f"fuzz {self._position} {step.api} {step.describe()} {elapsed:.0f}s")
        elif step.phase != STATEFUL or step.number == 1 or step.number % STATEFUL_EVERY == 0:
            self._show(f"fuzz {step.api} {step.describe()}")

    def clear(self) -> None:
        """Remove the live line, before other output is printed."""
        if self.live and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def _show(self, text: str, keep: bool = False) -> None:
        if not self.enabled:
            return
        if not self.live:
            self.stream.write(text + "\n")
            self.stream.flush()
            return
        width = shutil.get_terminal_size().columns - 1
        if len(text) > width:
            text = text[: max(width - 1, 0)] + "…"
        self.stream.write("\r\x1b[K" + text)
        self._shown = True
        if keep:
            # The API's first line stays on the screen above the live one.
            self.stream.write("\n")
            self._shown = False
        self.stream.flush()
