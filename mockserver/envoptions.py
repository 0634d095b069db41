"""Command-line options that are also read from environment variables, derived from the parser.

A parser built with ``env_prefix="MOCKSERVER_"`` reads each of its options from
``MOCKSERVER_<DEST>`` (``--port`` from ``MOCKSERVER_PORT``, ``--allow-host`` from
``MOCKSERVER_ALLOW_HOST``, ``--no-fast-path`` from ``MOCKSERVER_FAST_PATH``), whatever options
it has: an option added later gets its variable without a line more. The rules:

* the command line wins over the environment;
* a value is converted and checked as the option's own value is, and a bad one is the same
  error (naming the variable), exit code 2;
* a switch takes ``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``
  (``MOCKSERVER_FAST_PATH=0`` is ``--no-fast-path``);
* a repeatable option takes a comma-separated list;
* an empty variable counts as unset.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
_REPEATABLE = (argparse._AppendAction, argparse._ExtendAction)


class EnvArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose options fall back to environment variables.

    Args:
        env_prefix: the variables' prefix (``MOCKSERVER_``); None reads no variable (so the
            class can serve as every sub-command's parser class).
        environ: where variables are read (default: ``os.environ`` at parse time).
    """

    def __init__(
        self, *args: Any, env_prefix: str | None = None, environ: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.env_prefix = env_prefix
        self.environ = environ

    def env_options(self) -> dict[str, argparse.Action]:
        """Each variable this parser reads, and the option it stands for."""
        if self.env_prefix is None:
            return {}
        return {
            self.env_prefix + action.dest.upper(): action
            for action in self._actions
            if action.option_strings
            and action.dest != argparse.SUPPRESS
            and not isinstance(action, (argparse._HelpAction, argparse._VersionAction))
        }

    def format_help(self) -> str:
        """argparse's help, then the variables this parser reads."""
        section = describe(self)
        return super().format_help() + ("\n" + section if section else "")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        from_environment = self._read_environment()
        saved = {action: (action.default, action.required) for action in from_environment}
        try:
            for action, value in from_environment.items():
                action.default, action.required = value, False
            parsed, rest = super().parse_known_args(args, namespace)
        finally:
            for action, (default, required) in saved.items():
                action.default, action.required = default, required
        for action, value in from_environment.items():
            given = getattr(parsed, action.dest, None)
            if isinstance(action, _REPEATABLE) and given is not value and isinstance(given, list):
                # argparse appends command-line values to a copy of the default; they win alone.
                setattr(parsed, action.dest, given[len(value) :])
        return parsed, rest

    def _read_environment(self) -> dict[argparse.Action, Any]:
        environ = os.environ if self.environ is None else self.environ
        values: dict[argparse.Action, Any] = {}
        for name, action in self.env_options().items():
            text = environ.get(name, "")
            if text.strip():
                values[action] = self._env_value(name, text, action)
        return values

    def _env_value(self, name: str, text: str, action: argparse.Action) -> Any:
        shown = action.option_strings[-1] if action.option_strings else action.dest
        try:
            if action.nargs == 0:  # a switch
                return _switch_value(text, action)
            appends = isinstance(action, argparse._AppendAction) and not isinstance(action, argparse._ExtendAction)
            if action.nargs in ("*", "+") or isinstance(action.nargs, int):
                values = self._get_values(action, _items(text))
                return [values] if appends else values
            if appends:
                return [self._get_values(action, [item]) for item in _items(text)]
            # One value; for an "extend" option its type makes the list (``--api vcita,calcom``).
            return self._get_values(action, [text])
        except argparse.ArgumentError as exc:
            self.error(f"argument {shown} (from {name}): {exc.message}")


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _switch_value(text: str, action: argparse.Action) -> Any:
    word = text.strip().lower()
    if word not in TRUE | FALSE:
        raise argparse.ArgumentError(
            action, f"expected one of {', '.join(sorted(TRUE))} or {', '.join(sorted(FALSE))}, got {text!r}"
        )
    on = word in TRUE
    if isinstance(action, argparse.BooleanOptionalAction):
        return on
    if isinstance(action.const, bool):  # store_true, store_false: the variable holds the dest's value
        return on
    return action.const if on else action.default


def describe(parser: EnvArgumentParser) -> str:
    """The help text's section on the variables a parser reads ("" when it reads none)."""
    names = list(parser.env_options())
    if not names:
        return ""
    lines = [
        "environment:",
        f"  every option is also read from {parser.env_prefix}<OPTION> (the command line wins): switches",
        "  take 1/true/yes/on or 0/false/no/off, repeatable options a comma-separated list; an empty",
        "  variable counts as unset. Read here:",
    ]
    line = " "
    for name in names:
        if len(line) + len(name) + 1 > 98:
            lines.append(line)
            line = " "
        line += " " + name
    lines.append(line)
    return "\n".join(lines) + "\n"
