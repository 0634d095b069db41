"""The step-file model: what a loaded, schema-checked contract file holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import apis


@dataclass(frozen=True)
class Given:
    """One provider state to apply before the steps (``POST /__admin/states``)."""

    state: str
    api: str
    name: str  # the ``as`` name its result is addressed by
    params: dict[str, Any]
    line: int


@dataclass(frozen=True)
class TokenRef:
    """Which credential a step sends, and (optionally) under which security scheme."""

    name: str
    scheme: str | None = None


@dataclass(frozen=True)
class Capture:
    """One value to save from a response: a JSONPath into the body, or a header."""

    name: str
    path: str | None = None
    header: str | None = None
    secret: bool = False


@dataclass(frozen=True)
class Expect:
    """What a response must look like."""

    status: tuple[int, ...]
    body: Any = None
    has_body: bool = False
    headers: dict[str, Any] = field(default_factory=dict)
    schema: bool = True

    @property
    def expects_success(self) -> bool:
        """Every accepted status is a 2xx."""
        return all(200 <= status < 300 for status in self.status)


@dataclass(frozen=True)
class Step:
    """One HTTP call with its expectations."""

    id: str
    method: str
    path: str
    expect: Expect
    line: int
    description: str = ""
    api: str | None = None
    token: TokenRef | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    raw_body: str | None = None
    save: tuple[Capture, ...] = ()
    on_fail: str = "continue"
    destructive: bool | None = None
    always: bool = False  # a ``finally`` step

    def changes_state(self, file_api: str, path: str | None = None) -> bool:
        """Whether the step would change state on the server.

        Its ``destructive`` key when given; else what the spec says of the operation it calls
        (``x-changes-state``, see :func:`apis.changes_state`).

        Args:
            file_api: the file's API, for a step that names none.
            path: the concrete path below the API's base URL, once placeholders are filled in
                (default: the path as written).
        """
        if self.destructive is not None:
            return self.destructive
        return apis.changes_state(self.api or file_api, self.method, self.path if path is None else path)


@dataclass(frozen=True)
class StepFile:
    """A whole contract file (YAML, or a seed-style Markdown page)."""

    path: Path
    name: str
    api: str
    steps: tuple[Step, ...]
    finally_steps: tuple[Step, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "active"
    skip_reason: str = ""
    given: tuple[Given, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] | None = None
    description: str = ""
    line: int = 1

    @property
    def apis(self) -> tuple[str, ...]:
        """Every API a step calls, the file's own first."""
        names = [self.api]
        for step in (*self.steps, *self.finally_steps):
            if step.api and step.api not in names:
                names.append(step.api)
        return tuple(names)

    @property
    def has_destructive_steps(self) -> bool:
        """Whether any step would change state on the server."""
        return any(step.changes_state(self.api) for step in (*self.steps, *self.finally_steps))
