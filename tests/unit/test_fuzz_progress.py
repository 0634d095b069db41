"""How a fuzz run's progress is shown: plain lines in a log, one live line on a terminal."""

from __future__ import annotations

import io

import pytest

from mockserver.fuzz.progress import ProgressLines, Step

COVERAGE = Step("vcita", "coverage", 3, 4, "disableExternalCalendar", "PUT /disable")


def test_plain_lines_name_the_api_the_phase_and_the_operation() -> None:
    out = io.StringIO()
    lines = ProgressLines(out)

    lines.api_started("vcita", 2, 5, "target fake, profile ci")
    lines.step(COVERAGE)
    lines.clear()

    assert out.getvalue().splitlines() == [
        "fuzz 2/5 vcita: target fake, profile ci",
        "fuzz vcita coverage 3/4 disableExternalCalendar (PUT /disable)",
    ]


def test_a_log_gets_the_first_stateful_scenario_and_every_tenth() -> None:
    out = io.StringIO()
    lines = ProgressLines(out, live=False)

    for number in range(1, 26):
        lines.step(Step("recall", "stateful", number, 0))

    assert out.getvalue().splitlines() == [
        "fuzz recall stateful scenario 1",
        "fuzz recall stateful scenario 10",
        "fuzz recall stateful scenario 20",
    ]


def test_a_terminal_gets_one_line_rewritten_in_place_and_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = io.StringIO()
    lines = ProgressLines(out, live=True)

    lines.api_started("vcita", 1, 1, "target fake, profile ci")
    lines.step(Step("vcita", "coverage", 1, 4, "connectExternalCalendar", "PUT /connect"))
    lines.step(COVERAGE)
    lines.clear()

    text = out.getvalue()
    assert text.startswith("\r\x1b[Kfuzz 1/1 vcita: target fake, profile ci\n")
    live = text.split("\n", 1)[1]
    assert live.count("\r\x1b[K") == 3  # two updates, then the clear
    assert "\n" not in live
    assert live.endswith("disableExternalCalendar (PUT /disable) 0s\r\x1b[K")


def test_quiet_shows_nothing() -> None:
    out = io.StringIO()
    lines = ProgressLines(out, live=False, enabled=False)

    lines.api_started("vcita", 1, 1, "target fake")
    lines.step(COVERAGE)

    assert out.getvalue() == ""


def test_a_terminal_line_longer_than_the_terminal_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()

    ProgressLines(out, live=True).step(COVERAGE)

    shown = out.getvalue().removeprefix("\r\x1b[K")
    assert len(shown) == 39
    assert shown.endswith("…")
