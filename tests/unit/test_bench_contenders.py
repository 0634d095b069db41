"""The benchmark's pure helpers for its newer rows: /proc parsing, WireMock stubs, start-failure reasons."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from bench.contenders import failure_reason
from bench.procs import cpu_seconds, cpu_used, descendants_of, parse_stat, process_tree
from bench.redis_server import redis_command
from bench.scenarios import Request
from bench.wiremock import (
    Answer,
    header_matcher,
    java_regex_literal,
    json_template,
    request_matcher,
    stub_mappings,
    wiremock_command,
)

# -- /proc -----------------------------------------------------------------------------------------

# A real line's shape: pid, (comm), state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt,
# majflt, cmajflt, utime, stime, cutime, cstime, ...
_STAT = "4242 ({comm}) S 17 4242 4242 0 -1 4194560 900 0 0 0 {utime} {stime} 7 9 20 0 3 0 1000 5000 300"


def test_parse_stat_reads_the_parent_and_user_plus_system_time() -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    ppid, seconds = parse_stat(_STAT.format(comm="redis-server", utime=3 * ticks, stime=ticks))
    assert ppid == 17
    assert seconds == pytest.approx(4.0)  # the children's times (7, 9) are not the process's own


@pytest.mark.parametrize("comm", ["python3", "a b", "x) S 99 (", ")"])
def test_parse_stat_counts_fields_after_the_last_parenthesis(comm: str) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    assert parse_stat(_STAT.format(comm=comm, utime=ticks, stime=0)) == (17, pytest.approx(1.0))


def test_this_process_has_a_cpu_time_and_is_the_root_of_its_tree() -> None:
    assert (cpu_seconds(os.getpid()) or 0.0) > 0.0
    assert process_tree(os.getpid())[0] == os.getpid()


def test_descendants_are_children_and_grandchildren_only() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
    assert descendants_of(10, parents) == [10, 11, 12, 13]
    assert descendants_of(13, parents) == [13]
    assert descendants_of(99, parents) == [99]


def test_cpu_used_counts_what_each_process_used_in_between() -> None:
    before = {1: 10.0, 2: 5.0, 3: 1.0}
    after = {1: 12.5, 2: 5.0, 4: 0.75}  # 3 exited, 4 started in between
    assert cpu_used(before, after) == pytest.approx(2.5 + 0.0 + 0.75)
    assert cpu_used({}, {}) == 0.0


# -- why a row's server did not start --------------------------------------------------------------


def test_failure_reason_is_the_last_line_printed() -> None:
    printed = (
        "usage: mockserver serve [-h] [--host HOST] [--port PORT]\n"
        "mockserver serve: error: unrecognized arguments: --state redis://127.0.0.1:6390/0 --workers 2\n\n"
    )
    assert failure_reason(printed) == (
        "mockserver serve: error: unrecognized arguments: --state redis://127.0.0.1:6390/0 --workers 2"
    )
    assert failure_reason("Traceback (most recent call last):\n  ...\nValueError: boom\n") == "ValueError: boom"


def test_failure_reason_without_output_or_with_a_long_line() -> None:
    assert failure_reason(" \n\n") == "it exited without printing anything"
    reason = failure_reason("x" * 1000)
    assert len(reason) == 300
    assert reason.endswith("...")


# -- redis-server ----------------------------------------------------------------------------------


def test_redis_runs_on_loopback_without_persistence(tmp_path: Path) -> None:
    command = redis_command("/usr/bin/redis-server", 6390, tmp_path)
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert options["--bind"] == "127.0.0.1"
    assert options["--port"] == "6390"
    assert options["--save"] == ""
    assert options["--appendonly"] == "no"
    assert options["--dir"] == str(tmp_path)


# -- WireMock stubs --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Bearer ", "a.b*c+d?e(f)[g]{h}|i^j$k\\l/m", "x-y_z 0:1", "\\E\\Q"])
def test_java_regex_literal_matches_exactly_the_text(text: str) -> None:
    # Python's re reads the escapes the same way Java does: a backslash before a character that is
    # not a letter or digit stands for that character.
    pattern = java_regex_literal(text)
    assert re.fullmatch(pattern, text)
    assert not re.fullmatch(pattern, text + "x")
    assert all(char.isalnum() or pattern[i - 1] == "\\" for i, char in enumerate(pattern) if char != "\\")


def test_a_header_the_same_for_every_actor_is_matched_exactly() -> None:
    assert header_matcher(["application/json"] * 3) == {"equalTo": "application/json"}


def test_a_header_that_differs_is_matched_on_its_shared_prefix() -> None:
    matcher = header_matcher(["Bearer st_aaa1", "Bearer st_abc2", "Bearer st_b"])
    assert matcher == {"matches": "Bearer\\ st\\_.+"}
    assert re.fullmatch(matcher["matches"], "Bearer st_zzz")
    assert not re.fullmatch(matcher["matches"], "Bearer st_")
    assert not re.fullmatch(matcher["matches"], "Basic st_aaa1")


def test_json_template_keeps_what_is_shared_and_puts_placeholders_where_actors_differ() -> None:
    bodies = [
        {"staff_uid": "u1", "n": 1, "on": True, "calendar_sync": {"provider": "google_v3", "account": "a@x"}},
        {"staff_uid": "u2", "n": 2.5, "on": False, "calendar_sync": {"provider": "google_v3", "account": "a@x"}},
    ]
    assert json_template(bodies) == {
        "staff_uid": "${json-unit.any-string}",
        "n": "${json-unit.any-number}",
        "on": "${json-unit.any-boolean}",
        "calendar_sync": {"provider": "google_v3", "account": "a@x"},
    }
    assert json_template([{"platform": "google"}] * 2) == {"platform": "google"}


@pytest.mark.parametrize(
    "bodies",
    [
        [{"a": 1}, {"b": 1}],  # different keys
        [{"a": "x"}, {"a": 1}],  # different types
        [{"a": [1]}, {"a": [2]}],  # no placeholder for a list
    ],
)
def test_json_template_refuses_bodies_it_cannot_match_with_one_stub(bodies: list[object]) -> None:
    with pytest.raises(ValueError):
        json_template(bodies)


def _disconnect(uid: str, token: str) -> Request:
    body = {"staff_uid": uid, "calendar_sync": {"provider": "google_v3", "account": "bench@example.com"}}
    return Request(
        "PUT",
        "/business/scheduling/v1/external_calendar_items/disconnect",
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        json.dumps(body).encode(),
    )


def test_request_matcher_has_the_method_path_headers_and_json_body_of_the_scenario() -> None:
    matcher = request_matcher([_disconnect("s1", "tok_1"), _disconnect("s2", "tok_2")])
    assert matcher["method"] == "PUT"
    assert matcher["urlPath"] == "/business/scheduling/v1/external_calendar_items/disconnect"
    assert matcher["headers"] == {
        "Content-Type": {"equalTo": "application/json"},
        "Authorization": {"matches": "Bearer\\ tok\\_.+"},
    }
    [body] = matcher["bodyPatterns"]
    assert (body["ignoreExtraElements"], body["ignoreArrayOrder"]) == (False, False)
    assert json.loads(body["equalToJson"]) == {
        "staff_uid": "${json-unit.any-string}",
        "calendar_sync": {"provider": "google_v3", "account": "bench@example.com"},
    }


def test_request_matcher_without_a_body_has_no_body_pattern_and_keeps_a_query() -> None:
    requests = [Request("GET", "/v2/calendars?limit=5", {"Authorization": f"Bearer k{i}"}) for i in range(2)]
    matcher = request_matcher(requests)
    assert matcher["url"] == "/v2/calendars?limit=5"
    assert "urlPath" not in matcher
    assert "bodyPatterns" not in matcher


def test_request_matcher_refuses_actors_that_send_different_requests() -> None:
    other_path = Request("PUT", "/other", {"Authorization": "Bearer x"})
    with pytest.raises(ValueError, match="method or path"):
        request_matcher([_disconnect("s1", "t1"), other_path])
    with pytest.raises(ValueError, match="different headers"):
        request_matcher([Request("GET", "/a", {"A": "1"}), Request("GET", "/a", {"B": "1"})])


def test_stub_mappings_answer_each_step_as_the_fake_did() -> None:
    recreate = [Request("POST", "/syncs", {"Authorization": f"Bearer a{i}"}, b'{"u": "%d"}' % i) for i in range(3)]
    disconnect = [_disconnect(f"s{i}", f"t{i}") for i in range(3)]
    cycles = [(recreate[i], disconnect[i]) for i in range(3)]
    answers = [Answer(201, "application/json", '{"data": {"id": 1}}'), Answer(200, "application/json", '{"ok":1}')]
    mappings = stub_mappings(cycles, answers)
    assert [m["request"]["method"] for m in mappings] == ["POST", "PUT"]
    assert [m["response"] for m in mappings] == [
        {"status": 201, "headers": {"Content-Type": "application/json"}, "body": '{"data": {"id": 1}}'},
        {"status": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok":1}'},
    ]
    with pytest.raises(ValueError, match="one answer per step"):
        stub_mappings(cycles, answers[:1])


def test_wiremock_listens_on_loopback_only(tmp_path: Path) -> None:
    command = wiremock_command("/usr/bin/java", tmp_path / "w.jar", 9999, tmp_path)
    assert command[:2] == ["/usr/bin/java", "-jar"]
    assert command[command.index("--bind-address") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "9999"
