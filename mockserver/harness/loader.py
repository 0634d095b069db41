"""Reading step files (YAML or seed-style Markdown) and checking them before anything runs."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from . import apis
from .markdown import NotAStepPage, looks_like_step_page, parse_page
from .matching import MATCHERS
from .model import Capture, Expect, Given, Step, StepFile, TokenRef
from .report import shown_path
from .yamlsource import JsonPath, Located, YamlSyntaxError, format_path, parse

SCHEMA_FILE = "step-file.schema.json"
STEP_FILE_SUFFIXES = (".yaml", ".yml")
MARKDOWN_SUFFIXES = (".md", ".markdown")


class StepFileError(Exception):
    """A step file that cannot run: unreadable, not YAML, or not valid against the schema.

    Args:
        path: the file.
        problems: ``(line, message)`` pairs, in line order.
    """

    def __init__(self, path: Path, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = sorted(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = shown_path(self.path)
        return "\n".join(f"{shown}:{line}: {message}" for line, message in self.problems)


@functools.cache
def step_file_schema() -> dict[str, Any]:
    """The JSON Schema every step file is checked against (shipped in the package)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def is_step_page(path: Path) -> bool:
    """A Markdown file with front matter and at least one yaml block holding ``steps``."""
    try:
        return looks_like_step_page(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def _read(path: Path) -> tuple[Located, str | None]:
    """The document (front matter and step blocks merged for Markdown) and a page title."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StepFileError(path, [(1, f"cannot read the file: {exc}")]) from None
    try:
        if path.suffix.lower() not in MARKDOWN_SUFFIXES:
            return parse(text), None
        page = parse_page(text)
    except YamlSyntaxError as exc:
        raise StepFileError(path, [(exc.line, exc.message)]) from None
    except NotAStepPage as exc:
        raise StepFileError(path, [(1, f"not a step page: {exc}")]) from None
    front = page.front_matter
    if not isinstance(front.data, dict):
        raise StepFileError(path, [(front.line_of(()), "the front matter must be a mapping")])
    merged = Located(dict(front.data), dict(front.lines))
    for key in ("steps", "finally"):
        if key in merged.data:
            raise StepFileError(path, [(front.line_of((key,)), f"{key!r} belongs in a fenced yaml block")])
    for block in page.blocks:
        if not isinstance(block.data, dict):
            raise StepFileError(path, [(block.line_of(()), "a step block must be a mapping with 'steps'")])
        for key, value in block.data.items():
            if key not in ("steps", "finally"):
                raise StepFileError(
                    path, [(block.line_of((key,)), f"a step block holds only steps and finally, not {key!r}")]
                )
            if not isinstance(value, list):
                raise StepFileError(path, [(block.line_of((key,)), f"{key!r} must be a list of steps")])
            items = merged.data.setdefault(key, [])
            merged.lines.setdefault((key,), block.line_of((key,)))
            for index, step in enumerate(value):
                new_index = len(items)
                items.append(step)
                for location, line in block.lines.items():
                    if location[:2] == (key, index):
                        merged.lines[(key, new_index, *location[2:])] = line
    return merged, page.title


def _schema_problem(error: ValidationError, source: Located) -> tuple[int, str]:
    deepest = best_match([error, *error.context]) if error.context else error
    path: JsonPath = tuple(deepest.absolute_path)
    line = source.line_of(path)
    if deepest.validator == "additionalProperties" and isinstance(deepest.instance, dict):
        allowed = set(deepest.schema.get("properties", {}))
        extra = [key for key in deepest.instance if key not in allowed]
        if extra:
            path = (*path, extra[0])
            line = source.line_of(path)
    return line, f"{format_path(path)}: {deepest.message}"


def _matcher_problems(value: Any, path: JsonPath, source: Located) -> list[tuple[int, str]]:
    problems = []
    if isinstance(value, dict):
        dollar = [key for key in value if isinstance(key, str) and key.startswith("$")]
        if dollar and (len(value) != 1 or dollar[0] not in MATCHERS):
            names = ", ".join(sorted(MATCHERS))
            problems.append(
                (source.line_of(path), f"{format_path(path)}: a matcher is one of {names}, alone in its mapping")
            )
        for key, item in value.items():
            problems.extend(_matcher_problems(item, (*path, key), source))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(_matcher_problems(item, (*path, index), source))
    return problems


def _step(raw: dict[str, Any], line: int, always: bool) -> Step:
    expect_raw = raw["expect"]
    status = expect_raw["status"]
    expect = Expect(
        status=tuple(status) if isinstance(status, list) else (status,),
        body=expect_raw.get("body"),
        has_body="body" in expect_raw,
        headers=dict(expect_raw.get("headers") or {}),
        schema=expect_raw.get("schema", True),
    )
    token = raw.get("token")
    if isinstance(token, str):
        token_ref: TokenRef | None = TokenRef(token)
    elif isinstance(token, dict):
        token_ref = TokenRef(token["name"], token.get("scheme"))
    else:
        token_ref = None
    captures = []
    for name, spec in (raw.get("save") or {}).items():
        if isinstance(spec, str):
            captures.append(Capture(name, path=spec))
        else:
            captures.append(Capture(name, spec.get("path"), spec.get("header"), bool(spec.get("secret", False))))
    raw_body = raw.get("raw_body")
    if isinstance(raw_body, dict):
        raw_body = raw_body["repeat"] * raw_body["times"]
    return Step(
        id=raw["id"],
        method=raw["method"],
        path=raw["path"],
        expect=expect,
        line=line,
        description=raw.get("description", ""),
        api=raw.get("api"),
        token=token_ref,
        headers=dict(raw.get("headers") or {}),
        query=dict(raw.get("query") or {}),
        body=raw.get("body"),
        has_body="body" in raw,
        raw_body=raw_body,
        save=tuple(captures),
        on_fail=raw.get("onFail", "continue"),
        destructive=raw.get("destructive"),
        always=always,
    )


def load_step_file(path: Path | str) -> StepFile:
    """Read, check and model one step file.

    Raises:
        StepFileError: with the path, line and problem of everything wrong in the file.
    """
    path = Path(path)
    source, title = _read(path)
    data = source.data
    if data is None:
        raise StepFileError(path, [(1, "the file is empty")])
    validator = jsonschema.Draft202012Validator(step_file_schema())
    problems = [_schema_problem(error, source) for error in validator.iter_errors(data)]
    if problems:
        raise StepFileError(path, problems)
    problems = []
    for key in ("steps", "finally"):
        for index, step in enumerate(data.get(key) or []):
            if "body" in step.get("expect", {}):
                problems.extend(_matcher_problems(step["expect"]["body"], (key, index, "expect", "body"), source))
            for name, value in (step.get("expect", {}).get("headers") or {}).items():
                problems.extend(_matcher_problems(value, (key, index, "expect", "headers", name), source))

    api = data.get("api")
    if api is None and "endpoint" in data:
        api = apis.api_for_endpoint(data["endpoint"])
        if api is None:
            problems.append((source.line_of(("endpoint",)), f"endpoint: no bundled spec declares {data['endpoint']!r}"))
    elif api is None:
        problems.append((source.line_of(()), "api: the file names no api (give `api`, or `endpoint` in a page)"))
    for location, name in [(("api",), api)] + [
        ((key, index, "api"), step.get("api"))
        for key in ("steps", "finally")
        for index, step in enumerate(data.get(key) or [])
    ]:
        if name is not None and name not in apis.known_apis():
            known = ", ".join(apis.known_apis())
            problems.append(
                (source.line_of(location), f"{format_path(location)}: unknown api {name!r}; known: {known}")
            )

    seen_ids: dict[str, int] = {}
    for key in ("steps", "finally"):
        for index, step in enumerate(data.get(key) or []):
            line = source.line_of((key, index, "id"))
            if step["id"] in seen_ids:
                problems.append(
                    (
                        line,
                        f"{key}[{index}].id: {step['id']!r} is already the id of the step at line {seen_ids[step['id']]}",
                    )
                )
            seen_ids.setdefault(step["id"], line)
    given = []
    seen_names: dict[str, int] = {}
    for index, entry in enumerate(data.get("given") or []):
        name = entry.get("as", entry["state"])
        line = source.line_of(("given", index))
        if name in seen_names:
            problems.append(
                (line, f"given[{index}]: the name {name!r} is taken (line {seen_names[name]}); give it another `as`")
            )
        seen_names.setdefault(name, line)
        given.append(Given(entry["state"], entry.get("api", api or ""), name, dict(entry.get("params") or {}), line))
    if problems or api is None:
        raise StepFileError(path, problems)

    return StepFile(
        path=path,
        name=data.get("name") or title or path.stem,
        api=api,
        steps=tuple(_step(step, source.line_of(("steps", i)), False) for i, step in enumerate(data["steps"])),
        finally_steps=tuple(
            _step(step, source.line_of(("finally", i)), True) for i, step in enumerate(data.get("finally") or [])
        ),
        tags=tuple(data.get("tags") or ()),
        status=data.get("status", "active"),
        skip_reason=data.get("skip_reason", ""),
        given=tuple(given),
        variables=dict(data.get("variables") or {}),
        settings=data.get("settings"),
        description=data.get("description", ""),
        line=source.line_of(()),
    )
