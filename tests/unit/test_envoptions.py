"""Options read from MOCKSERVER_* variables: derived from the parser, the command line wins."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mockserver.cli import build_parser
from mockserver.envoptions import EnvArgumentParser


def serve_args(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *argv: str) -> argparse.Namespace:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return build_parser().parse_args(["serve", *argv])


def serve_parser(parser: argparse.ArgumentParser) -> EnvArgumentParser:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    serve = commands.choices["serve"]
    assert isinstance(serve, EnvArgumentParser)
    return serve


def test_every_serve_option_has_its_variable() -> None:
    serve = serve_parser(build_parser())
    names = set(serve.env_options())
    assert {
        "MOCKSERVER_HOST",
        "MOCKSERVER_PORT",
        "MOCKSERVER_API",
        "MOCKSERVER_CORS",
        "MOCKSERVER_ACCESS_LOG",
        "MOCKSERVER_QUIET",
        "MOCKSERVER_VERBOSE",
        "MOCKSERVER_SEED",
        "MOCKSERVER_ALLOW_HOST",
        "MOCKSERVER_ADMIN_TOKEN",
        "MOCKSERVER_VALIDATE_RESPONSES",
        "MOCKSERVER_FAST_PATH",
        "MOCKSERVER_SHUTDOWN_TIMEOUT",
    } <= names
    options = {a.dest for a in serve._actions if a.option_strings and a.dest not in ("help", "version")}
    assert len(names) == len(options)
    help_text = serve.format_help()
    assert all(name in help_text for name in names)
    assert "the command line wins" in help_text


def test_an_option_added_later_gets_its_variable_for_free(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    serve_parser(parser).add_argument("--later-option", type=int, default=100)
    monkeypatch.setenv("MOCKSERVER_LATER_OPTION", "7")
    assert parser.parse_args(["serve"]).later_option == 7
    assert parser.parse_args(["serve", "--later-option", "9"]).later_option == 9


def test_values_are_converted_as_the_options_are(monkeypatch: pytest.MonkeyPatch) -> None:
    args = serve_args(
        monkeypatch,
        {
            "MOCKSERVER_PORT": "9123",
            "MOCKSERVER_HOST": "::1",
            "MOCKSERVER_SEED": "seed.yaml",
            "MOCKSERVER_SHUTDOWN_TIMEOUT": "0.5",
            "MOCKSERVER_API": "vcita, calcom",
            "MOCKSERVER_CORS": "http://localhost:3000/",
            "MOCKSERVER_ALLOW_HOST": "proxy.test, other.test:8080",
        },
    )
    assert (args.port, args.host, args.seed, args.shutdown_timeout) == (9123, "::1", Path("seed.yaml"), 0.5)
    assert args.api == ["vcita", "calcom"]
    assert args.cors == ("http://localhost:3000",)
    assert args.allow_host == ["proxy.test", "other.test:8080"]


@pytest.mark.parametrize(
    ("env", "dest", "value"),
    [
        ({"MOCKSERVER_QUIET": "1"}, "quiet", True),
        ({"MOCKSERVER_QUIET": "off"}, "quiet", False),
        ({"MOCKSERVER_FAST_PATH": "0"}, "fast_path", False),  # the variable of --no-fast-path
        ({"MOCKSERVER_FAST_PATH": "yes"}, "fast_path", True),
        ({"MOCKSERVER_ACCESS_LOG": "false"}, "access_log", False),
        ({"MOCKSERVER_ACCESS_LOG": "TRUE"}, "access_log", True),
        ({"MOCKSERVER_VALIDATE_RESPONSES": "on"}, "validate_responses", True),
        ({"MOCKSERVER_PORT": ""}, "port", 8080),  # empty counts as unset
    ],
)
def test_switches(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], dest: str, value: object) -> None:
    assert getattr(serve_args(monkeypatch, env), dest) == value


def test_the_command_line_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "MOCKSERVER_PORT": "9123",
        "MOCKSERVER_API": "vcita",
        "MOCKSERVER_ALLOW_HOST": "from-env.test",
        "MOCKSERVER_ACCESS_LOG": "0",
        "MOCKSERVER_CORS": "none",
    }
    args = serve_args(
        monkeypatch,
        env,
        *("--port", "9000", "--api", "recall", "--allow-host", "cli.test", "--access-log", "--cors", "*"),
    )
    assert (args.port, args.api, args.allow_host, args.access_log, args.cors) == (
        9000,
        ["recall"],
        ["cli.test"],
        True,
        ("*",),
    )


def test_the_environment_leaves_the_parser_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = build_parser()
    monkeypatch.setenv("MOCKSERVER_ALLOW_HOST", "a.test")
    assert parser.parse_args(["serve", "--allow-host", "b.test"]).allow_host == ["b.test"]
    monkeypatch.delenv("MOCKSERVER_ALLOW_HOST")
    assert parser.parse_args(["serve"]).allow_host == []
    assert parser.parse_args(["serve"]).port == 8080


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MOCKSERVER_PORT": "eighty"}, "argument --port (from MOCKSERVER_PORT): invalid int value: 'eighty'"),
        (
            {"MOCKSERVER_SHUTDOWN_TIMEOUT": "-1"},
            "argument --shutdown-timeout (from MOCKSERVER_SHUTDOWN_TIMEOUT): must be 0 or more seconds, got -1",
        ),
        ({"MOCKSERVER_API": "vcita,zoom"}, "argument --api (from MOCKSERVER_API): unknown fake 'zoom'; known: "),
        ({"MOCKSERVER_CORS": "localhost:3000"}, "argument --cors (from MOCKSERVER_CORS): not an origin"),
        (
            {"MOCKSERVER_QUIET": "maybe"},
            "argument --quiet (from MOCKSERVER_QUIET): expected one of 1, on, true, yes or 0, false, no, off, got 'maybe'",
        ),
    ],
)
def test_a_bad_value_is_the_options_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        serve_args(monkeypatch, env)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("usage: mockserver serve") and f"mockserver serve: error: {message}" in error


def test_the_same_value_as_a_flag_gives_the_same_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "--api", "vcita,zoom"])
    assert exit_info.value.code == 2
    assert "mockserver serve: error: argument --api: unknown fake 'zoom'; known: " in capsys.readouterr().err


def test_other_commands_read_no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSERVER_API", "not-a-fake")  # fuzz has an --api option too
    args = build_parser().parse_args(["fuzz", "--api", "vcita"])
    assert args.api == ["vcita"]


def test_a_parser_without_prefix_reads_nothing() -> None:
    parser = EnvArgumentParser(prog="x", environ={"PORT": "1", "X_PORT": "2"})
    parser.add_argument("--port", type=int, default=5)
    assert parser.env_options() == {}
    assert parser.parse_args([]).port == 5


def test_generic_kinds_of_options() -> None:
    environ = {"X_COUNT": "3", "X_NAMES": "a,b", "X_MODE": "fast", "X_LEVEL": "1", "X_PAIR": "1, 2"}
    parser = EnvArgumentParser(prog="x", env_prefix="X_", environ=environ)
    parser.add_argument("--count", type=int)
    parser.add_argument("--names", action="append")
    parser.add_argument("--mode", choices=["fast", "slow"])
    parser.add_argument("--level", action="store_const", const="debug", default="info")
    parser.add_argument("--pair", type=int, nargs=2)
    args = parser.parse_args([])
    assert (args.count, args.names, args.mode, args.level, args.pair) == (3, ["a", "b"], "fast", "debug", [1, 2])
    wrong = EnvArgumentParser(prog="x", env_prefix="X_", environ={"X_MODE": "medium"})
    wrong.add_argument("--mode", choices=["fast", "slow"])
    with pytest.raises(SystemExit):
        wrong.parse_args([])
