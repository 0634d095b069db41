"""bench/load.py's asyncio load generator against a real fake on 127.0.0.1, seeded as bench/run.py seeds it."""

from __future__ import annotations

import pytest

from bench.load import run_python
from bench.scenarios import SCENARIOS, Request
from bench.servers import free_port
from mockserver.admin import HttpAdmin, InProcessAdmin
from mockserver.server import ServerThread

# As in bench/run.py: many more actors than connections, so an actor's requests never overlap.
ACTORS = 32
CONNECTIONS = 4
SECONDS = 0.5

# Per scenario: the operation it measures, and every operation its cycles send.
OPERATIONS = {
    "vcita-disconnect": ("disconnectExternalCalendar", {"createCalendarSync", "disconnectExternalCalendar"}),
    "vcita-disable": ("disableExternalCalendar", {"disableExternalCalendar"}),
    "calcom-calendars": ("CalendarsController_getCalendars", {"CalendarsController_getCalendars"}),
    "recall-disconnect": ("calendar_user_disconnect_create", {"calendar_user_disconnect_create"}),
}


def test_every_scenario_has_its_operations_listed_here() -> None:
    assert set(OPERATIONS) == set(SCENARIOS)


@pytest.mark.parametrize("key", list(OPERATIONS))
def test_python_load_generator_drives_a_scenario_without_errors(
    key: str, fake_server: ServerThread, fake_admin: InProcessAdmin
) -> None:
    scenario = SCENARIOS[key]
    with HttpAdmin(fake_server.base_url) as admin:
        admin.update_settings({"rate_limits": False})
        cycles = scenario.actors(admin, ACTORS)

    result = run_python(fake_server.base_url, cycles, f"/{scenario.api}", duration_s=SECONDS, connections=CONNECTIONS)

    # More requests than actors: every actor has gone round its cycle at least once.
    assert result.requests > ACTORS
    assert result.non_2xx == 0
    assert result.socket_errors == 0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    assert result.duration_s >= SECONDS
    journal = fake_admin.requests(scenario.api)
    # Every request was answered before the run ended, so the journal holds all of them (up to its cap).
    assert len(journal) == min(result.requests, fake_admin.settings()["journal_cap"])
    assert {entry["status"] for entry in journal} == {200}
    measured, sent = OPERATIONS[key]
    operations = {entry["operationId"] for entry in journal}
    assert measured in operations
    assert operations <= sent
    assert all(entry["path"].startswith(f"/{scenario.api}/") for entry in journal)


def test_non_2xx_answers_are_counted(fake_server: ServerThread, fake_admin: InProcessAdmin) -> None:
    fake_admin.update_settings({"rate_limits": False})
    cycles = SCENARIOS["vcita-disable"].actors(fake_admin, 8)
    fake_admin.add_fault("vcita", "disableExternalCalendar", status=503)

    result = run_python(fake_server.base_url, cycles, "/vcita", duration_s=0.3, connections=2)

    assert result.requests > 0
    assert result.non_2xx == result.requests
    assert result.socket_errors == 0
    assert {entry["status"] for entry in fake_admin.requests("vcita")} == {503}


def test_nothing_listening_counts_socket_errors_and_no_requests() -> None:
    cycles = [(Request("GET", "/health"),)]

    result = run_python(f"http://127.0.0.1:{free_port()}", cycles, "", duration_s=0.2, connections=2)

    assert result.requests == 0
    assert result.socket_errors > 0
    assert (result.p50_ms, result.p99_ms, result.max_ms, result.rps) == (0.0, 0.0, 0.0, 0.0)
