"""YAML with line numbers: the data of a document plus the line of every key and item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

JsonPath = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; ``line`` is 1-based within the text."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Located:
    """A parsed YAML document with the 1-based line of each location in it."""

    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict)

    def line_of(self, path: JsonPath) -> int:
        """The line of ``path``, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def _walk(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int], offset: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            lines[(*path, key)] = key_node.start_mark.line + 1 + offset
            _walk(value_node, (*path, key), lines, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1 + offset
            _walk(item, (*path, index), lines, offset)


def parse(text: str, offset: int = 0) -> Located:
    """Parse one YAML document; ``offset`` is added to every line (for text cut from a larger file).

    Raises:
        YamlSyntaxError: the text is not YAML (or holds several documents).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark is not None else 1) + offset
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark.line + 1 + offset != line:
            context = f"{context} (started at line {exc.context_mark.line + 1 + offset})"
        problem = ": ".join(part for part in (context, exc.problem) if part)
        raise YamlSyntaxError(f"invalid YAML: {problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", 1 + offset) from None
    located = Located(data)
    if node is not None:
        located.lines[()] = node.start_mark.line + 1 + offset
        _walk(node, (), located.lines, offset)
    return located


def format_path(path: JsonPath) -> str:
    """``('steps', 0, 'expect')`` -> ``steps[0].expect``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
