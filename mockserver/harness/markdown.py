"""Seed-style Markdown pages: YAML front matter plus fenced ``yaml`` blocks holding ``steps:``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .yamlsource import Located, parse

_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})\s*(yaml|yml)\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")


class NotAStepPage(ValueError):
    """The Markdown file has no front matter or no step blocks."""


@dataclass
class Page:
    """The parts of a seed-style page."""

    front_matter: Located
    blocks: list[Located]  # the yaml blocks that hold ``steps`` (or ``finally``), in page order
    title: str | None


def _front_matter(lines: list[str]) -> tuple[str, int]:
    """The front matter text and the index of its closing ``---`` line."""
    if not lines or lines[0].strip() != "---":
        raise NotAStepPage("no YAML front matter")
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), index
    raise NotAStepPage("the front matter is not closed with ---")


def _fenced_yaml(lines: list[str], start: int) -> list[tuple[str, int]]:
    """Each fenced yaml block's text and the 0-based index of its first content line."""
    blocks = []
    index = start
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if opening is None:
            # Skip other fenced blocks whole, so a ``yaml`` fence quoted inside them is not read.
            other = re.match(r"^(`{3,}|~{3,})", lines[index])
            if other:
                fence = other.group(1)
                index += 1
                while index < len(lines) and not lines[index].startswith(fence):
                    index += 1
            index += 1
            continue
        fence = opening.group(1)
        body_start = index + 1
        index = body_start
        while index < len(lines) and not lines[index].strip().startswith(fence):
            index += 1
        blocks.append(("\n".join(lines[body_start:index]), body_start))
        index += 1
    return blocks


def looks_like_step_page(text: str) -> bool:
    """Front matter plus at least one yaml block with a ``steps:`` key (no full parse)."""
    lines = text.splitlines()
    try:
        _, end = _front_matter(lines)
    except NotAStepPage:
        return False
    return any(re.search(r"^steps\s*:", block, re.MULTILINE) for block, _ in _fenced_yaml(lines, end + 1))


def parse_page(text: str) -> Page:
    """Split a page into front matter and step blocks, keeping each one's line numbers.

    Raises:
        NotAStepPage: no front matter, or no yaml block holds ``steps``.
        YamlSyntaxError: the front matter or a step block is not valid YAML.
    """
    lines = text.splitlines()
    front_text, end = _front_matter(lines)
    front = parse(front_text, offset=1)
    blocks = []
    for block_text, first_line in _fenced_yaml(lines, end + 1):
        if not re.search(r"^(steps|finally)\s*:", block_text, re.MULTILINE):
            continue
        blocks.append(parse(block_text, offset=first_line))
    if not blocks:
        raise NotAStepPage("no fenced yaml block holds steps")
    title = None
    for line in lines[end + 1 :]:
        heading = _HEADING.match(line)
        if heading:
            title = heading.group(1)
            break
    return Page(front, blocks, title)
